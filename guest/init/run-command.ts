/**
 * Runs a program asynchronously (never spawnSync: the init's event loop keeps serving signals and
 * services while mkfs or modprobe run) and collects its output.
 */
import { spawn } from 'node:child_process';
import { TsdError } from '../api/errors.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Accept a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

export function runCommand(argv: string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new TsdError('invalid-argument', 'empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => reject(new TsdError('unavailable', `${file}: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      const result = { code: code ?? 128, stdout, stderr };
      if (code === 0 || options.allowFailure) resolve(result);
      else {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        reject(new TsdError('internal', `${argv.join(' ')}: ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      }
    });
  });
}
