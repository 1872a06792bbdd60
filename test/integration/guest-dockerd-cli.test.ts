// The Engine API server on a temporary unix socket, queried by the real docker CLI.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MAX_API_VERSION } from '../../guest/dockerd/api-version.js';
import { startEngineServer, type RunningEngine } from '../../guest/dockerd/engine-server.js';

const run = promisify(execFile);
const DOCKER = '/usr/local/bin/docker';

let dir: string;
let socketPath: string;
let engine: RunningEngine;

test.before(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'tsd-guest-dockerd-'));
  socketPath = join(dir, 'docker.sock');
  engine = await startEngineServer({
    socketPath,
    dataRoot: join(dir, 'root'),
    registryMirrors: ['http://10.0.2.2:5000'],
    insecureRegistries: ['10.0.2.2:5000'],
  });
});

test.after.always(async () => {
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

function docker(...args: string[]) {
  // DOCKER_CONFIG isolates the CLI from any config of the user running the tests.
  return run(DOCKER, ['-H', `unix://${socketPath}`, ...args], { env: { ...process.env, DOCKER_CONFIG: dir } });
}

function raw(method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('docker version prints the server section with real kernel data', async (t) => {
  const { stdout, stderr } = await docker('version', '--format', '{{json .Server}}');
  t.is(stderr, '');
  const server = JSON.parse(stdout) as { Version: string; ApiVersion: string; KernelVersion: string; Os: string };
  t.is(server.Version, '0.1.0');
  t.is(server.KernelVersion, os.release());
  t.is(server.Os, 'linux');
  const plain = await docker('version');
  t.regex(plain.stdout, /Server: tsd/);
  t.regex(plain.stdout, new RegExp(`API version:\\s+${MAX_API_VERSION.replace('.', '\\.')} \\(minimum version 1\\.24\\)`));
});

test('docker info prints real CPU, memory, kernel, name and registries', async (t) => {
  const { stdout } = await docker('info', '--format', '{{json .}}');
  const info = JSON.parse(stdout) as Record<string, unknown> & { RegistryConfig: { Mirrors: string[] } };
  t.is(info.NCPU, os.availableParallelism());
  t.is(info.MemTotal, os.totalmem());
  t.is(info.KernelVersion, os.release());
  t.is(info.Name, os.hostname());
  t.is(info.Architecture, os.machine());
  t.is(info.DockerRootDir, join(dir, 'root'));
  t.deepEqual(info.RegistryConfig.Mirrors, ['http://10.0.2.2:5000']);
  t.falsy(info.ServerErrors);
  const plain = await docker('info');
  t.regex(plain.stdout, /Server Version: 0\.1\.0/);
  t.notRegex(plain.stderr, /error/i);
  // The ID is stable across restarts: it is kept in the data root.
  const again = await docker('info', '--format', '{{.ID}}');
  t.is(again.stdout.trim(), String(info.ID));
});

test('/_ping answers GET and HEAD with Docker headers, with and without a version prefix', async (t) => {
  for (const path of ['/_ping', '/v1.24/_ping', `/v${MAX_API_VERSION}/_ping`]) {
    const get = await raw('GET', path);
    t.is(get.status, 200);
    t.is(get.body, 'OK');
    t.is(get.headers['api-version'], MAX_API_VERSION);
    t.is(get.headers['ostype'], 'linux');
    t.is(get.headers['docker-experimental'], 'false');
    t.truthy(get.headers['builder-version']);
    t.is(get.headers['cache-control'], 'no-cache, no-store, must-revalidate');
    t.is(get.headers['pragma'], 'no-cache');
  }
  const head = await raw('HEAD', '/_ping');
  t.is(head.status, 200);
  t.is(head.body, '');
});

test('unknown routes are 404 page not found; unsupported versions are 400', async (t) => {
  const missing = await raw('GET', '/v1.41/nothing/here');
  t.is(missing.status, 404);
  t.deepEqual(JSON.parse(missing.body), { message: 'page not found' });
  const tooNew = await raw('GET', '/v9.0/info');
  t.is(tooNew.status, 400);
  t.regex((JSON.parse(tooNew.body) as { message: string }).message, /too new/);
  const tooOld = await raw('GET', '/v1.12/version');
  t.is(tooOld.status, 400);
});
