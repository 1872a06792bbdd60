/**
 * What the runtime remembers about a container between invocations: `<root>/<id>/state.json`.
 * The status is not stored; it is observed (process alive? exec fifo present? cgroup frozen?),
 * so a kill -9 of any runtime invocation never leaves a stale status behind.
 */
import type { Spec } from '../../api/oci-runtime-spec.js';

export const RECORD_VERSION = 1;

export interface ContainerRecord {
  version: typeof RECORD_VERSION;
  id: string;
  /** Host pid of the container's init. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells a reused pid from ours. */
  pidStartTime: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 with nanoseconds, like runc. */
  created: string;
  owner: string;
  /** The config the container was created with (hooks, cgroupsPath, process for exec defaults). */
  spec: Spec;
  /** Set once `start` (or `run`) let the process exec. */
  started: boolean;
  /**
   * The cgroup as created: later invocations (delete above all) use these directories instead of
   * recomputing them from the caller's own cgroups. Absent in records of older runtimes.
   */
  cgroup?: RecordedCgroup;
}

export interface RecordedCgroup {
  mode: 'v1' | 'v2';
  /** Hierarchy path, as CgroupManager.path. */
  path: string;
  /** Controller → directory, as CgroupManager.dirs ("unified" on v2). */
  dirs: Record<string, string>;
}

/** Observed status; "paused" is runc's extension to the OCI statuses. */
export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** The JSON `runc state` and `runc list --format json` print (runc's field names and order). */
export interface StateJson {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export const OCI_VERSION = '1.2.0';

export function stateJson(record: ContainerRecord, status: Status): StateJson {
  return {
    ociVersion: OCI_VERSION,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
    ...(record.spec.annotations ? { annotations: record.spec.annotations } : {}),
  };
}
