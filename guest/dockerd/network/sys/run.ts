/**
 * Runs iproute2 and nftables asynchronously (the engine's event loop keeps serving while they run)
 * and turns a failure into a TsdError that quotes the tool's own message.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { TsdError } from '../../../api/errors.js';

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const resolved = new Map<string, string>();

/**
 * The system's program, never one from PATH: under npm, PATH starts with node_modules/.bin, where
 * an unrelated "nft" (@vercel/nft) lives.
 */
export function systemBinary(name: string): string {
  const known = resolved.get(name);
  if (known) return known;
  for (const dir of SYSTEM_DIRS) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      resolved.set(name, `${dir}/${name}`);
      return `${dir}/${name}`;
    } catch {
      // next directory
    }
  }
  throw new TsdError('unavailable', `${name} not found in ${SYSTEM_DIRS.join(', ')} (the engine needs iproute2, nftables and nsenter)`);
}

export async function run(argv: string[], input?: string): Promise<string> {
  const [name, ...args] = argv;
  if (!name) throw new TsdError('invalid-argument', 'empty command');
  const file = systemBinary(name);
  return await new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    child.on('error', (error) => reject(new TsdError('unavailable', `${file}: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else {
        const why = signal ? `killed by ${signal}` : `exit ${code}`;
        const what = input ? `${argv.join(' ')} <<${input.trim().split('\n').length} lines>>` : argv.join(' ');
        reject(new TsdError('internal', `${what}: ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      }
    });
  });
}

/** `ip -batch -`, optionally inside the network namespace at `netnsPath`. */
export async function ipBatch(lines: string[], netnsPath?: string): Promise<void> {
  if (lines.length === 0) return;
  // The full path: busybox's nsenter (the guest's) runs its own `ip` applet for a bare name.
  const argv = netnsPath ? ['nsenter', `--net=${netnsPath}`, systemBinary('ip'), '-batch', '-'] : ['ip', '-batch', '-'];
  await run(argv, lines.join('\n') + '\n');
}

/** `ip -j ARGS…` parsed. */
export async function ipJson<T>(args: string[]): Promise<T> {
  const out = await run(['ip', '-j', ...args]);
  return (out.trim() ? JSON.parse(out) : []) as T;
}
