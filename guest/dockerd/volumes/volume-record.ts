/**
 * A local-driver volume as persisted (DATA_ROOT/volumes/_meta/<name>.json) and as the Engine API
 * shows it. The data lives in DATA_ROOT/volumes/<name>/_data, Docker's layout.
 */
import { TsdError } from '../../api/errors.js';

export interface VolumeRecord {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
  /** created for `-v /path` or an image VOLUME; `volume prune` removes these by default */
  Anonymous: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkVolumeName(name: string): string {
  if (!NAME.test(name)) {
    throw new TsdError('invalid-argument', `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return name;
}

/** GET /volumes/{name} and list entries (Docker's Volume shape). */
export function volumeJson(record: VolumeRecord, usage?: { size: number; refCount: number }): Record<string, unknown> {
  return {
    CreatedAt: record.CreatedAt,
    Driver: record.Driver,
    Labels: record.Anonymous ? { 'com.docker.volume.anonymous': '', ...record.Labels } : record.Labels,
    Mountpoint: record.Mountpoint,
    Name: record.Name,
    Options: Object.keys(record.Options).length ? record.Options : null,
    Scope: record.Scope,
    ...(usage ? { UsageData: { Size: usage.size, RefCount: usage.refCount } } : {}),
  };
}
