/**
 * The set-clock subsystem (guest/api/guest-clock.ts): sets the wall clock in this process, so that
 * the host agent's clock sync costs a round trip and not a Node start in the guest. koffi (for
 * clock_settime) loads on the first request; the time that takes is added to the host's time.
 */
import type { ServerChannel } from 'ssh2';
import { setWallClock } from '../sys/clock.js';
import { libc } from '../sys/libc.js';

export interface WallClock {
  /** Loads what setting the clock needs (may take a while the first time). */
  prepare(): void;
  set(epochMs: number): void;
}

const SYSTEM_CLOCK: WallClock = { prepare: () => void libc(), set: setWallClock };

export function serveSetClock(channel: ServerChannel, hostMs: number, clock: WallClock = SYSTEM_CLOCK): void {
  const received = performance.now();
  try {
    clock.prepare();
    clock.set(hostMs + (performance.now() - received));
    channel.write(`${new Date().toISOString()}\n`);
    channel.exit(0);
  } catch (error) {
    channel.stderr.write(`tsd-sshd: set-clock: ${(error as Error).message}\n`);
    channel.exit(1);
  }
  channel.end();
}
