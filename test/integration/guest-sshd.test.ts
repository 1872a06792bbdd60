// The guest SSH server on a loopback port, driven by a real ssh2 client: exec, stdin EOF, exit
// status and signals, a pty shell, env requests, streamlocal forwarding and refused logins.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import { parseAuthorizedKeys } from '../../guest/sshd/authorized-keys.js';
import { createSshServer } from '../../guest/sshd/ssh-server.js';
import { parseableKeyPair } from '../../src/ssh/keys.js';

const hostKey = parseableKeyPair('tsd-test');
const userKey = parseableKeyPair('tsd-test');
const strangerKey = parseableKeyPair('tsd-test');

let server: ssh2.Server;
let port: number;
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'tsd-guest-sshd-'));
  server = createSshServer({
    hostKey: hostKey.private,
    authorizedKeys: parseAuthorizedKeys([userKey.public]),
    env: { TSD_MACHINE_ENV: 'from-machine' },
    log: () => undefined,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.after.always(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

function connect(privateKey: string = userKey.private, extra: Partial<ssh2.ConnectConfig> = {}): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client)).on('error', reject);
    client.connect({ host: '127.0.0.1', port, username: 'root', privateKey, ...extra });
  });
}

interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal?: string;
}

function collect(channel: ClientChannel): Promise<ExecResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    channel.on('close', (code: number | null, signal?: string) => resolve({ stdout, stderr, code, signal }));
  });
}

function exec(client: ssh2.Client, command: string, options: ssh2.ExecOptions = {}): Promise<ClientChannel> {
  return new Promise((resolve, reject) => client.exec(command, options, (error, channel) => (error ? reject(error) : resolve(channel))));
}

test('exec returns stdout, stderr and the exit status', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const result = await collect(await exec(client, 'echo out; echo err >&2; exit 3'));
  t.deepEqual(result, { stdout: 'out\n', stderr: 'err\n', code: 3, signal: undefined });
});

test('exec reports a signal death as exit-signal', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const result = await collect(await exec(client, 'kill -TERM $$'));
  t.is(result.code, null);
  // The wire carries "TERM"; the ssh2 client reports it with the SIG prefix.
  t.is(result.signal, 'SIGTERM');
});

test('a signal request reaches the command', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const channel = await exec(client, 'echo started; exec sleep 1000');
  const result = collect(channel);
  await new Promise<void>((resolve) => channel.once('data', () => resolve()));
  channel.signal('INT');
  const { code, signal } = await result;
  t.is(code, null);
  t.is(signal, 'SIGINT');
});

test('stdin is streamed and its EOF reaches the command', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const channel = await exec(client, 'wc -c; echo done');
  const result = collect(channel);
  channel.write('x'.repeat(100_000));
  channel.end();
  const { stdout, code } = await result;
  t.is(stdout.trim().split(/\s+/).join(' '), '100000 done');
  t.is(code, 0);
});

test('env requests and the machine env reach the session', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const result = await collect(await exec(client, 'echo "$GREETING $TSD_MACHINE_ENV $HOME"', { env: { GREETING: 'hi' } }));
  t.is(result.stdout, 'hi from-machine /root\n');
});

test('a pty shell is a controlling terminal that echoes and follows window changes', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.shell({ term: 'xterm', rows: 24, cols: 80 }, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
  let output = '';
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (pattern.test(output)) {
          channel.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        check();
      };
      channel.on('data', onData);
      check();
    });
  const closed = collect(channel);
  channel.write('echo marker-$((6*7)); tty; stty size\n');
  await waitFor(/marker-42[\s\S]*\/dev\/pts\/\d+[\s\S]*24 80/);
  // The typed command is echoed back by the terminal's line discipline.
  t.regex(output, /echo marker-\$\(\(6\*7\)\)/);
  channel.setWindow(50, 132, 0, 0);
  channel.write('stty size\n');
  await waitFor(/50 132/);
  channel.write('exit 7\n');
  const result = await closed;
  t.is(result.code, 7);
});

test('exec with a pty runs the command on a terminal', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const result = await collect(await exec(client, 'test -t 0 && tty', { pty: { rows: 10, cols: 40, term: 'vt100' } }));
  t.regex(result.stdout, /^\/dev\/pts\/\d+\r?\n$/);
  t.is(result.code, 0);
});

test('direct-streamlocal reaches a unix socket, both directions half-close', async (t) => {
  const socketPath = join(dir, 'echo.sock');
  // The peer answers only after the client's EOF, then ends its side: both half-closes must pass.
  const peer: NetServer = createServer({ allowHalfOpen: true }, (socket) => {
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('end', () => socket.end(`got:${received}`));
  });
  await new Promise<void>((resolve) => peer.listen(socketPath, resolve));
  t.teardown(() => peer.close());
  const client = await connect();
  t.teardown(() => client.end());
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.openssh_forwardOutStreamLocal(socketPath, (error, stream) => (error ? reject(error) : resolve(stream))),
  );
  const reply = new Promise<string>((resolve) => {
    let text = '';
    channel.on('data', (chunk: Buffer) => (text += chunk.toString()));
    channel.on('end', () => resolve(text));
  });
  channel.write('hello ');
  channel.end('world');
  t.is(await reply, 'got:hello world');
});

test('streamlocal to a missing socket is refused', async (t) => {
  const client = await connect();
  t.teardown(() => client.end());
  const error = await new Promise<Error | undefined>((resolve) =>
    client.openssh_forwardOutStreamLocal(join(dir, 'missing.sock'), (err) => resolve(err ?? undefined)),
  );
  t.truthy(error);
});

test('unknown keys, passwords and other users are refused', async (t) => {
  await t.throwsAsync(connect(strangerKey.private), { message: /authentication methods failed/ });
  await t.throwsAsync(connect(undefined as unknown as string, { password: 'root', privateKey: undefined }), {
    message: /authentication methods failed/,
  });
  await t.throwsAsync(connect(userKey.private, { username: 'nobody' }), { message: /authentication methods failed/ });
});
