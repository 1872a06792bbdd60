/**
 * Keeps the guest's services running: starts each, restarts it with backoff when it exits, sends
 * its stdout and stderr to <log dir>/<name>.log (rotated by size), and stops them all at shutdown
 * (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_BACKOFF, nextFailureCount, restartDelayMs, type BackoffPolicy } from './backoff.js';
import { RotatingLog, DEFAULT_ROTATION, type RotationPolicy } from './rotating-log.js';

export interface ServiceSpec {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
}

type ServiceState =
  | { state: 'running'; child: ChildProcess; startedAt: number; failures: number }
  | { state: 'waiting'; timer: NodeJS.Timeout; failures: number }
  | { state: 'stopped' };

interface Service {
  spec: ServiceSpec;
  log: RotatingLog;
  status: ServiceState;
}

export interface SupervisorOptions {
  logDir: string;
  log: (line: string) => void;
  backoff?: BackoffPolicy;
  rotation?: RotationPolicy;
}

export class Supervisor {
  private readonly services = new Map<string, Service>();
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {
    mkdirSync(options.logDir, { recursive: true });
  }

  start(spec: ServiceSpec): void {
    const log = new RotatingLog(join(this.options.logDir, `${spec.name}.log`), this.options.rotation ?? DEFAULT_ROTATION);
    const service: Service = { spec, log, status: { state: 'stopped' } };
    this.services.set(spec.name, service);
    this.launch(service, 0);
  }

  /** The pid of a running service (tests and status lines use it). */
  pid(name: string): number | undefined {
    const status = this.services.get(name)?.status;
    return status?.state === 'running' ? status.child.pid : undefined;
  }

  /**
   * Stops the services one by one in the reverse of their start order (dockerd before containerd,
   * which it uses), each with its own grace period.
   */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const service of [...this.services.values()].reverse()) await this.stop(service, graceMs);
  }

  private launch(service: Service, failures: number): void {
    const { spec } = service;
    const [file, ...args] = spec.argv;
    service.log.write(`--- [${new Date().toISOString()}] starting ${spec.argv.join(' ')}\n`);
    const child = spawn(file!, args, { env: spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // the end of stderr goes on the console with the exit, so that serial.log says why a service died
    let stderrTail = '';
    child.stdout!.on('data', (chunk: Buffer) => service.log.write(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      service.log.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-400);
    });
    const startedAt = Date.now();
    service.status = { state: 'running', child, startedAt, failures };
    child.on('error', (error) => service.log.write(`--- spawn failed: ${error.message}\n`));
    child.on('close', (code, signal) => {
      const how = signal ? `signal ${signal}` : `exit ${code}`;
      service.log.write(`--- [${new Date().toISOString()}] ${spec.name} ended: ${how}\n`);
      if (this.stopping) {
        service.status = { state: 'stopped' };
        return;
      }
      const count = nextFailureCount(failures, Date.now() - startedAt, this.options.backoff ?? DEFAULT_BACKOFF);
      const delay = restartDelayMs(count, this.options.backoff ?? DEFAULT_BACKOFF);
      const why = stderrTail.trim().split('\n').at(-1);
      this.options.log(`service ${spec.name} ended (${how})${why ? `: ${why}` : ''}; restart ${count} in ${delay} ms`);
      const timer = setTimeout(() => this.launch(service, count), delay);
      service.status = { state: 'waiting', timer, failures: count };
    });
  }

  private async stop(service: Service, graceMs: number): Promise<void> {
    const status = service.status;
    if (status.state === 'waiting') clearTimeout(status.timer);
    if (status.state === 'running' && status.child.exitCode === null && status.child.signalCode === null) {
      const { child } = status;
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.options.log(`service ${service.spec.name} did not stop in ${graceMs} ms: SIGKILL`);
        child.kill('SIGKILL');
      }, graceMs);
      await closed;
      clearTimeout(timer);
    }
    service.status = { state: 'stopped' };
    service.log.close();
  }
}
