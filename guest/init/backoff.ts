/**
 * Restart policy of supervised services: exponential backoff from baseMs up to maxMs; a run that
 * lasted stableMs or longer counts as healthy and resets the count.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  stableMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 30_000, stableMs: 10_000 };

/** Consecutive failures after a run of `ranMs`, given the count before it. */
export function nextFailureCount(previous: number, ranMs: number, policy: BackoffPolicy): number {
  return ranMs >= policy.stableMs ? 1 : previous + 1;
}

/** Delay before the next start after `failures` consecutive failures (≥ 1). */
export function restartDelayMs(failures: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
}
