/**
 * Setting the guest's wall clock from the host: the SSH subsystem "set-clock@tsd:MS", where MS is
 * the host's time in milliseconds since the epoch when it sent the request. The guest's SSH server
 * handles it in its own process (no program started: under tcg a Node start is seconds), sets the
 * clock to MS plus the time it spent on the request, writes the resulting time (ISO 8601) and exits 0,
 * or writes why not to stderr and exits 1. The one-way delay from host to guest is not corrected.
 */
export const SET_CLOCK_PREFIX = 'set-clock@tsd:';

export function setClockSubsystem(epochMs: number): string {
  return `${SET_CLOCK_PREFIX}${Math.trunc(epochMs)}`;
}

/** The host's time in the subsystem name, or undefined when the name is not a set-clock request. */
export function parseSetClockSubsystem(name: string): number | undefined {
  if (!name.startsWith(SET_CLOCK_PREFIX)) return undefined;
  const digits = name.slice(SET_CLOCK_PREFIX.length);
  if (!/^\d{1,15}$/.test(digits)) return undefined;
  const ms = Number(digits);
  return ms > 0 ? ms : undefined;
}
