// runCommand (src/ssh/session.ts, behind `tsd machine ssh -- CMD` and `tsd machine logs --service`)
// against a real ssh2 server on loopback that answers a quick command the way a loaded link can
// deliver it: the exec's success reply, the output, the exit-status, EOF and close in one TCP write,
// so the client reads them all at once. (CI once saw `tsd machine logs --service sshd` exit 255:
// the exit-status had come in the same read as the success reply and its listener was added later.)
import test from 'ava';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import { GuestSsh } from '../../src/ssh/client.js';
import { parseableKeyPair, type MachineKeys } from '../../src/ssh/keys.js';
import { runCommand, type Terminal } from '../../src/ssh/session.js';

const host = parseableKeyPair('tsd-test-host');
const user = parseableKeyPair('tsd-test-user');
const keys: MachineKeys = { clientPrivate: user.private, clientPublic: user.public, hostPrivate: host.private, hostPublic: host.public };

/** The server's side of a TCP connection; while held, what the server writes is kept and then sent in one write. */
class HoldingSocket extends Duplex {
  private held: Buffer[] | undefined;

  constructor(private readonly tcp: Socket) {
    super();
    tcp.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) tcp.pause();
    });
    tcp.on('end', () => this.push(null));
    tcp.on('close', () => this.destroy());
    tcp.on('error', () => undefined);
  }

  hold(): void {
    this.held = [];
  }

  release(): void {
    const all = Buffer.concat(this.held ?? []);
    this.held = undefined;
    this.tcp.write(all);
  }

  /** What the server's process dying looks like to the client: what was written, then FIN. */
  hangUp(): void {
    this.tcp.end();
  }

  override _read(): void {
    this.tcp.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.held) this.held.push(chunk);
    else this.tcp.write(chunk);
    callback();
  }

  override _final(callback: () => void): void {
    this.tcp.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.tcp.destroy();
    callback(error);
  }
}

/**
 * What the test server does with an exec, all within the exec request's own tick; what it returns
 * runs after that answer went out.
 */
const answers: Record<string, (channel: ServerChannel, socket: HoldingSocket) => (() => void) | void> = {
  'exit 3': (channel) => {
    channel.write('out\n');
    channel.stderr.write('err\n');
    channel.exit(3);
    channel.end();
  },
  'kill -TERM $$': (channel) => {
    channel.exit('TERM', false, '');
    channel.end();
  },
  // the connection's end without a status: what a guest sshd that died mid-command looks like
  vanish: (channel, socket) => {
    channel.write('partial\n');
    return () => socket.hangUp();
  },
};

let tcp: NetServer;
let port: number;
let current: HoldingSocket | undefined;

test.before(async () => {
  const server = new ssh2.Server({ hostKeys: [host.private] }, (client) => {
    client.on('authentication', (ctx) => (ctx.method === 'publickey' && ctx.username === 'root' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('error', () => undefined);
    client.on('session', (accept) => {
      accept().on('exec', (acceptExec, _reject, info) => {
        const socket = current!;
        socket.hold();
        const after = answers[info.command]!(acceptExec(), socket);
        setImmediate(() => {
          socket.release();
          after?.();
        });
      });
    });
  });
  tcp = createServer((socket) => {
    current = new HoldingSocket(socket);
    server.injectSocket(current as unknown as Socket);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  port = (tcp.address() as AddressInfo).port;
});

test.after.always(() => {
  tcp?.close();
});

function terminal(): { term: Terminal; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const term = { stdin: new PassThrough(), stdout, stderr } as unknown as Terminal;
  return { term, out: () => out, err: () => err };
}

async function runOnce(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const ssh = await GuestSsh.connect({ port, keys });
  const { term, out, err } = terminal();
  try {
    const code = await runCommand(ssh, command, term);
    return { code, stdout: out(), stderr: err() };
  } finally {
    ssh.end();
  }
}

test.serial('the exit status that comes in the same read as the exec reply is not lost', async (t) => {
  t.deepEqual(await runOnce('exit 3'), { code: 3, stdout: 'out\n', stderr: 'err\n' });
});

test.serial('a command killed by a signal exits 128 + its number', async (t) => {
  t.deepEqual(await runOnce('kill -TERM $$'), { code: 143, stdout: '', stderr: '' });
});

test.serial('a connection that ends before the exit status: 255 and a line on stderr that says so', async (t) => {
  const result = await runOnce('vanish');
  t.is(result.code, 255);
  t.is(result.stdout, 'partial\n');
  t.regex(result.stderr, /^tsd: no exit status from the guest \(.+\)\n$/);
});
