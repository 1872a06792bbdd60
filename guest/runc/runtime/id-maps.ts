/** Writes a user namespace's uid and gid maps from the parent side (the child cannot). */
import { writeFileSync } from 'node:fs';
import type { LinuxIDMapping, Spec } from '../../api/oci-runtime-spec.js';

export function formatIdMap(mappings: readonly LinuxIDMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

export function writeIdMaps(pid: number, spec: Spec): void {
  const linux = spec.linux ?? {};
  // One write each: the kernel accepts a map only once.
  writeFileSync(`/proc/${pid}/uid_map`, formatIdMap(linux.uidMappings ?? []));
  writeFileSync(`/proc/${pid}/gid_map`, formatIdMap(linux.gidMappings ?? []));
}
