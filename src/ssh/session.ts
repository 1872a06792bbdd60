/**
 * `tsd machine ssh`: a command (stdio streamed, no pty) or, without one, an interactive shell on
 * a pty (local terminal in raw mode, window size sent at start and on every resize). Resolves
 * with the remote exit code (128 + signal number when the command was killed by a signal).
 */
import { constants } from 'node:os';
import type { ClientChannel } from 'ssh2';
import type { GuestSsh } from './client.js';

export interface Terminal {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Joins argv into one command line: a single argument is taken as written (a shell snippet). */
export function commandLine(argv: string[]): string {
  if (argv.length === 1) return argv[0]!;
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}

function exitCodeOf(channel: ClientChannel): Promise<number> {
  return new Promise((resolve) => {
    let code = 255; // no exit-status at all: the connection or the server failed
    channel.on('exit', (exitCode: number | null, signal?: string) => {
      if (typeof exitCode === 'number') code = exitCode;
      else if (signal !== undefined) code = 128 + ((constants.signals as Record<string, number>)[`SIG${signal}`] ?? 0);
    });
    channel.on('close', () => resolve(code));
  });
}

export async function runCommand(ssh: GuestSsh, command: string, term: Terminal): Promise<number> {
  const channel = await ssh.execChannel(command);
  const code = exitCodeOf(channel);
  channel.pipe(term.stdout, { end: false });
  channel.stderr.pipe(term.stderr, { end: false });
  term.stdin.pipe(channel);
  const result = await code;
  term.stdin.unpipe(channel);
  term.stdin.pause();
  return result;
}

export async function runShell(ssh: GuestSsh, term: Terminal): Promise<number> {
  const size = () => ({ rows: term.stdout.rows || 24, cols: term.stdout.columns || 80 });
  const channel = await ssh.shell({ term: process.env.TERM ?? 'xterm-256color', ...size(), height: 0, width: 0 });
  const code = exitCodeOf(channel);
  const raw = term.stdin.isTTY === true;
  if (raw) term.stdin.setRawMode(true);
  const onResize = () => channel.setWindow(size().rows, size().cols, 0, 0);
  term.stdout.on('resize', onResize);
  channel.pipe(term.stdout, { end: false });
  channel.stderr.pipe(term.stderr, { end: false });
  term.stdin.pipe(channel);
  try {
    return await code;
  } finally {
    term.stdout.off('resize', onResize);
    term.stdin.unpipe(channel);
    if (raw) term.stdin.setRawMode(false);
    term.stdin.pause();
  }
}
