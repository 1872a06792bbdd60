/**
 * The snapshotter interface, in containerd's words: a snapshot is a directory tree that is
 * `active` (writable, prepared on a committed parent), a `view` (read-only) or `committed`
 * (immutable, a parent for others). A snapshotter returns mount DESCRIPTIONS and never mounts:
 * whoever uses a snapshot (diff applier, shim) mounts what it is given.
 */
export type SnapshotKind = 'view' | 'active' | 'committed';

export type Labels = Record<string, string>;

/** One mount(2) call, described: type, source, fstab-style options. */
export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export interface SnapshotInfo {
  /** The key (active, view) or the name (committed). */
  name: string;
  parent?: string;
  kind: SnapshotKind;
  labels: Labels;
  createdAt: Date;
  updatedAt: Date;
}

export interface Usage {
  /** Bytes on disk (blocks × 512). */
  size: number;
  inodes: number;
}

export interface Snapshotter {
  readonly name: string;
  stat(key: string): Promise<SnapshotInfo>;
  /** Changes labels; `paths` ("labels", "labels.KEY") limit what changes. */
  update(key: string, labels: Labels, paths: string[]): Promise<SnapshotInfo>;
  usage(key: string): Promise<Usage>;
  mounts(key: string): Promise<Mount[]>;
  prepare(key: string, parent: string | undefined, labels: Labels): Promise<Mount[]>;
  view(key: string, parent: string | undefined, labels: Labels): Promise<Mount[]>;
  /** Turns the active snapshot `key` into the committed snapshot `name`. */
  commit(name: string, key: string, labels: Labels): Promise<void>;
  /** Removes a snapshot without children. */
  remove(key: string): Promise<void>;
  list(): Promise<SnapshotInfo[]>;
  /** Deletes directories no snapshot owns (left by a crash between steps). */
  cleanup(): Promise<void>;
}
