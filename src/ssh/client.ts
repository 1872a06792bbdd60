/**
 * One SSH connection to a machine's guest: key authentication with the machine's client key,
 * the guest's host key pinned (anything else is refused), keepalives so that a dead guest is
 * noticed. Channels for commands, shells and the Docker socket are opened on it.
 */
import ssh2 from 'ssh2';
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import { TsdError } from '../../guest/api/errors.js';
import { GUEST_SSH_USER } from '../../guest/api/guest-layout.js';
import { publicKeyBlob, type MachineKeys } from './keys.js';

export interface SshTarget {
  port: number;
  keys: MachineKeys;
  /** Handshake timeout. */
  readyTimeoutMs?: number;
}

export interface ExecResult {
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** How a command or shell in the guest ended, as the client saw it. */
export interface RemoteExit {
  /** The exit-status the guest sent. */
  code?: number;
  /** The exit-signal's name, without "SIG" ("TERM"). */
  signal?: string;
}

/** A command or shell channel, with its end watched from the moment ssh2 handed it over. */
export interface RemoteProcess {
  channel: ClientChannel;
  /** Resolves when the channel closes; neither code nor signal when the connection ended first. */
  ended: Promise<RemoteExit>;
}

export class GuestSsh {
  /** The connection's error after it was ready (a reset, a keepalive timeout), if any. */
  private failure: Error | undefined;

  private constructor(readonly client: ssh2.Client) {
    client.on('error', (error: Error) => (this.failure ??= error));
  }

  /** Why the connection ended early, for a message; undefined when no error was seen. */
  get error(): Error | undefined {
    return this.failure;
  }

  static connect(target: SshTarget): Promise<GuestSsh> {
    const pinned = publicKeyBlob(target.keys.hostPublic);
    const client = new ssh2.Client();
    return new Promise((resolve, reject) => {
      // Errors can come more than once (e.g. a reset after a failed handshake); the first decides,
      // and later ones only end the connection, which owners notice through 'close'.
      let settled = false;
      client.on('error', (error: Error) => {
        if (settled) return;
        settled = true;
        client.end();
        reject(new TsdError('unavailable', `SSH to 127.0.0.1:${target.port}: ${error.message}`, { cause: error }));
      });
      client.once('ready', () => {
        settled = true;
        resolve(new GuestSsh(client));
      });
      client.connect({
        host: '127.0.0.1',
        port: target.port,
        username: GUEST_SSH_USER,
        privateKey: target.keys.clientPrivate,
        hostVerifier: (key: Buffer) => key.equals(pinned),
        readyTimeout: target.readyTimeoutMs ?? 20_000,
        keepaliveInterval: 5_000,
        keepaliveCountMax: 3,
      });
    });
  }

  /** Resolves when the connection closes, for whatever reason. */
  closed(): Promise<void> {
    return new Promise((resolve) => this.client.once('close', () => resolve()));
  }

  end(): void {
    this.client.end();
  }

  /** Runs a command and collects its output (for short commands; no stdin). */
  exec(command: string): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) return reject(new TsdError('unavailable', `SSH exec failed: ${error.message}`, { cause: error }));
        let stdout = '';
        let stderr = '';
        let code = -1;
        let signal: string | undefined;
        channel.setEncoding('utf8');
        channel.stderr.setEncoding('utf8');
        channel.on('data', (chunk: string) => (stdout += chunk));
        channel.stderr.on('data', (chunk: string) => (stderr += chunk));
        channel.on('exit', (exitCode: number | null, exitSignal?: string) => {
          code = exitCode ?? -1;
          signal = exitSignal;
        });
        channel.on('close', () => resolve(signal === undefined ? { code, stdout, stderr } : { code, signal, stdout, stderr }));
      });
    });
  }

  /** Opens a channel for a command; the caller wires stdio and awaits `ended`. */
  execChannel(command: string, pty?: PseudoTtyOptions): Promise<RemoteProcess> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) =>
        error ? reject(new TsdError('unavailable', `SSH exec failed: ${error.message}`, { cause: error })) : resolve(watchEnd(channel));
      if (pty === undefined) this.client.exec(command, done);
      else this.client.exec(command, { pty }, done);
    });
  }

  shell(pty: PseudoTtyOptions): Promise<RemoteProcess> {
    return new Promise((resolve, reject) => {
      this.client.shell(pty, (error, channel) =>
        error ? reject(new TsdError('unavailable', `SSH shell failed: ${error.message}`, { cause: error })) : resolve(watchEnd(channel)),
      );
    });
  }

  /** A stream to a unix socket in the guest (OpenSSH's direct-streamlocal@openssh.com). */
  openStreamLocal(socketPath: string): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.openssh_forwardOutStreamLocal(socketPath, (error, channel) =>
        error ? reject(new TsdError('unavailable', `cannot reach ${socketPath} in the guest: ${error.message}`, { cause: error })) : resolve(channel),
      );
    });
  }
}

/**
 * Listens for the channel's exit-status / exit-signal at once, in ssh2's callback. A quick command's
 * whole answer (the exec's success reply, output, exit-status, EOF, close) can come in one read, and
 * ssh2 emits 'exit' while still parsing it: a listener added after an await (a microtask later)
 * misses it, and the command looked like it ended with no status (255).
 */
function watchEnd(channel: ClientChannel): RemoteProcess {
  const ended = new Promise<RemoteExit>((resolve) => {
    const result: RemoteExit = {};
    channel.on('exit', (code: number | null, signal?: string) => {
      if (typeof code === 'number') result.code = code;
      else if (signal !== undefined) result.signal = signal.replace(/^SIG/, '');
    });
    channel.on('close', () => resolve(result));
  });
  return { channel, ended };
}
