/**
 * `tsd machine ssh`: a command (stdio streamed, no pty) or, without one, an interactive shell on
 * a pty (local terminal in raw mode, window size sent at start and on every resize). Resolves
 * with the remote exit code (128 + signal number when the command was killed by a signal).
 */
import { constants } from 'node:os';
import type { GuestSsh, RemoteExit } from './client.js';

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

/**
 * The local exit code: the guest's exit-status, or 128 + the signal's number. A channel that closed
 * with neither (the connection dropped, the guest's sshd died) gets 255, as OpenSSH's client does,
 * and a line on stderr that says so: a bare 255 would look like the command's own.
 */
export function localExitCode(end: RemoteExit, connectionError: Error | undefined, stderr: NodeJS.WritableStream): number {
  if (end.code !== undefined) return end.code;
  if (end.signal !== undefined) return 128 + ((constants.signals as Record<string, number>)[`SIG${end.signal}`] ?? 0);
  const why = connectionError?.message ?? 'the connection closed';
  stderr.write(`tsd: no exit status from the guest (${why})\n`);
  return 255;
}

export async function runCommand(ssh: GuestSsh, command: string, term: Terminal): Promise<number> {
  const { channel, ended } = await ssh.execChannel(command);
  channel.pipe(term.stdout, { end: false });
  channel.stderr.pipe(term.stderr, { end: false });
  term.stdin.pipe(channel);
  const end = await ended;
  term.stdin.unpipe(channel);
  term.stdin.pause();
  return localExitCode(end, ssh.error, term.stderr);
}

export async function runShell(ssh: GuestSsh, term: Terminal): Promise<number> {
  const size = () => ({ rows: term.stdout.rows || 24, cols: term.stdout.columns || 80 });
  const { channel, ended } = await ssh.shell({ term: process.env.TERM ?? 'xterm-256color', ...size(), height: 0, width: 0 });
  const raw = term.stdin.isTTY === true;
  if (raw) term.stdin.setRawMode(true);
  const onResize = () => channel.setWindow(size().rows, size().cols, 0, 0);
  term.stdout.on('resize', onResize);
  channel.pipe(term.stdout, { end: false });
  channel.stderr.pipe(term.stderr, { end: false });
  term.stdin.pipe(channel);
  try {
    return localExitCode(await ended, ssh.error, term.stderr);
  } finally {
    term.stdout.off('resize', onResize);
    term.stdin.unpipe(channel);
    if (raw) term.stdin.setRawMode(false);
    term.stdin.pause();
  }
}
