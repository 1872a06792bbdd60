/**
 * /dev inside the container: the default devices every container gets (runc's list), the spec's
 * devices, and the usual symlinks. Without a user namespace nodes are made with mknod; inside one
 * mknod is not allowed, so the host's nodes are bind-mounted instead.
 */
import type { LinuxDevice } from '../../api/oci-runtime-spec.js';
import { MS, S_IFBLK, S_IFCHR, S_IFIFO } from './linux-constants.js';
import type { Step } from './steps.js';

export const DEFAULT_DEVICES: readonly LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

const TYPE_BITS: Readonly<Record<LinuxDevice['type'], number>> = { c: S_IFCHR, u: S_IFCHR, b: S_IFBLK, p: S_IFIFO };

/** Spec devices override defaults with the same path. */
export function deviceList(specDevices: readonly LinuxDevice[] = []): LinuxDevice[] {
  const paths = new Set(specDevices.map((d) => d.path));
  return [...DEFAULT_DEVICES.filter((d) => !paths.has(d.path)), ...specDevices];
}

export function deviceSteps(rootfs: string, devices: readonly LinuxDevice[], inUserNamespace: boolean): Step[] {
  const steps: Step[] = [];
  for (const device of devices) {
    const target = `${rootfs}${device.path}`;
    const parent = target.slice(0, target.lastIndexOf('/'));
    steps.push(['mkdirp', parent, 0o755]);
    if (inUserNamespace) {
      steps.push(['touch', target], ['mount', device.path, target, '', MS.BIND, '']);
      continue;
    }
    const mode = TYPE_BITS[device.type] | (device.fileMode ?? 0o666);
    steps.push(['mknod', target, mode, device.major ?? 0, device.minor ?? 0]);
    steps.push(['chmod', target, (device.fileMode ?? 0o666) & 0o7777]);
    steps.push(['chown', target, device.uid ?? 0, device.gid ?? 0]);
  }
  return steps;
}

export function devSymlinkSteps(rootfs: string, options: { kcore: boolean; devpts: boolean }): Step[] {
  const links: [string, string][] = [
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
  ];
  if (options.kcore) links.push(['/proc/kcore', '/dev/core']);
  if (options.devpts) links.push(['pts/ptmx', '/dev/ptmx']);
  return links.map(([target, path]): Step => ['symlink', target, `${rootfs}${path}`]);
}
