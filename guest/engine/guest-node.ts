/**
 * Which Node binary runs the engine in host mode: the guest image's Node from the tsd cache when it
 * has been fetched (what is tested is what boots — see DESIGN.md "Host mode runs the guest's
 * Node"), else the Node running this launcher. `--node PATH` or TSD_ENGINE_NODE override both.
 *
 * The cache layout is src/image/fetch.ts's (`<cache>/node/node-linux-<arch>-<version>[-stripped]/
 * node`); it is read here rather than imported because guest code never imports src/.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NodeChoice {
  path: string;
  source: 'flag' | 'env' | 'guest-cache' | 'current';
}

const NPM_ARCH: Record<string, string> = { x64: 'x64', arm64: 'arm64' };

export function chooseNode(flag: string | undefined): NodeChoice {
  if (flag) return { path: flag, source: 'flag' };
  const env = process.env['TSD_ENGINE_NODE'];
  if (env) return { path: env, source: 'env' };
  const cached = guestNodeInCache();
  if (cached) return { path: cached, source: 'guest-cache' };
  return { path: process.execPath, source: 'current' };
}

/**
 * NODE_COMPILE_CACHE for the daemons, as the guest's init gives its services one on the data disk
 * (guest/init/boot-plan.ts): the user's own when set, else <tsd cache>/node-compile-cache, so a
 * start after the first deserializes what the last one compiled (Node keys entries by file and
 * content, and checks them). Measured on the guest's Node 24, idle after start: containerd
 * 62.4 -> 61.4 MiB RSS, dockerd 64.3 -> 62.9 (less compiled at start: anonymous -1.0 and -1.5).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['NODE_COMPILE_CACHE'] || join(tsdCache(env), 'node-compile-cache');
}

function tsdCache(env: NodeJS.ProcessEnv = process.env): string {
  return env['TSD_CACHE'] || join(homedir(), '.cache', 'tsd');
}

function guestNodeInCache(): string | undefined {
  const arch = NPM_ARCH[process.arch];
  if (!arch) return undefined;
  const dir = join(tsdCache(), 'node');
  if (!existsSync(dir)) return undefined;
  const prefix = `node-linux-${arch}-`;
  const candidates = readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .map((name) => ({ name, version: name.slice(prefix.length).replace(/-stripped$/, '').split('.').map(Number) }))
    .sort((a, b) => compareVersions(b.version, a.version) || (b.name.endsWith('-stripped') ? 1 : -1));
  for (const { name } of candidates) {
    for (const path of [join(dir, name, 'node'), join(dir, name, 'bin', 'node')]) {
      try {
        accessSync(path, constants.X_OK);
        return path;
      } catch {
        // not this one
      }
    }
  }
  return undefined;
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
