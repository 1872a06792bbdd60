/**
 * HostConfig.Devices: a host device node (or a directory of them) made in the container, and the
 * device cgroup rule that lets the container use it with the given permissions ("rwm" by default).
 * HostConfig.DeviceCgroupRules: extra rules in the devices.allow syntax ("c 1:3 rwm", "a *:* m").
 * Pure: the host's nodes come in as `HostDeviceNode`s (service/host-devices.ts reads them).
 */
import { TsdError } from '../../../api/errors.js';
import type { LinuxDevice, LinuxDeviceCgroup } from '../../../api/oci-runtime-spec.js';
import type { HostConfig } from '../docker-types.js';

export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

/** A device node as stat(2) reports it on the host. */
export interface HostDeviceNode {
  path: string;
  type: 'c' | 'b';
  rdev: number;
  mode: number;
  uid: number;
  gid: number;
}

export interface ContainerDevices {
  devices: LinuxDevice[];
  rules: LinuxDeviceCgroup[];
}

/** Create-time checks; the mapping is completed the way the CLI does (container path, permissions). */
export function normalizeDevices(host: HostConfig): DeviceMapping[] {
  const list = host.Devices ?? [];
  return list.map((d) => {
    if (!d || typeof d !== 'object' || typeof d.PathOnHost !== 'string' || d.PathOnHost === '') {
      throw new TsdError('invalid-argument', 'invalid device mapping: PathOnHost must not be empty');
    }
    const inContainer = d.PathInContainer || d.PathOnHost;
    const permissions = d.CgroupPermissions || 'rwm';
    if (!inContainer.startsWith('/')) throw new TsdError('invalid-argument', `invalid device mapping: ${inContainer} is not an absolute path`);
    if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions)) throw new TsdError('invalid-argument', `invalid device mode: ${permissions}`);
    return { PathOnHost: d.PathOnHost, PathInContainer: inContainer, CgroupPermissions: permissions };
  });
}

/** glibc's major()/minor() of a dev_t. */
export function majorMinor(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev >>> 0;
  return { major: ((low >>> 8) & 0xfff) | ((high & 0xfffff000) >>> 0), minor: (low & 0xff) | ((low >>> 12) & 0xffffff00) };
}

/**
 * One mapping's nodes → OCI devices (at their container paths) and allow rules. `nodes` are the
 * node at PathOnHost, or the nodes found under it when it is a directory.
 */
export function containerDevices(mapping: DeviceMapping, resolvedHostPath: string, nodes: readonly HostDeviceNode[]): ContainerDevices {
  const result: ContainerDevices = { devices: [], rules: [] };
  for (const node of nodes) {
    const { major, minor } = majorMinor(node.rdev);
    const path = node.path === resolvedHostPath ? mapping.PathInContainer : mapping.PathInContainer + node.path.slice(resolvedHostPath.length);
    result.devices.push({ path, type: node.type, major, minor, fileMode: node.mode & 0o777, uid: node.uid, gid: node.gid });
    result.rules.push({ allow: true, type: node.type, major, minor, access: mapping.CgroupPermissions });
  }
  return result;
}

const CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule` entries → allow rules; a malformed one is a 400 at create. */
export function deviceCgroupRules(rules: readonly string[]): LinuxDeviceCgroup[] {
  return rules.map((rule) => {
    const match = CGROUP_RULE.exec(rule);
    if (!match) throw new TsdError('invalid-argument', `invalid device cgroup format '${rule}'`);
    const number = (text: string): number | null => (text === '*' ? null : Number(text));
    return { allow: true, type: match[1] as 'a' | 'b' | 'c', major: number(match[2]!), minor: number(match[3]!), access: match[4]! };
  });
}
