/**
 * A shell or command on a pseudo-terminal. The child becomes a session leader with the pty slave as
 * its controlling terminal (`setsid -c`, which busybox and util-linux both provide), so job control,
 * `tty` and SIGWINCH work. The server keeps the master; window-change requests resize it.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import tty from 'node:tty';
import type { ServerChannel } from 'ssh2';
import { openPty, setWindowSize, type WindowSize } from '../sys/pty.js';
import { deliver, finish, type ProcessOptions, type RunningProcess } from './exec-process.js';

export interface PtyProcess extends RunningProcess {
  resize(size: WindowSize): void;
}

/** command undefined: a login shell. */
export function runWithPty(channel: ServerChannel, options: Omit<ProcessOptions, 'command'> & { command?: string; size: WindowSize }): PtyProcess {
  const pty = openPty();
  setWindowSize(pty.masterFd, options.size);
  const slaveFd = openSync(pty.slavePath, constants.O_RDWR | constants.O_NOCTTY);
  const shellArgs = options.command === undefined ? ['-l'] : ['-c', options.command];
  const child = spawn('setsid', ['-c', '/bin/sh', ...shellArgs], {
    env: options.env,
    cwd: options.cwd,
    stdio: [slaveFd, slaveFd, slaveFd],
  });
  closeSync(slaveFd);

  // The master is a tty: libuv reads and writes it as a stream without reopening it.
  const master = new tty.ReadStream(pty.masterFd);
  master.pipe(channel, { end: false });
  channel.on('data', (chunk: Buffer) => master.write(chunk));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let done = false;
  let masterClosed = false;
  const complete = () => {
    if (done || !exit) return;
    done = true;
    master.destroy();
    finish(channel, exit.code, exit.signal);
  };
  // Once the last holder of the slave closes it, reading the master fails with EIO: all output is read.
  const onMasterClosed = () => {
    masterClosed = true;
    complete();
  };
  master.on('error', onMasterClosed);
  master.on('end', onMasterClosed);
  child.on('error', (error) => {
    channel.write(`tsd-sshd: ${error.message}\r\n`);
    exit = { code: 127, signal: null };
    complete();
  });
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    if (masterClosed) complete();
    // A background job may keep the slave open; do not wait for it beyond a short grace.
    else setTimeout(complete, 250).unref();
  });
  channel.on('close', () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGHUP');
    if (!done) master.destroy();
  });
  return {
    signal: (name) => deliver(child, name),
    resize: (size) => setWindowSize(pty.masterFd, size),
  };
}
