/**
 * Config.User ("name", "uid", "name:group", "uid:gid") → numeric ids, read from the container's
 * own /etc/passwd and /etc/group like Docker does (never the host's). Supplementary groups are
 * the groups listing the user, plus HostConfig.GroupAdd.
 */
import { readFile } from 'node:fs/promises';
import { resolveInRoot } from '../service/secure-path.js';
import { TsdError } from '../../../api/errors.js';
import type { User } from '../../../api/oci-runtime-spec.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    const gid = Number(fields[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    entries.push({ name: fields[0]!, uid, gid, home: fields[5]! });
  }
  return entries;
}

export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 4 || line.startsWith('#')) continue;
    const gid = Number(fields[2]);
    if (!Number.isInteger(gid)) continue;
    entries.push({ name: fields[0]!, gid, members: fields[3]!.split(',').filter(Boolean) });
  }
  return entries;
}

export interface ResolvedUser {
  user: User;
  /** HOME for the process environment (Docker sets it when the image's Env has none). */
  home: string;
}

const NUMERIC = /^\d+$/;

/** Pure resolution against parsed files. */
export function resolveUser(spec: string, passwd: PasswdEntry[], groups: GroupEntry[], groupAdd: readonly string[] = []): ResolvedUser {
  const [userPart = '', groupPart] = spec.split(':', 2);
  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  if (userPart === '') {
    name = 'root';
    const root = passwd.find((p) => p.uid === 0);
    if (root) home = root.home;
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    const entry = passwd.find((p) => p.uid === uid);
    if (entry) {
      gid = entry.gid;
      home = entry.home;
      name = entry.name;
    }
  } else {
    const entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new TsdError('invalid-argument', `unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry.uid;
    gid = entry.gid;
    home = entry.home;
    name = entry.name;
  }
  if (groupPart !== undefined && groupPart !== '') gid = lookupGroup(groupPart, groups);
  const additional = new Set<number>();
  // An explicit group replaces the user's supplementary groups, as in Docker (libcontainer/user).
  if (name !== undefined && groupPart === undefined) {
    for (const group of groups) if (group.members.includes(name)) additional.add(group.gid);
  }
  for (const extra of groupAdd) additional.add(lookupGroup(extra, groups));
  additional.delete(gid);
  const user: User = { uid, gid };
  if (additional.size > 0) user.additionalGids = [...additional];
  return { user, home };
}

function lookupGroup(group: string, groups: GroupEntry[]): number {
  if (NUMERIC.test(group)) return Number(group);
  const entry = groups.find((g) => g.name === group);
  if (!entry) throw new TsdError('invalid-argument', `unable to find group ${group}: no matching entries in group file`);
  return entry.gid;
}

/** Reads the rootfs's /etc/passwd and /etc/group (missing files are empty, as in Docker); links resolve inside the rootfs. */
export async function resolveUserInRootfs(rootfs: string, spec: string, groupAdd: readonly string[] = []): Promise<ResolvedUser> {
  const read = async (path: string): Promise<string> => readFile(await resolveInRoot(rootfs, path), 'utf8').catch(() => '');
  const [passwd, group] = await Promise.all([read('etc/passwd'), read('etc/group')]);
  return resolveUser(spec, parsePasswd(passwd), parseGroup(group), groupAdd);
}
