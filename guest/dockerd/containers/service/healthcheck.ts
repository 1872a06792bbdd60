/**
 * Docker healthchecks: every Interval run Test in the container (as an exec), give it Timeout,
 * record the result in State.Health (last 5 results), and after Retries consecutive failures
 * call it unhealthy. Failures inside StartPeriod do not count. Status changes are events
 * ("health_status: healthy").
 */
import type { HealthConfig, HealthLogEntry } from '../docker-types.js';
import { dockerTime, type ContainerRecord } from '../store/container-record.js';
import type { ContainerService } from './container-service.js';
import { newExecId, runExec } from '../exec/exec-process.js';

const SECOND_NS = 1e9;
const DEFAULTS = { interval: 30 * SECOND_NS, timeout: 30 * SECOND_NS, retries: 3 };
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

export function healthCommand(test: string[] | undefined): string[] | undefined {
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return test;
}

/** Starts the checker for the current run; returns its stop function (undefined without a check). */
export function startHealthcheck(service: ContainerService, record: ContainerRecord): (() => void) | undefined {
  const config: HealthConfig = record.Config.Healthcheck ?? {};
  const cmd = healthCommand(config.Test);
  if (!cmd) return undefined;
  const interval = (config.Interval || DEFAULTS.interval) / 1e6;
  const timeout = (config.Timeout || DEFAULTS.timeout) / 1e6;
  const retries = config.Retries || DEFAULTS.retries;
  const startPeriodEnd = Date.now() + (config.StartPeriod ?? 0) / 1e6;
  record.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const probe = async (): Promise<void> => {
    const start = dockerTime();
    let output = '';
    let exitCode: number;
    try {
      const exec = await runExec(service, record, { cmd, tty: false, stdin: false }, newExecId(), (stdio) =>
        stdio.on('data', (_stream: string, chunk: Buffer) => {
          if (output.length < MAX_OUTPUT) output += chunk.toString().slice(0, MAX_OUTPUT - output.length);
        }),
      );
      let killer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<number>((resolve) => {
        killer = setTimeout(() => {
          void service.deps.containerd.tasks.kill(record.ID, 9, { execId: exec.execId }).catch(() => undefined);
          output = `Health check exceeded timeout (${timeout / 1000}s)`;
          resolve(-1);
        }, timeout);
      });
      exitCode = await Promise.race([exec.exited, timedOut]);
      clearTimeout(killer);
      await exec.stdio.close();
    } catch (error) {
      exitCode = -1;
      output = (error as Error).message;
    }
    if (stopped) return;
    const current = service.store.get(record.ID);
    if (!current?.State.Running || !current.State.Health) return;
    const health = current.State.Health;
    const entry: HealthLogEntry = { Start: start, End: dockerTime(), ExitCode: exitCode, Output: output };
    health.Log = [...health.Log, entry].slice(-MAX_LOG);
    const before = health.Status;
    if (exitCode === 0) {
      health.FailingStreak = 0;
      health.Status = 'healthy';
    } else if (Date.now() >= startPeriodEnd || health.Status !== 'starting') {
      health.FailingStreak++;
      if (health.FailingStreak >= retries) health.Status = 'unhealthy';
    }
    await service.save(current).catch(() => undefined);
    if (health.Status !== before) service.event(current, `health_status: ${health.Status}`);
  };

  const loop = (): void => {
    timer = setTimeout(() => {
      void probe().finally(() => {
        if (!stopped) loop();
      });
    }, interval);
  };
  loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
