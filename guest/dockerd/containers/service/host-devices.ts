/**
 * Reads the host's device nodes for HostConfig.Devices at start (a device may appear after
 * create): a symlink is followed, a directory is searched for nodes, anything else is Docker's
 * "error gathering device information while adding custom device" error. A privileged container
 * gets every node under the host's /dev as well (its cgroup already allows everything).
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TsdError } from '../../../api/errors.js';
import { containerDevices, deviceCgroupRules, normalizeDevices, type ContainerDevices, type HostDeviceNode } from '../spec/devices.js';
import type { HostConfig } from '../docker-types.js';

async function nodeAt(path: string): Promise<HostDeviceNode | undefined> {
  const info = await lstat(path);
  if (!info.isCharacterDevice() && !info.isBlockDevice()) return undefined;
  return { path, type: info.isCharacterDevice() ? 'c' : 'b', rdev: info.rdev, mode: info.mode, uid: info.uid, gid: info.gid };
}

/**
 * Directories of /dev a privileged container does not get from the host (it has its own), as in
 * Docker; nor /dev/console and /dev/ptmx (the runtime makes them for the container's own pts).
 */
const PRIVATE_DEV_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

async function nodesUnder(dir: string, skip: ReadonlySet<string> = new Set()): Promise<HostDeviceNode[]> {
  const nodes: HostDeviceNode[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(entry.name)) nodes.push(...(await nodesUnder(path, skip)));
    }
    else if (entry.isCharacterDevice() || entry.isBlockDevice()) nodes.push((await nodeAt(path))!);
  }
  return nodes;
}

export async function hostDevices(host: HostConfig): Promise<ContainerDevices> {
  const result: ContainerDevices = { devices: [], rules: deviceCgroupRules(host.DeviceCgroupRules ?? []) };
  if (host.Privileged) {
    const nodes = (await nodesUnder('/dev', PRIVATE_DEV_DIRS)).filter((node) => node.path !== '/dev/console' && node.path !== '/dev/ptmx');
    result.devices.push(...containerDevices({ PathOnHost: '/dev', PathInContainer: '/dev', CgroupPermissions: 'rwm' }, '/dev', nodes).devices);
  }
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
    // A mapping replaces a privileged container's node at the same path.
    const paths = new Set(found.devices.map((d) => d.path));
    result.devices = [...result.devices.filter((d) => !paths.has(d.path)), ...found.devices];
    result.rules.push(...found.rules);
  }
  return result;
}
