/**
 * docker cp: GET (tar of a path), HEAD (its stat), PUT (extract a tar into a directory) on
 * /containers/{id}/archive, plus export (the whole filesystem as a tar). Paths resolve inside the
 * container root (service/secure-path.ts); extraction goes through the layer applier, which keeps
 * every entry under the target directory. Tars are written by the system `tar` (busybox in the guest).
 */
import { spawn } from 'node:child_process';
import { lstat, readlink, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { applyLayer } from '../../../containerd/diff/apply-layer.js';
import { queryBool } from '../../http/json-body.js';
import type { Router } from '../../router.js';
import type { ContainerService } from '../service/container-service.js';
import { withContainerRoot } from '../service/container-root.js';
import { containerChanges } from '../service/changes.js';
import { sendJson } from '../../error-table.js';
import { resolveInRoot } from '../service/secure-path.js';
import type { ContainerRecord } from '../store/container-record.js';

/** Go's os.FileMode bits (the stat header carries a Go FileMode, not a Unix mode). */
const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;

export function goFileMode(info: import('node:fs').Stats): number {
  let mode = info.mode & 0o777;
  if (info.mode & 0o4000) mode += 2 ** 23; // setuid
  if (info.mode & 0o2000) mode += 2 ** 22; // setgid
  if (info.mode & 0o1000) mode += 2 ** 20; // sticky
  if (info.isDirectory()) mode += MODE_DIR;
  else if (info.isSymbolicLink()) mode += MODE_SYMLINK;
  else if (info.isFIFO()) mode += 2 ** 25;
  else if (info.isSocket()) mode += 2 ** 24;
  else if (info.isBlockDevice()) mode += 2 ** 26;
  else if (info.isCharacterDevice()) mode += 2 ** 26 + 2 ** 21;
  return mode;
}

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

async function statPath(root: string, path: string, record: ContainerRecord): Promise<{ host: string; stat: PathStat }> {
  const host = await resolveInRoot(root, path, path.endsWith('/') || path.endsWith('/.'));
  // The root itself may be /proc/<pid>/root, a symlink to the host: stat it, never lstat.
  const info = await (host === root ? stat(host) : lstat(host)).catch(() => undefined);
  if (!info) throw new TsdError('not-found', `Could not find the file ${path} in container ${record.Name.slice(1)}`);
  const mode = goFileMode(info);
  const linkTarget = info.isSymbolicLink() ? await readlink(host) : '';
  return { host, stat: { name: basename(path) || '/', size: info.size, mode, mtime: info.mtime.toISOString(), linkTarget } };
}

function statHeader(res: ServerResponse, stat: PathStat): void {
  res.setHeader('X-Docker-Container-Path-Stat', Buffer.from(JSON.stringify(stat)).toString('base64'));
}

/** Streams `tar -c` of `name` under `dir` to the response; resolves when tar is done. */
function streamTar(res: ServerResponse, dir: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-c', '-f', '-', '-C', dir, name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    tar.on('error', reject);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    tar.stdout.pipe(res, { end: false });
    res.once('close', () => tar.kill('SIGKILL'));
    tar.on('close', (code) => {
      res.end();
      if (code === 0 || res.destroyed) resolve();
      else reject(new TsdError('internal', `tar: ${stderr.trim()}`));
    });
  });
}

export function addArchiveRoutes(router: Router, service: ContainerService): void {
  router.add('HEAD', '/containers/{id}/archive', async (req, res) => {
    const record = service.find(req.params.id!);
    const path = req.query.get('path') ?? '';
    if (!path) throw new TsdError('invalid-argument', 'path is required');
    await withContainerRoot(service, record, async (root) => statHeader(res, (await statPath(root, path, record)).stat));
    res.writeHead(200);
    res.end();
  });

  router.add('GET', '/containers/{id}/archive', async (req, res) => {
    const record = service.find(req.params.id!);
    const path = req.query.get('path') ?? '';
    if (!path) throw new TsdError('invalid-argument', 'path is required');
    await withContainerRoot(service, record, async (root) => {
      const { host, stat } = await statPath(root, path, record);
      statHeader(res, stat);
      // The root may be /proc/<pid>/root (a magic link): archive its content, not the link.
      if (host === root) await streamTar(res, root, '.');
      else await streamTar(res, dirname(host), basename(host));
    });
  });

  router.add('PUT', '/containers/{id}/archive', async (req, res) => {
    const record = service.find(req.params.id!);
    const path = req.query.get('path') ?? '';
    if (!path) throw new TsdError('invalid-argument', 'path is required');
    if (record.HostConfig.ReadonlyRootfs) throw new TsdError('conflict', 'container rootfs is marked read-only');
    void queryBool(req.query, 'noOverwriteDirNonDir');
    await withContainerRoot(service, record, async (root) => {
      const { host, stat } = await statPath(root, path.endsWith('/') ? path : `${path}/`, record);
      if (!(stat.mode & MODE_DIR)) throw new TsdError('invalid-argument', `extraction point is not a directory: ${path}`);
      await applyLayer(req.raw, host, { mode: 'native' });
    });
    res.writeHead(200);
    res.end();
  });

  router.add('GET', '/containers/{id}/changes', async (req, res) => {
    sendJson(res, 200, await containerChanges(service, service.find(req.params.id!)));
  });

  router.add('GET', '/containers/{id}/export', async (req, res) => {
    const record = service.find(req.params.id!);
    await withContainerRoot(service, record, (root) => streamTar(res, root, '.'));
  });
}
