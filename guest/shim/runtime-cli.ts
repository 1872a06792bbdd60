/**
 * The OCI runtime, driven through its runc-compatible command line: tsd-runc by default, or any
 * runc (the runtime options' BinaryName). Global flags as containerd's shim passes them:
 * --root, --log <bundle>/log.json --log-format json. A failure becomes a TsdError carrying the
 * runtime's own last error message.
 */
import { readFileSync, statSync } from 'node:fs';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { TsdError } from '../api/errors.js';
import type { Reaper } from './reaper.js';

export interface RuntimeConfig {
  binary: string;
  /** The runtime's state root (runc --root). */
  root: string;
  bundle: string;
}

export interface RunOptions {
  stdio?: StdioOptions;
  input?: string | Buffer;
}

export class RuntimeCli {
  constructor(
    readonly config: RuntimeConfig,
    private readonly reaper: Reaper,
  ) {}

  get logPath(): string {
    return join(this.config.bundle, 'log.json');
  }

  /** Runs `runtime <global flags> args`; resolves with stdout, throws with the runtime's error. */
  run(args: readonly string[], options: RunOptions = {}): Promise<string> {
    const { binary, root } = this.config;
    const argv = ['--root', root, '--log', this.logPath, '--log-format', 'json', ...args];
    const stdio: StdioOptions = options.stdio ?? [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
    const logOffset = fileSize(this.logPath);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = this.reaper.spawn(binary, argv, { stdio, cwd: this.config.bundle });
      } catch (error) {
        reject(new TsdError('unavailable', `cannot run the OCI runtime ${binary}: ${(error as Error).message}`));
        return;
      }
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      if (options.input !== undefined) child.stdin?.end(options.input);
      child.once('error', (error) => reject(new TsdError('unavailable', `cannot run the OCI runtime ${binary}: ${error.message}`)));
      child.once('close', (code, signal) => {
        if (code === 0) return resolve(stdout);
        const detail = this.lastError(logOffset) ?? (stderr.trim() || `exit ${code ?? signal}`);
        reject(new TsdError(errorCode(detail), `${binary} ${args[0]} failed: ${detail}`));
      });
    });
  }

  /** The last error-level message the runtime wrote to its json log during this call. */
  private lastError(offset: number): string | undefined {
    let text: string;
    try {
      text = readFileSync(this.logPath).subarray(offset).toString('utf8');
    } catch {
      return undefined;
    }
    const lines = text.trim().split('\n').reverse();
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string };
        if (entry.level === 'error' && entry.msg) return entry.msg;
      } catch {
        // a torn line: skip it
      }
    }
    return undefined;
  }
}

function errorCode(detail: string): 'not-found' | 'conflict' | 'internal' {
  if (/does not exist|not exist|no such process|not found/i.test(detail)) return 'not-found';
  if (/not running|not paused|is paused|already|stopped/i.test(detail)) return 'conflict';
  return 'internal';
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
