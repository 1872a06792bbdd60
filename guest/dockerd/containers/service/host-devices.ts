/**
 * Reads the host's device nodes for HostConfig.Devices at start (a device may appear after
 * create): a symlink is followed, a directory is searched for nodes, anything else is Docker's
 * "error gathering device information while adding custom device" error.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { containerDevices, normalizeDevices, type ContainerDevices, type HostDeviceNode } from '../spec/devices.js';
import type { HostConfig } from '../docker-types.js';

async function nodeAt(path: string): Promise<HostDeviceNode | undefined> {
  const info = await lstat(path);
  if (!info.isCharacterDevice() && !info.isBlockDevice()) return undefined;
  return { path, type: info.isCharacterDevice() ? 'c' : 'b', rdev: info.rdev, mode: info.mode, uid: info.uid, gid: info.gid };
}

async function nodesUnder(dir: string): Promise<HostDeviceNode[]> {
  const nodes: HostDeviceNode[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) nodes.push(...(await nodesUnder(path)));
    else if (entry.isCharacterDevice() || entry.isBlockDevice()) nodes.push((await nodeAt(path))!);
  }
  return nodes;
}

export async function hostDevices(host: HostConfig): Promise<ContainerDevices> {
  const result: ContainerDevices = { devices: [], rules: [] };
  for (const mapping of normalizeDevices(host)) {
    const failed = (why: string): TsdError =>
      new TsdError('invalid-argument', `error gathering device information while adding custom device "${mapping.PathOnHost}": ${why}`);
    const resolved = await realpath(mapping.PathOnHost).catch(() => mapping.PathOnHost);
    const node = await nodeAt(resolved).catch((error: NodeJS.ErrnoException) => {
      throw failed(error.code === 'ENOENT' ? 'no such file or directory' : error.message);
    });
    const nodes = node ? [node] : (await stat(resolved)).isDirectory() ? await nodesUnder(resolved) : [];
    if (nodes.length === 0) throw failed('not a device node');
    const found = containerDevices(mapping, resolved, nodes);
    result.devices.push(...found.devices);
    result.rules.push(...found.rules);
  }
  return result;
}
