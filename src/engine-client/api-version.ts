/**
 * Engine API version negotiation, as the docker CLI does it: ask /_ping for the daemon's
 * API-Version and use the lower of it and ours, so one client talks to older daemons too.
 */
export const CLIENT_MAX_API_VERSION = '1.44';
/** Below this the verbs we implement lack fields we rely on (e.g. wait conditions). */
export const CLIENT_MIN_API_VERSION = '1.25';

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor !== bMajor ? aMajor - bMajor : aMinor - bMinor;
}

/** The version to speak: the daemon's when it is older than ours, else ours. */
export function negotiateApiVersion(daemonVersion: string | undefined): string {
  if (daemonVersion === undefined || !/^\d+\.\d+$/.test(daemonVersion)) return CLIENT_MAX_API_VERSION;
  return compareApiVersions(daemonVersion, CLIENT_MAX_API_VERSION) < 0 ? daemonVersion : CLIENT_MAX_API_VERSION;
}
