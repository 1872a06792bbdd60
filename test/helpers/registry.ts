/**
 * A real registry for tests: Debian's docker-registry (distribution 2.8) on 127.0.0.1, a free
 * port and a temporary storage directory; optionally behind htpasswd Basic auth or token auth.
 *
 * started → stopped are different values: `startRegistry` returns a running registry whose
 * `stop()` ends the process by its PID and removes its storage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { freePort } from './free-port.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export type RegistryAuth =
  | { kind: 'none' }
  | { kind: 'basic'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootCertBundlePath: string };

export interface RunningRegistry {
  /** host:port, e.g. 127.0.0.1:40123 */
  host: string;
  url: string;
  pid: number;
  storageDir: string;
  stop(): Promise<void>;
}

/** `port`: a fixed port on 127.0.0.1 (for the README's main job); by default a free one. */
export async function startRegistry(options: { auth?: RegistryAuth; port?: number } = {}): Promise<RunningRegistry> {
  // The free port is only free when asked for; another process may take it before the registry
  // binds it. That shows as an early exit: try again with a new port (a fixed port is not retried).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options.auth ?? { kind: 'none' }, options.port);
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !(error instanceof Error) || !/address already in use/.test(error.message)) throw error;
    }
  }
}

async function startOnce(auth: RegistryAuth, fixedPort: number | undefined): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-registry-'));
  const storageDir = join(dir, 'storage');
  const port = fixedPort ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  await writeFile(join(dir, 'config.yml'), await configYaml(dir, storageDir, host, auth));
  const child = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    log.push(chunk.toString('utf8'));
    if (log.length > 200) log.shift();
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${REGISTRY_BINARY}`);
  const onExit = (): void => void killQuietly(pid);
  process.once('exit', onExit);
  const stop = async (): Promise<void> => {
    process.off('exit', onExit);
    await stopChild(child, pid);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(host, child, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { host, url: `http://${host}`, pid, storageDir, stop };
}

async function configYaml(dir: string, storageDir: string, host: string, auth: RegistryAuth): Promise<string> {
  const lines = [
    'version: 0.1',
    'log: {level: warn, formatter: text, accesslog: {disabled: true}}',
    'storage:',
    `  filesystem: {rootdirectory: "${storageDir}"}`,
    '  delete: {enabled: true}',
    '  maintenance: {uploadpurging: {enabled: false}}',
    `http: {addr: "${host}", secret: "${randomBytes(16).toString('hex')}"}`,
  ];
  if (auth.kind === 'basic') {
    const htpasswd = Object.entries(auth.users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 5)}`);
    await writeFile(join(dir, 'htpasswd'), htpasswd.join('\n') + '\n');
    lines.push('auth:', `  htpasswd: {realm: "tsd-test", path: "${join(dir, 'htpasswd')}"}`);
  } else if (auth.kind === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: "${auth.realm}"`,
      `    service: "${auth.service}"`,
      `    issuer: "${auth.issuer}"`,
      `    rootcertbundle: "${auth.rootCertBundlePath}"`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Waits until GET /v2/ answers at all (200, or 401 behind auth): the registry is serving. */
async function waitReady(host: string, child: ChildProcess, log: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before serving:\n${log.join('')}`);
    }
    const status = await probe(`http://${host}/v2/`);
    if (status === 200 || status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry on ${host} did not answer GET /v2/ within 30 s:\n${log.join('')}`);
}

function probe(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.setTimeout(2000, () => req.destroy());
    req.end();
  });
}

async function stopChild(child: ChildProcess, pid: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killQuietly(pid, 'SIGTERM');
  const timer = setTimeout(() => killQuietly(pid, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
