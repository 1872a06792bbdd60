/**
 * One task (container) served by this shim: its bundle, its OCI runtime, its init process and
 * execs. Each operation drives the runtime's CLI and updates the process states; events are
 * published by the caller (task-service.ts) so their order is decided in one place.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import { ConsoleSocket } from './console-socket.js';
import { ProcessIo } from './process-io.js';
import type { Exit, Reaper } from './reaper.js';
import { unmountRootfs } from './rootfs.js';
import { RuntimeCli } from './runtime-cli.js';
import { TaskProcess } from './task-process.js';

export class Container {
  readonly execs = new Map<string, TaskProcess>();

  constructor(
    readonly id: string,
    readonly bundle: string,
    readonly init: TaskProcess,
    readonly runtime: RuntimeCli,
    private readonly reaper: Reaper,
    private readonly onExit: (process: TaskProcess, exit: Exit) => void,
  ) {}

  process(execId: string): TaskProcess {
    if (!execId) return this.init;
    const exec = this.execs.get(execId);
    if (!exec) throw new TsdError('not-found', `process ${execId} does not exist in task ${this.id}`);
    return exec;
  }

  /** `runtime create`: the init exists, stopped before the user's program (exec fifo). */
  async create(options: { noPivot: boolean }): Promise<void> {
    const pidFile = join(this.bundle, 'init.pid');
    const args = ['create', '--bundle', this.bundle, '--pid-file', pidFile];
    if (options.noPivot) args.push('--no-pivot');
    await this.launch(this.init, args, pidFile);
  }

  async start(process: TaskProcess): Promise<void> {
    if (process.state.status !== 'created') throw new TsdError('conflict', `process ${process.execId || this.id} is ${process.state.status}, not created`);
    if (process.isInit) {
      await this.runtime.run(['start', this.id]);
      if (process.state.status === 'created') process.state = { status: 'running' }; // it may have exited already
      return;
    }
    const dir = join(this.bundle, 'tsd-exec');
    mkdirSync(dir, { recursive: true });
    const specFile = join(dir, `${process.execId}.json`);
    const pidFile = join(dir, `${process.execId}.pid`);
    writeFileSync(specFile, process.spec ?? '{}');
    await this.launch(process, ['exec', '--detach', '--process', specFile, '--pid-file', pidFile], pidFile);
    if (process.state.status === 'created') process.state = { status: 'running' };
  }

  /** Runs `create` or `exec --detach` with the process's stdio, then watches the new pid. */
  private async launch(process: TaskProcess, args: string[], pidFile: string): Promise<void> {
    const io = ProcessIo.open(process.stdio);
    const console = process.stdio.terminal ? ConsoleSocket.create() : undefined;
    try {
      if (console) args.push('--console-socket', console.path);
      args.push(this.id);
      await this.reaper.hold(async () => {
        await this.runtime.run(args, { stdio: io.runtimeStdio() });
        process.pid = Number(readFileSync(pidFile, 'utf8').trim());
        this.reaper.watch(process.pid, (exit) => this.onExit(process, exit));
      });
      io.runtimeStarted();
      if (console) io.attachConsole(await console.receive());
      process.io = io;
    } catch (error) {
      io.close();
      throw error;
    } finally {
      console?.close();
    }
  }

  async kill(process: TaskProcess, signal: number, all: boolean): Promise<void> {
    if (process.state.status === 'stopped') throw new TsdError('not-found', `process ${process.execId || this.id} already finished`);
    if (process.isInit) {
      await this.runtime.run(['kill', ...(all ? ['--all'] : []), this.id, String(signal)]);
      return;
    }
    if (process.state.status === 'created') throw new TsdError('conflict', `process ${process.execId} is not started`);
    try {
      globalThis.process.kill(process.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') throw new TsdError('not-found', `process ${process.execId} already finished`);
      throw error;
    }
  }

  async pause(): Promise<void> {
    await this.runtime.run(['pause', this.id]);
    this.init.state = { status: 'paused' };
  }

  async resume(): Promise<void> {
    await this.runtime.run(['resume', this.id]);
    if (this.init.state.status === 'paused') this.init.state = { status: 'running' };
  }

  /** Removes an exec (not running) from the task. */
  async deleteExec(process: TaskProcess): Promise<void> {
    if (process.state.status === 'running' || process.state.status === 'paused') throw new TsdError('conflict', `cannot delete running process ${process.execId}`);
    await settle(process.io);
    this.execs.delete(process.execId);
    rmSync(join(this.bundle, 'tsd-exec', `${process.execId}.json`), { force: true });
    rmSync(join(this.bundle, 'tsd-exec', `${process.execId}.pid`), { force: true });
  }

  /** Deletes the container from the runtime (init stopped or never started) and unmounts its rootfs. */
  async delete(): Promise<void> {
    const status = this.init.state.status;
    if (status === 'running' || status === 'paused') throw new TsdError('conflict', `cannot delete running task ${this.id}`);
    try {
      await this.runtime.run(['delete', ...(status === 'created' ? ['--force'] : []), this.id]);
    } catch (error) {
      if (!(error instanceof TsdError && error.code === 'not-found')) throw error;
    }
    await settle(this.init.io);
    for (const exec of this.execs.values()) exec.io?.close();
    unmountRootfs(this.bundle);
  }
}

/** Lets the output copies finish (bounded: a grandchild may hold the pipe open), then closes. */
async function settle(io: ProcessIo | undefined): Promise<void> {
  if (!io) return;
  await Promise.race([io.done(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  io.close();
}
