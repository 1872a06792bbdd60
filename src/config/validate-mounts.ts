/**
 * Checks of `mounts` after defaults: host folders absolute and not nested in one another,
 * guest mount points absolute POSIX paths that neither hide nor sit inside the guest's own
 * system folders, and no two shares at the same or nested guest paths.
 */
import { GUEST_DATA_MOUNT, GUEST_LOG_DIR, GUEST_TSD_DIR } from '../../guest/api/guest-layout.js';
import type { MountSpec } from './machine-config.js';
import { pathsOf, type HostInfo } from './host.js';
import type { ConfigIssue } from './source.js';

/** Guest folders a share must not cover or sit inside: the guest's system and tsd's own state. */
export const RESERVED_GUEST_PATHS = [
  '/bin', '/dev', '/etc', '/lib', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr',
  GUEST_DATA_MOUNT, GUEST_LOG_DIR, GUEST_TSD_DIR,
] as const;

type Issue = Omit<ConfigIssue, 'position'>;

export function validateMounts(mounts: readonly MountSpec[], host: HostInfo): Issue[] {
  const issues: Issue[] = [];
  const paths = pathsOf(host);
  // macOS and Windows file systems ignore case by default: /Users/Me and /users/me are one folder.
  const hostKey = (p: string) => (host.platform === 'linux' ? p : p.toLowerCase());
  mounts.forEach((mount, i) => {
    const at = `mounts[${i}]`;
    if (!isAbsoluteHostPath(mount.location, host)) {
      const example = host.platform === 'win32' ? 'C:\\Users\\me\\src' : `${host.homeDir}/src`;
      issues.push({
        path: `${at}.location`,
        message: `${JSON.stringify(mount.location)} is not an absolute path; write a full path such as ${JSON.stringify(example)}, or one starting with "~/"`,
      });
      return; // its mount point and overlaps mean nothing until the path is fixed
    }
    if (!mount.mountPoint.startsWith('/')) {
      issues.push({ path: `${at}.mountPoint`, message: `${JSON.stringify(mount.mountPoint)} is not an absolute guest path; write one starting with "/", such as "/src"` });
    } else {
      const clash = reservedGuestPath(mount.mountPoint);
      if (clash) {
        const verb = clash === mount.mountPoint ? 'replace' : nested(mount.mountPoint, clash, '/') ? 'sit inside' : 'hide';
        const instead = `/mnt${mount.mountPoint === '/' ? '/host' : mount.mountPoint}`;
        issues.push({
          path: `${at}.mountPoint`,
          message: `${JSON.stringify(mount.mountPoint)} would ${verb} the guest's ${clash}; choose another guest path, such as "${instead}"`,
        });
      }
    }
    for (let j = 0; j < i; j++) {
      const other = mounts[j]!;
      const overlap = overlapMessage(hostKey(mount.location), hostKey(other.location), paths.sep, `mounts[${j}].location`, other.location);
      if (overlap) issues.push({ path: `${at}.location`, message: `${JSON.stringify(mount.location)} ${overlap}` });
      const guestOverlap = overlapMessage(mount.mountPoint, other.mountPoint, '/', `mounts[${j}].mountPoint`, other.mountPoint);
      if (guestOverlap && !overlap) issues.push({ path: `${at}.mountPoint`, message: `${JSON.stringify(mount.mountPoint)} ${guestOverlap}` });
    }
  });
  return issues;
}

/** The reserved guest folder a mount point would cover or sit inside, if any. */
export function reservedGuestPath(mountPoint: string): string | undefined {
  return RESERVED_GUEST_PATHS.find((r) => nested(mountPoint, r, '/') || nested(r, mountPoint, '/'));
}

function overlapMessage(a: string, b: string, sep: string, otherPath: string, otherValue: string): string | undefined {
  const fix = 'shares may not overlap: remove one, or share the outer folder only';
  if (a === b) return `is already shared by ${otherPath}; ${fix}`;
  if (nested(a, b, sep)) return `lies inside ${otherPath} (${JSON.stringify(otherValue)}); ${fix}`;
  if (nested(b, a, sep)) return `contains ${otherPath} (${JSON.stringify(otherValue)}); ${fix}`;
  return undefined;
}

/** True when `inner` is `outer` or lies below it. */
function nested(inner: string, outer: string, sep: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : outer + sep);
}

function isAbsoluteHostPath(location: string, host: HostInfo): boolean {
  // On Windows "\src" is relative to the current drive: require a drive letter or a UNC path.
  if (host.platform === 'win32') return /^[A-Za-z]:[\\/]/.test(location) || /^\\\\[^\\]+\\[^\\]+/.test(location);
  return location.startsWith('/');
}
