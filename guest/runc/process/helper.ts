/**
 * Starts the C helper, sends it the plan and answers its sync points. Resolves when the helper
 * reports `ready` (the container process is set up and about to wait for `start` or to exec);
 * rejects with the failing step and errno otherwise, after making sure the process is gone.
 */
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { TsdError } from '../../api/errors.js';
import { encodePlan, type Step, type SyncPoint } from '../plan/steps.js';
import { helperPath } from './helper-path.js';
import { errnoText } from './errno.js';
import { ABORT, ACK, parseHelperMessage, type HelperMessage } from './sync.js';
import { claimPreforkedHelper } from './preforked-env.js';
import { runPreforkedHelper } from './preforked.js';

export interface HelperOptions {
  /** The container's stdin, stdout and stderr (inherited fds or 'ignore'). */
  stdio: readonly ('inherit' | 'ignore' | number)[];
  /** fds 3..3+n-1 of the runtime passed to the container as they are (--preserve-fds). */
  preserveFds: number;
  /** Called at each sync point with the container's host pid; throwing aborts the set-up. */
  onSync(point: SyncPoint, pid: number): Promise<void>;
  debug?: (message: string) => void;
}

export interface HelperRun {
  /** Host pid of the container process. */
  pid: number;
  /** The container's status when attached (the helper's first process waits for it and exits with it). */
  exitCode: Promise<number>;
  /** Detached: the runtime may exit without waiting for the helper. */
  release(): void;
}

export function startHelper(plan: readonly Step[], options: HelperOptions): Promise<HelperRun> {
  // The helper bin/tsd-runc started for this invocation, if any (process/preforked.ts).
  const preforked = claimPreforkedHelper();
  if (preforked) return runPreforkedHelper(preforked, plan, options);
  const syncFd = 3 + options.preserveFds;
  const stdio: ('inherit' | 'ignore' | 'pipe' | number)[] = [...options.stdio];
  for (let fd = 3; fd < syncFd; fd++) stdio.push(fd);
  stdio.push('pipe');
  // Loaded only here: child_process (with net and stream) costs a few ms of CPU at every create.
  const { spawn } = process.getBuiltinModule('node:child_process');
  const helper = spawn(helperPath(), ['init', String(syncFd)], { stdio });
  const exitCode = new Promise<number>((resolve) => {
    helper.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
  });
  const sync = helper.stdio[syncFd] as Duplex;
  sync.write(encodePlan(plan));
  return new Promise<HelperRun>((resolve, reject) => {
    let pid = 0;
    let buffered = '';
    let settled = false;
    const fail = (error: TsdError) => {
      if (settled) return;
      settled = true;
      sync.destroy();
      if (pid > 0) killQuietly(pid);
      reject(error);
    };
    const handle = async (message: HelperMessage) => {
      options.debug?.(`helper: ${JSON.stringify(message)}`);
      switch (message.type) {
        case 'pid':
          pid = message.pid;
          return;
        case 'sync':
          try {
            await options.onSync(message.point, pid);
            sync.write(ACK);
          } catch (error) {
            sync.write(ABORT);
            fail(error instanceof TsdError ? error : new TsdError('internal', String((error as Error).message ?? error), { cause: error }));
          }
          return;
        case 'ready':
          settled = true;
          sync.destroy();
          resolve({ pid, exitCode, release: () => helper.unref() });
          return;
        case 'exit': // only after the plan step report_exit, which a spawned helper is not sent
          return;
        case 'error':
          fail(helperError(message.step, message.errno, message.detail));
      }
    };
    // Messages are handled one at a time: a sync answer must go out before the next line counts.
    let queue = Promise.resolve();
    sync.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        queue = queue.then(() => handle(parseHelperMessage(line)));
      }
    });
    sync.on('error', () => undefined);
    sync.on('close', () => {
      void queue.then(() => fail(new TsdError('internal', 'container init exited before it was ready (see the runtime log)')));
    });
    helper.on('error', (error) => fail(new TsdError('unavailable', `cannot start the helper ${helperPath()}: ${error.message}`, { cause: error })));
  });
}

export function helperError(step: string, errno: number, detail: string): TsdError {
  if (step === 'hook') {
    const why = errno === 110 ? 'timed out' : errno === 125 ? 'exited with a non-zero status' : errnoText(errno);
    return new TsdError('internal', `container init failed: hook ${detail}: ${why}`);
  }
  if (step === 'lookpath') {
    // runc's wording, which dockerd matches to answer 127 (not found) or 126 (not executable).
    if (errno === 2 && !detail.includes('/')) return new TsdError('not-found', `exec: "${detail}": executable file not found in $PATH`);
    if (errno === 2) return new TsdError('not-found', `exec: "${detail}": stat ${detail}: no such file or directory`);
    return new TsdError('unavailable', `exec: "${detail}": ${errnoText(errno).replace(/ \(E[A-Z]+\)$/, '')}`);
  }
  const code = errno === 2 ? 'not-found' : errno === 1 || errno === 13 ? 'unavailable' : 'internal';
  const where = detail ? ` ${detail}` : '';
  return new TsdError(code, `container init failed: ${step}${where}: ${errnoText(errno)}`);
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
