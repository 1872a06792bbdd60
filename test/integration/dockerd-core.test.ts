// dockerd's core without containerd: configuration (flags, daemon.json, conflicts, validation that
// names the key), HTTP robustness (oversized headers, garbage, unknown routes and versions), and
// the hijack + stdcopy helpers over a real unix socket with half-close.
import test from 'ava';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeServer } from '../../guest/dockerd/engine-server.js';
import { hijack, MULTIPLEXED_STREAM } from '../../guest/dockerd/http/hijack.js';
import { FrameDecoder, frame, STDERR, STDOUT } from '../../guest/dockerd/http/stdcopy.js';
import { Router } from '../../guest/dockerd/router.js';
import { apiRequest } from '../helpers/host-engine.js';

const DOCKERD = resolve('dist/guest/dockerd.mjs');
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsdtest-dockerd-core-'));
});

test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function dockerdFails(args: string[]): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, [DOCKERD, ...args]);
  } catch (error) {
    const failure = error as { code: number; stderr: string };
    if (failure.code !== 1) throw error;
    return failure.stderr;
  }
  throw new Error(`dockerd ${args.join(' ')} started instead of failing`);
}

async function configFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('a key set both as a flag and in daemon.json is refused like dockerd', async (t) => {
  const file = await configFile('conflict.json', { 'data-root': '/var/lib/from-file' });
  const stderr = await dockerdFails(['--config-file', file, '--data-root', '/var/lib/from-flag', '-H', `unix://${dir}/c.sock`]);
  t.regex(stderr, /the following directives are specified both as a flag and in the configuration file: data-root: \(from flag: \/var\/lib\/from-flag, from file: \/var\/lib\/from-file\)/);
});

test('daemon.json validation names the key', async (t) => {
  t.regex(await dockerdFails(['--config-file', await configFile('unknown.json', { colour: 'red' })]), /don't match any configuration option: colour/);
  t.regex(await dockerdFails(['--config-file', await configFile('type.json', { debug: 'yes' })]), /invalid value for "debug": want true or false/);
  t.regex(await dockerdFails(['--config-file', await configFile('bip.json', { bip: '300.1.1.1/16' })]), /invalid value for "bip"/);
  t.regex(await dockerdFails(['--config-file', await configFile('mirror.json', { 'registry-mirrors': ['ftp://x'] })]), /invalid value for "registry-mirrors"/);
  t.regex(await dockerdFails(['--config-file', await configFile('pools.json', { 'default-address-pools': [{ base: '10.0.0.0/8', size: 4 }] })]), /invalid value for "default-address-pools": entry 0/);
  t.regex(await dockerdFails(['--config-file', await configFile('broken.json', '{"debug": tru')]), /unable to configure the Docker daemon with file .*broken\.json: invalid JSON/);
  t.regex(await dockerdFails(['--bogus-flag']), /Unknown option '--bogus-flag'/);
});

/** Runs the dockerd bundle (no containerd: the core must serve anyway) until the test ends. */
async function startDockerd(t: { teardown(fn: () => void): void }, args: string[]): Promise<{ socket: string; child: ChildProcess }> {
  const socket = join(dir, `d-${Math.random().toString(16).slice(2)}.sock`);
  const child = spawn(process.execPath, [DOCKERD, '-H', `unix://${socket}`, '--containerd', join(dir, 'absent.sock'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void (child.exitCode === null && process.kill(child.pid!, 'SIGKILL')));
  await new Promise<void>((resolvePromise, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolvePromise();
    });
    child.once('exit', (code) => reject(new Error(`dockerd exited ${code}`)));
  });
  return { socket, child };
}

test('daemon.json settings reach /info', async (t) => {
  const file = await configFile('good.json', {
    'registry-mirrors': ['http://127.0.0.1:5999/'], 'insecure-registries': ['127.0.0.1:5999'], 'live-restore': true, debug: true,
  });
  const { socket } = await startDockerd(t, ['--config-file', file, '--data-root', join(dir, 'root-good'), '--exec-root', join(dir, 'exec-good')]);
  const info = (await apiRequest(socket, 'GET', '/info')).json<{ Debug: boolean; LiveRestoreEnabled: boolean; DockerRootDir: string; RegistryConfig: { Mirrors: string[] }; Warnings: string[] }>();
  t.true(info.Debug);
  t.true(info.LiveRestoreEnabled);
  t.is(info.DockerRootDir, join(dir, 'root-good'));
  t.deepEqual(info.RegistryConfig.Mirrors, ['http://127.0.0.1:5999']);
  t.regex(info.Warnings.join('\n'), /containerd at .*absent\.sock is not reachable/);
});

test('bad requests get Docker-shaped errors and the daemon keeps serving', async (t) => {
  const { socket } = await startDockerd(t, ['--data-root', join(dir, 'root-bad'), '--exec-root', join(dir, 'exec-bad')]);
  const notFound = await apiRequest(socket, 'GET', '/no/such/route');
  t.is(notFound.status, 404);
  t.deepEqual(notFound.json(), { message: 'page not found' });
  const tooOld = await apiRequest(socket, 'GET', '/v1.12/info');
  t.is(tooOld.status, 400);
  t.regex(tooOld.json<{ message: string }>().message, /client version 1\.12 is too old\. Minimum supported API version is 1\.24/);
  // Headers past dockerd's 1 MiB limit: 431, on a connection that the server then closes.
  const huge = await rawExchange(socket, `GET /_ping HTTP/1.1\r\nHost: d\r\nX-Padding: ${'a'.repeat(1100 * 1024)}\r\n\r\n`);
  t.regex(huge, /^HTTP\/1\.1 431 Request Header Fields Too Large/);
  const garbage = await rawExchange(socket, 'THIS IS NOT HTTP\r\n\r\n');
  t.regex(garbage, /^HTTP\/1\.1 400 Bad Request/);
  const badFilter = await apiRequest(socket, 'GET', '/events?filters=%7Bnot-json');
  t.is(badFilter.status, 400);
  t.regex(badFilter.json<{ message: string }>().message, /^invalid filter/);
  const ping = await apiRequest(socket, 'GET', '/v1.24/_ping');
  t.is(ping.status, 200);
  t.is(ping.text, 'OK');
  t.is(ping.headers['api-version'], '1.51');
});

function rawExchange(socket: string, text: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const conn = connect(socket);
    let out = '';
    conn.on('data', (d: Buffer) => (out += d.toString()));
    conn.on('end', () => resolvePromise(out));
    // The server may close while we are still writing (EPIPE): what it answered is what counts.
    conn.on('error', (error) => (out ? resolvePromise(out) : reject(error)));
    conn.write(text);
  });
}

