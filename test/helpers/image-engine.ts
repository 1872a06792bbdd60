/**
 * The image suites' common set-up: the fixture registry (busybox and the multi-platform index, no
 * nginx) on loopback and a host-mode engine of our stack that uses it as docker.io's mirror (plain
 * HTTP, never Docker Hub itself). A suite that puts something between the engine and the registry
 * (a gate that holds a blob) starts it in `mirror` and returns its host. `ctr` reads the engine's
 * containerd (namespace moby) with Debian's real ctr. `stop()` ends the engine, then the registry.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startFixtureRegistry, type FixtureRegistry } from '../fixtures/fixture-images.js';
import { startHostEngine, type HostEngine } from './host-engine.js';

export interface ImageEngine {
  fixtures: FixtureRegistry;
  engine: HostEngine;
  /** `ctr --namespace moby ARGS` against the engine's containerd; its stdout (a non-zero exit rejects). */
  ctr(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface ImageEngineOptions {
  /** Returns the host the engine mirrors docker.io to; default: the fixture registry's. */
  mirror?(fixtures: FixtureRegistry): Promise<string>;
}

export async function startImageEngine(options: ImageEngineOptions = {}): Promise<ImageEngine> {
  const fixtures = await startFixtureRegistry({ nginx: false });
  let engine: HostEngine;
  try {
    const mirror = options.mirror ? await options.mirror(fixtures) : fixtures.host;
    engine = await startHostEngine({ registry: mirror });
  } catch (error) {
    await fixtures.stop();
    throw error;
  }
  return {
    fixtures,
    engine,
    ctr: (...args) => engineCtr(engine, args),
    async stop() {
      await engine.stop();
      await fixtures.stop();
    },
  };
}

function engineCtr(engine: HostEngine, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/ctr', ['--address', join(engine.dir, 'engine', 'containerd.sock'), '--namespace', 'moby', ...args]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ctr ${args.join(' ')} exited ${code}`))));
  });
}
