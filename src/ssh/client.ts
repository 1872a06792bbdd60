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

export class GuestSsh {
  private constructor(readonly client: ssh2.Client) {}

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

  /** Opens a channel for a command; the caller wires stdio and watches 'exit'. */
  execChannel(command: string, pty?: PseudoTtyOptions): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) =>
        error ? reject(new TsdError('unavailable', `SSH exec failed: ${error.message}`, { cause: error })) : resolve(channel);
      if (pty === undefined) this.client.exec(command, done);
      else this.client.exec(command, { pty }, done);
    });
  }

  shell(pty: PseudoTtyOptions): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      this.client.shell(pty, (error, channel) =>
        error ? reject(new TsdError('unavailable', `SSH shell failed: ${error.message}`, { cause: error })) : resolve(channel),
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
