/** The container's cgroup manager, rebuilt from the same inputs in every invocation. */
import type { CgroupManager } from '../cgroups/cgroup-manager.js';
import type { ContainerRecord } from '../state/record.js';
import type { Spec } from '../../api/oci-runtime-spec.js';

export async function cgroupsFor(id: string, spec: Spec): Promise<CgroupManager> {
  const { cgroupManagerFor } = await import('../cgroups/index.js');
  return cgroupManagerFor({ cgroupsPath: spec.linux?.cgroupsPath, containerId: id });
}

/** The manager of an existing container: its recorded directories when the record has them. */
export async function cgroupsOf(record: ContainerRecord): Promise<CgroupManager> {
  if (!record.cgroup) return cgroupsFor(record.id, record.spec);
  const { cgroupManagerFor } = await import('../cgroups/index.js');
  return cgroupManagerFor({ cgroupsPath: record.spec.linux?.cgroupsPath, containerId: record.id, recorded: record.cgroup });
}

/** What the record keeps of a new container's cgroup. */
export function recordedCgroup(manager: CgroupManager): NonNullable<ContainerRecord['cgroup']> {
  return { mode: manager.mode, path: manager.path, dirs: { ...manager.dirs } };
}

/** v1 hierarchies to bind under a "cgroup" mount: each controller's directory of this container. */
export function v1MountsOf(manager: CgroupManager): { name: string; hostDir: string }[] {
  if (manager.mode !== 'v1') return [];
  return Object.entries(manager.dirs)
    .filter(([name]) => name !== 'unified')
    .map(([name, hostDir]) => ({ name: name.replace(/^name=/, ''), hostDir }));
}
