/**
 * Keeps the guest's wall clock right. The guest sets it from the host at boot (fw_cfg), but the
 * boot itself takes seconds, and after the host sleeps the guest's clock is behind by the nap.
 * So the agent sets it over SSH after boot and whenever the host's wall clock jumps relative to
 * the monotonic clock (which does not advance during sleep).
 */
import { setClockSubsystem } from '../../guest/api/guest-clock.js';
import type { GuestSsh } from '../ssh/client.js';

/**
 * Sets the guest's clock to the host's through the guest SSH server's set-clock subsystem
 * (guest/api/guest-clock.ts): one round trip, no program started in the guest. Resolves with the
 * guest's time as it reported it.
 */
export function setGuestClock(ssh: GuestSsh): Promise<string> {
  return new Promise((resolve, reject) => {
    ssh.client.subsys(setClockSubsystem(Date.now()), (error, channel) => {
      if (error) return reject(new Error(`set-clock: ${error.message}`));
      let stdout = '';
      let stderr = '';
      let code: number | undefined;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      channel.on('exit', (status: number | null) => (code = status ?? undefined));
      channel.on('close', () => {
        if (code === 0) resolve(stdout.trim());
        else reject(new Error(`set-clock exited with ${code ?? 'no status'}: ${stderr.trim() || 'no message'}`));
      });
    });
  });
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
