/**
 * A command run without a terminal: `/bin/sh -c COMMAND` with stdin, stdout and stderr streamed over
 * the channel, EOF passed on, and exit-status / exit-signal sent back before the channel closes.
 */
import { spawn } from 'node:child_process';
import type { ServerChannel } from 'ssh2';

export interface ProcessOptions {
  command: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface RunningProcess {
  /** Delivers a signal named as in SSH ("INT", "TERM", …). */
  signal(name: string): void;
}

export function runWithoutPty(channel: ServerChannel, options: ProcessOptions): RunningProcess {
  const child = spawn('/bin/sh', ['-c', options.command], { env: options.env, cwd: options.cwd, stdio: 'pipe' });
  channel.pipe(child.stdin);
  child.stdout.pipe(channel, { end: false });
  child.stderr.pipe(channel.stderr, { end: false });
  // A client that stops reading stdin (or a child that exits early) must not crash the server.
  child.stdin.on('error', () => undefined);
  child.on('error', (error) => {
    channel.stderr.write(`tsd-sshd: ${error.message}\n`);
    finish(channel, 127, null);
  });
  // 'close' comes after stdout and stderr have ended, so every byte is in the channel by then.
  child.on('close', (code, signal) => finish(channel, code, signal));
  channel.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGHUP');
  });
  return { signal: (name) => deliver(child, name) };
}

export function finish(channel: ServerChannel, code: number | null, signal: NodeJS.Signals | null): void {
  if (signal) channel.exit(signal.replace(/^SIG/, ''), false, '');
  else channel.exit(code ?? 255);
  channel.end();
}

export function deliver(child: { kill(signal: NodeJS.Signals): boolean; exitCode: number | null }, name: string): void {
  const signal = `SIG${name.replace(/^SIG/, '')}` as NodeJS.Signals;
  try {
    if (child.exitCode === null) child.kill(signal);
  } catch {
    // An unknown signal name from the client is ignored, as OpenSSH does.
  }
}
