/**
 * Readiness checks are data: what is awaited, how long, and what to look at when it fails.
 * waitReady() polls a probe until it succeeds, the timeout passes, or QEMU exits (then there is
 * no point in waiting: the failure names QEMU's exit and its stderr).
 */
import { TsdError } from '../../guest/api/errors.js';
import { describeExit, type QemuProcess } from './qemu-process.js';

export interface ReadinessCheck {
  name: 'qmp' | 'ssh' | 'engine';
  description: string;
  /** Where to look when it fails. */
  hint: string;
  /** A timeout here is worth one more boot (tcg boots hang now and then). */
  retryOnTimeout: boolean;
}

export const CHECKS = {
  qmp: { name: 'qmp', description: 'QEMU starts and its monitor (QMP) answers', hint: 'QEMU stderr above', retryOnTimeout: false },
  ssh: { name: 'ssh', description: 'the guest boots and its SSH server answers', hint: 'serial.log shows how far the boot got', retryOnTimeout: true },
  engine: { name: 'engine', description: 'the Engine API in the guest answers /_ping and containerd accepts', hint: '`tsd machine logs --service dockerd`', retryOnTimeout: false },
} as const satisfies Record<string, ReadinessCheck>;

export class ReadinessError extends TsdError {
  constructor(readonly check: ReadinessCheck, readonly timedOut: boolean, message: string) {
    super('unavailable', message);
  }
}

// Short: each failed probe is a refused connection through slirp (cheap), and every poll interval is
// waited in full once the guest is up (on average half of it lands on the start time).
const POLL_MS = 100;

/** Optional early verdict: a boot whose console has been silent this long has hung. */
export interface StallWatch {
  silentMs(): Promise<number>;
  limitMs: number;
}

export async function waitReady<T>(
  check: ReadinessCheck,
  timeoutMs: number,
  qemu: QemuProcess,
  probe: () => Promise<T>,
  stall?: StallWatch,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (!qemu.running) {
      const exit = await qemu.exited;
      throw new ReadinessError(check, false, `${check.description}: failed, ${describeExit(exit)}`);
    }
    if (stall !== undefined && (await stall.silentMs()) >= stall.limitMs) {
      throw new ReadinessError(check, true, `${check.description}: the console has been silent for ${Math.round(stall.limitMs / 1000)} s, the boot hung (last: ${lastError}); see ${check.hint}`);
    }
    if (Date.now() >= deadline) {
      throw new ReadinessError(check, true, `${check.description}: no success within ${Math.round(timeoutMs / 1000)} s (last: ${lastError}); see ${check.hint}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
