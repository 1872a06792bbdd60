/**
 * The guest's SSH server: public-key authentication for root only, session channels (exec, shell,
 * pty, env, window-change, signal, the set-clock subsystem), direct-streamlocal channels to unix sockets, direct-tcpip to
 * guest addresses, reverse unix-socket forwards and UDP relay sessions (the host-ports channel).
 * Everything else (passwords, tcpip-forward, sftp and other subsystems) is refused.
 */
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel, Session } from 'ssh2';
import { GUEST_SSH_USER } from '../api/guest-layout.js';
import { findAuthorizedKey, verifySignature, type AuthorizedKey } from './authorized-keys.js';
import { runWithoutPty, type RunningProcess } from './exec-process.js';
import { runWithPty, type PtyProcess } from './pty-process.js';
import { sessionEnv } from './session-env.js';
import { parseUdpRelaySubsystem } from '../api/host-ports.js';
import { parseSetClockSubsystem } from '../api/guest-clock.js';
import { serveSetClock } from './set-clock.js';
import { cancelForClient, listenForClient } from './reverse-streamlocal.js';
import { forwardToTcp, forwardToUnixSocket } from './streamlocal.js';
import { relayUdp } from './udp-relay.js';

export interface SshServerOptions {
  /** OpenSSH private key text. */
  hostKey: string | Buffer;
  authorizedKeys: AuthorizedKey[];
  /** The machine's env (GuestConfig.env), given to every session. */
  env: Record<string, string>;
  log: (line: string) => void;
}

/**
 * The software version in our identification string. Clients such as ssh2 only use OpenSSH
 * extensions (streamlocal forwarding among them) with servers that identify as OpenSSH ≥ 5, and this
 * server implements the ones it accepts; the suffix says what it really is.
 */
const IDENT = 'OpenSSH_9.2_compatible_tsd';

export function createSshServer(options: SshServerOptions): ssh2.Server {
  let nextId = 1;
  return new ssh2.Server({ hostKeys: [options.hostKey], ident: IDENT }, (client) => {
    const id = nextId++;
    client.on('authentication', (ctx) => authenticate(ctx, options));
    client.on('ready', () => {
      client.on('session', (accept) => handleSession(accept(), options));
      client.on('openssh.streamlocal', (accept, reject, info) => forwardToUnixSocket(info.socketPath, accept, reject));
      client.on('tcpip', (accept, reject, info) => forwardToTcp(info.destIP, info.destPort, accept, reject));
      client.on('request', (accept, reject, name, info) => handleGlobalRequest(client, name, info, accept, reject, options));
    });
    client.on('error', (error) => options.log(`connection ${id}: ${error.message}`));
    watchClose(client, id, options);
  });
}

/**
 * Reverse unix-socket forwards (the host-ports channel) are the only global requests accepted;
 * tcpip-forward and the rest are refused.
 */
function handleGlobalRequest(
  client: Connection,
  name: string,
  info: unknown,
  accept: (() => void) | undefined,
  reject: (() => void) | undefined,
  options: SshServerOptions,
): void {
  const socketPath = (info as { socketPath?: unknown }).socketPath;
  if (typeof socketPath !== 'string') return reject?.();
  if (name === 'streamlocal-forward@openssh.com') {
    listenForClient(client, socketPath, options.log).then(
      () => accept?.(),
      (error: Error) => {
        options.log(`streamlocal-forward ${socketPath}: ${error.message}`);
        reject?.();
      },
    );
  } else if (name === 'cancel-streamlocal-forward@openssh.com') {
    cancelForClient(client, socketPath).then((done) => (done ? accept?.() : reject?.()));
  } else {
    reject?.();
  }
}

function watchClose(client: Connection, id: number, options: SshServerOptions): void {
  client.on('close', () => options.log(`connection ${id} closed`));
}

function authenticate(ctx: AuthContext, options: SshServerOptions): void {
  if (ctx.method !== 'publickey' || ctx.username !== GUEST_SSH_USER) {
    ctx.reject(['publickey']);
    return;
  }
  const key = findAuthorizedKey(options.authorizedKeys, ctx.key.data);
  if (!key) {
    ctx.reject(['publickey']);
    return;
  }
  // Without a signature the client only asks whether the key would do; with one it must verify.
  if (ctx.signature && (!ctx.blob || !verifySignature(key, ctx.blob, ctx.signature, ctx.hashAlgo))) {
    options.log(`rejected a bad signature for ${key.type} ${key.comment}`);
    ctx.reject(['publickey']);
    return;
  }
  ctx.accept();
}

interface PtyRequest {
  term: string;
  cols: number;
  rows: number;
  width: number;
  height: number;
}

function handleSession(session: Session, options: SshServerOptions): void {
  const requestedEnv: Record<string, string> = {};
  let pty: PtyRequest | undefined;
  let running: RunningProcess | PtyProcess | undefined;

  session.on('env', (accept, _reject, info) => {
    requestedEnv[info.key] = info.val;
    accept?.();
  });
  session.on('pty', (accept, _reject, info) => {
    pty = { term: info.term, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    if (running && 'resize' in running) running.resize({ cols: info.cols, rows: info.rows, widthPx: info.width, heightPx: info.height });
    accept?.();
  });
  session.on('signal', (accept, _reject, info) => {
    running?.signal(info.name);
    accept?.();
  });
  const start = (channel: ServerChannel, command: string | undefined) => {
    const env = sessionEnv(options.env, requestedEnv, pty?.term);
    if (pty) {
      const size = { cols: pty.cols, rows: pty.rows, widthPx: pty.width, heightPx: pty.height };
      running = runWithPty(channel, { command, env, cwd: '/root', size });
    } else {
      running = runWithoutPty(channel, { command: command ?? 'exec /bin/sh -l', env, cwd: '/root' });
    }
  };
  session.on('exec', (accept, _reject, info) => start(accept(), info.command));
  session.on('shell', (accept) => start(accept(), undefined));
  session.on('subsystem', (accept, reject, info) => {
    const clockMs = parseSetClockSubsystem(info.name);
    if (clockMs !== undefined) return serveSetClock(accept(), clockMs);
    const target = parseUdpRelaySubsystem(info.name);
    if (target === undefined) reject();
    else relayUdp(accept(), target, options.log);
  });
}
