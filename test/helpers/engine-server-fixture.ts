/**
 * An in-process engine server (guest/dockerd's startEngineServer) on temporary dirs, for tests that
 * reach into `engine.context` as well as drive the real docker CLI. Two set-ups:
 *
 * - `startImageEngine`: the fixture registry as docker.io mirror and a containerd — ours
 *   (bin/tsd-containerd) or Debian's 1.6 — for the image tests;
 * - `startBareEngine`: no containerd at all (a socket path nobody listens on), its own bridge name
 *   and address pool, for the network and volume API tests.
 *
 * Both give `docker()` (rejects on a non-zero exit, like execFile), `dockerFails()` (its stderr)
 * and `raw()` (one request over the socket), and `stop()` removes what they made.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEFAULT_CONFIG, type EngineConfig } from '../../guest/dockerd/config/engine-config.js';
import { startEngineServer, type RunningEngine } from '../../guest/dockerd/engine-server.js';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { ContainerdDaemon } from './containerd-daemon.js';
import { DebianContainerd } from './debian-containerd.js';
import { DOCKER_CLI } from './host-engine.js';

const run = promisify(execFile);

export interface EngineServerFixture {
  engine: RunningEngine;
  dir: string;
  socketPath: string;
  /** The docker CLI against this engine; rejects (with stdout/stderr on the error) on failure. */
  docker(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** Runs the CLI expecting failure; resolves to its trimmed stderr, throws if it succeeded. */
  dockerFails(...args: string[]): Promise<string>;
  /** One raw API request; a string body is sent as is, anything else as JSON. */
  raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

async function fixtureOn(dir: string, engine: RunningEngine, cleanup: () => Promise<void>): Promise<EngineServerFixture> {
  const socketPath = join(dir, 'docker.sock');
  const docker = (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(DOCKER_CLI, ['-H', `unix://${socketPath}`, ...args], { env: { ...process.env, DOCKER_CONFIG: dir }, maxBuffer: 64 * 1024 * 1024 });
  return {
    engine, dir, socketPath, docker,
    async dockerFails(...args) {
      try {
        await docker(...args);
      } catch (error) {
        return (error as { stderr: string }).stderr.trim();
      }
      throw new Error(`docker ${args.join(' ')} succeeded`);
    },
    raw: (method, path, body) => new Promise((resolve, reject) => {
      const req = request({ socketPath, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
    }),
    async stop() {
      await engine.close();
      await cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function baseConfig(dir: string): EngineConfig {
  return { ...DEFAULT_CONFIG, hosts: [`unix://${join(dir, 'docker.sock')}`], dataRoot: join(dir, 'root'), execRoot: join(dir, 'exec') };
}

export interface ImageEngineFixture extends EngineServerFixture {
  fixtures: FixtureRegistry;
  containerd: ContainerdDaemon | DebianContainerd;
}

/** Fixture registry (busybox, no nginx) as mirror, a containerd of the given kind, the engine on them. */
export async function startImageEngine(options: { containerd: 'tsd' | 'debian'; prefix: string }): Promise<ImageEngineFixture> {
  const fixtures = await startFixtureRegistry({ nginx: false });
  let containerd: ContainerdDaemon | DebianContainerd | undefined;
  let dir: string | undefined;
  const stopContainerd = async (): Promise<void> => {
    if (containerd instanceof DebianContainerd) await containerd.stop(['moby']);
    else await containerd?.stop();
  };
  try {
    containerd = options.containerd === 'debian' ? await DebianContainerd.start() : await ContainerdDaemon.start();
    dir = await mkdtemp(join(tmpdir(), options.prefix));
    const engine = await startEngineServer({
      ...baseConfig(dir), containerdAddress: containerd.address, registryMirrors: [`http://${fixtures.host}`], dockerHubOrigin: false,
    });
    const held = containerd;
    const fixture = await fixtureOn(dir, engine, async () => {
      await stopContainerd();
      await fixtures.stop();
    });
    return { ...fixture, fixtures, containerd: held };
  } catch (error) {
    await stopContainerd().catch(() => undefined);
    await fixtures.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** No containerd; `bridge` names the default bridge, `pool` the default address pool. */
export async function startBareEngine(options: { prefix: string; bridge: string; pool: string }): Promise<EngineServerFixture> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix));
  try {
    const engine = await startEngineServer({
      ...baseConfig(dir), containerdAddress: join(dir, 'no-containerd.sock'), bridge: options.bridge, defaultAddressPools: [{ base: options.pool, size: 24 }],
    });
    return await fixtureOn(dir, engine, async () => undefined);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
