/**
 * Runs the host tools the builder uses (apt-get, dpkg-deb, npm, depmod, strip, compressors)
 * asynchronously, failing with the tool's own stderr in a TsdError.
 */
import { spawn } from 'node:child_process';
import { TsdError } from '../../guest/api/errors.js';

export interface RunOptions {
  cwd?: string;
  /** stdin for the tool; stdout is returned. */
  input?: Buffer | string;
  /** File descriptor or stream target for stdout instead of capturing it. */
  stdoutFd?: number;
  /** The tool's whole environment (LC_ALL=C is added); default: the builder's own. */
  env?: NodeJS.ProcessEnv;
}

export async function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      // no input: no pipe (a tool that closes its stdin early would make our write fail with EPIPE)
      stdio: [options.input === undefined ? 'ignore' : 'pipe', options.stdoutFd ?? 'pipe', 'pipe'],
      env: { ...(options.env ?? process.env), LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'ENOENT' ? ` (not installed? run scripts/setup-host.sh)` : '';
      reject(new TsdError('unavailable', `cannot run ${command}${hint}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const stderr = Buffer.concat(err).toString('utf8').trim().split('\n').slice(-8).join('\n');
      reject(new TsdError('internal', `${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${stderr}`));
    });
    // EPIPE when the tool exits without reading its input: its exit status says what happened
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}