test('hijack: 101 UPGRADED, multiplexed frames out, stdin in, half-close keeps our side writable', async (t) => {
  const router = new Router().add('POST', '/echo', (req, res) => {
    const stream = hijack(req, res, { contentType: MULTIPLEXED_STREAM });
    stream.socket.write(frame(STDOUT, Buffer.from('hello\n')));
    const input: Buffer[] = [];
    stream.socket.on('data', (chunk: Buffer) => input.push(chunk));
    // After the client's EOF (its half-close) we still answer: that is what attach needs.
    stream.socket.on('end', () => {
      stream.socket.write(frame(STDERR, Buffer.concat(input)));
      stream.close();
    });
  });
  router.add('POST', '/out', (req, res) => {
    const stream = hijack(req, res);
    stream.socket.write('raw output');
    stream.close();
  });
  const server: Server = makeServer(router);
  const socket = join(dir, 'hijack.sock');
  await new Promise<void>((resolvePromise) => server.listen(socket, resolvePromise));
  t.teardown(() => void server.close());
  const result = await new Promise<{ status: number; type: string | undefined; frames: Array<{ stream: number; text: string }> }>((resolvePromise, reject) => {
    const req = request({ socketPath: socket, method: 'POST', path: '/echo', headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
    req.on('upgrade', (res, conn, head) => {
      const decoder = new FrameDecoder();
      const frames: Array<{ stream: number; text: string }> = [];
      const take = (chunk: Buffer): void => void frames.push(...decoder.push(chunk).map((f) => ({ stream: f.stream, text: f.data.toString() })));
      if (head.length > 0) take(head);
      conn.on('data', take);
      conn.on('end', () => resolvePromise({ status: res.statusCode ?? 0, type: res.headers['content-type'], frames }));
      conn.write('ping from stdin');
      conn.end();
    });
    req.on('error', reject);
    req.end();
  });
  t.is(result.status, 101);
  t.is(result.type, MULTIPLEXED_STREAM);
  t.deepEqual(result.frames, [{ stream: 1, text: 'hello\n' }, { stream: 2, text: 'ping from stdin' }]);
  // A client that does not ask to upgrade gets a 200 with the raw stream until the close.
  const plain = await apiRequest(socket, 'POST', '/out');
  t.is(plain.status, 200);
  t.is(plain.headers['content-type'], 'application/vnd.docker.raw-stream');
  t.is(plain.text, 'raw output');
});
