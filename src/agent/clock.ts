/**
 * Keeps the guest's wall clock right. The guest sets it from the host at boot (fw_cfg), but the
 * boot itself takes seconds, and after the host sleeps the guest's clock is behind by the nap.
 * So the agent sets it over SSH after boot and whenever the host's wall clock jumps relative to
 * the monotonic clock (which does not advance during sleep).
 */
import { GUEST_NODE_PATH, GUEST_TSD_DIR } from '../../guest/api/guest-layout.js';
import type { GuestSsh } from '../ssh/client.js';

export async function setGuestClock(ssh: GuestSsh): Promise<void> {
  const result = await ssh.exec(`${GUEST_NODE_PATH} ${GUEST_TSD_DIR}/init.mjs set-time ${Date.now()}`);
  if (result.code !== 0) throw new Error(`set-time exited with ${result.code}: ${result.stderr.trim()}`);
}

export interface ClockWatch {
  stop(): void;
}

/** Calls onJump when wall time moved more than thresholdMs beyond monotonic time between ticks. */
export function watchWallClock(onJump: (jumpMs: number) => void, intervalMs = 5_000, thresholdMs = 3_000): ClockWatch {
  let wall = Date.now();
  let mono = performance.now();
  const timer = setInterval(() => {
    const nowWall = Date.now();
    const nowMono = performance.now();
    const jump = nowWall - wall - (nowMono - mono);
    wall = nowWall;
    mono = nowMono;
    if (Math.abs(jump) > thresholdMs) onJump(jump);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
