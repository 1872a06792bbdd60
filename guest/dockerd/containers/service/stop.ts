/** stop (StopSignal, timeout, then SIGKILL), kill, wait, pause/unpause. */
import { TsdError } from '../../../api/errors.js';
import type { ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { parseSignal } from './signals.js';

/** Sends a signal to every process of the container and waits for the exit to be recorded. */
export async function killAndWait(service: ContainerService, record: ContainerRecord, signal: number, timeoutMs?: number): Promise<boolean> {
  if (!record.State.Running) return true;
  const live = service.live(record.ID);
  const exited = live.nextExit();
  const generation = live.generation;
  await service.deps.containerd.tasks.kill(record.ID, signal, { all: signal === 9 }).catch((error: TsdError) => {
    if (error.code === 'not-found') return;
    // The process may die before the runtime's kill returns; the exit monitor then deletes the task,
    // which closes the shim connection under our call ("ttrpc: closed"). The kill did its job then.
    if (live.generation !== generation) return;
    throw error;
  });
  if (timeoutMs === undefined || timeoutMs < 0) {
    await exited;
    return true;
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  const result = await Promise.race([exited.then(() => true as const), timedOut]);
  clearTimeout(timer);
  return result;
}

/** false when the container was not running (the API answers 304). */
export async function stopContainer(service: ContainerService, record: ContainerRecord, options: { signal?: string; timeout?: number }): Promise<boolean> {
  const live = service.live(record.ID);
  if (live.restartTimer) {
    clearTimeout(live.restartTimer);
    live.restartTimer = undefined;
    record.State = { ...record.State, Restarting: false, Status: 'exited' };
    record.Internal.manuallyStopped = true;
    await service.save(record);
    return true;
  }
  if (live.busy === 'starting') {
    // A start is under way (a restart policy's timer fired, or a client's start): the user's stop is
    // final, so it waits for that start and then stops what it started, instead of answering "not
    // running" while the container comes up again.
    record.Internal.manuallyStopped = true;
    await service.save(record);
    await new Promise((resolve) => live.once('idle', resolve));
  }
  if (!record.State.Running) return false;
  record.Internal.manuallyStopped = true;
  await service.save(record);
  if (record.State.Paused) await service.deps.containerd.tasks.resume(record.ID).catch(() => undefined);
  const signal = parseSignal(options.signal || record.Config.StopSignal, 'SIGTERM');
  const seconds = options.timeout ?? record.Config.StopTimeout ?? 10;
  service.event(record, 'kill', { signal: String(signal) });
  const stopped = await killAndWait(service, record, signal, seconds < 0 ? undefined : seconds * 1000);
  if (!stopped) {
    service.event(record, 'kill', { signal: '9' });
    await killAndWait(service, record, 9);
  }
  service.event(record, 'stop');
  return true;
}

export async function killContainer(service: ContainerService, record: ContainerRecord, signalText: string | null): Promise<void> {
  const signal = parseSignal(signalText ?? undefined, 'SIGKILL');
  if (!record.State.Running) throw new TsdError('conflict', `cannot kill container: ${record.Name.slice(1)}: container ${record.ID} is not running`);
  if (record.State.Paused && signal !== 9) throw new TsdError('conflict', `cannot kill container: ${record.Name.slice(1)}: container ${record.ID} is paused. Unpause the container before stopping or killing`);
  // A user's kill counts as a manual stop for the restart policy only when it is fatal by default (Docker: SIGKILL/stop signal).
  if (signal === 9 || signal === parseSignal(record.Config.StopSignal, 'SIGTERM')) {
    record.Internal.manuallyStopped = true;
    await service.save(record);
  }
  service.event(record, 'kill', { signal: String(signal) });
  await service.deps.containerd.tasks.kill(record.ID, signal, { all: signal === 9 });
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export function parseWaitCondition(value: string | null): WaitCondition {
  const condition = value || 'not-running';
  if (condition !== 'not-running' && condition !== 'next-exit' && condition !== 'removed') {
    throw new TsdError('invalid-argument', `invalid condition: "${condition}"`);
  }
  return condition;
}

/**
 * A promise of the wait result, registered synchronously: `docker run` sends wait before start,
 * so the waiter must exist before the start request is served.
 */
export function waitFor(service: ContainerService, record: ContainerRecord, condition: WaitCondition): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
  const live = service.live(record.ID);
  const result = (exitCode: number, error?: string) => ({ StatusCode: exitCode, Error: error ? { Message: error } : null });
  if (condition === 'removed') {
    let last = { exitCode: record.State.ExitCode };
    live.on('exit', (info: { exitCode: number }) => (last = info));
    return live.removed().then(() => result(last.exitCode));
  }
  if (condition === 'not-running' && !record.State.Running && !record.State.Restarting) return Promise.resolve(result(record.State.ExitCode));
  return live.nextExit().then((info) => result(info.exitCode, info.error));
}

export async function pauseContainer(service: ContainerService, record: ContainerRecord): Promise<void> {
  if (!record.State.Running) throw new TsdError('conflict', `container ${record.ID} is not running`);
  if (record.State.Paused) throw new TsdError('conflict', `container ${record.ID} is already paused`);
  await service.deps.containerd.tasks.pause(record.ID);
  record.State = { ...record.State, Paused: true, Status: 'paused' };
  await service.save(record);
  service.event(record, 'pause');
}

export async function unpauseContainer(service: ContainerService, record: ContainerRecord): Promise<void> {
  if (!record.State.Paused) throw new TsdError('conflict', `container ${record.ID} is not paused`);
  await service.deps.containerd.tasks.resume(record.ID);
  record.State = { ...record.State, Paused: false, Status: 'running' };
  await service.save(record);
  service.event(record, 'unpause');
}
