/**
 * Where a local content store keeps things under its root:
 *   blobs/sha256/<hex>             committed content, read-only, named by its digest
 *   info/sha256/<hex>.json         labels and times of a blob (written atomically)
 *   ingest/<sha256(ref)>/ref       the ingest's ref, as given
 *   ingest/<sha256(ref)>/meta.json expected total and digest, start time (written atomically)
 *   ingest/<sha256(ref)>/data      the bytes written so far (appended, fsynced before commit)
 * A blob exists exactly when its file under blobs/ does; info files without a blob are ignored.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TsdError } from '../../api/errors.js';
import { parseDigest } from '../../api/oci-image-spec.js';

export class StoreLayout {
  constructor(readonly root: string) {}

  get blobDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }
  get infoDir(): string {
    return join(this.root, 'info', 'sha256');
  }
  get ingestRoot(): string {
    return join(this.root, 'ingest');
  }
  blobPath(digest: string): string {
    return join(this.blobDir, sha256Hex(digest));
  }
  infoPath(digest: string): string {
    return join(this.infoDir, `${sha256Hex(digest)}.json`);
  }
  ingestDir(ref: string): string {
    if (ref === '') throw new TsdError('invalid-argument', 'ingest ref must not be empty');
    return join(this.ingestRoot, createHash('sha256').update(ref).digest('hex'));
  }
}

/** The hex of a sha256 digest; other algorithms are not stored here. */
export function sha256Hex(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  if (algorithm !== 'sha256') throw new TsdError('unsupported', `content store holds sha256 blobs only, not ${digest}`);
  return hex;
}
