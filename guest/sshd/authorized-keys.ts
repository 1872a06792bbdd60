/**
 * Public-key authentication: which keys may log in, and whether a signature proves possession.
 * Keys are compared by their full public blob (algorithm and key material), in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import ssh2 from 'ssh2';
import { TsdError } from '../api/errors.js';

type ParsedKey = ssh2.ParsedKey;

export interface AuthorizedKey {
  type: string;
  comment: string;
  /** The public key blob as it appears on the wire. */
  blob: Buffer;
  key: ParsedKey;
}

/** Parses OpenSSH authorized_keys lines ("type base64 comment"); blank lines and # comments are skipped. */
export function parseAuthorizedKeys(lines: string[]): AuthorizedKey[] {
  const keys: AuthorizedKey[] = [];
  for (const [index, raw] of lines.flatMap((text) => text.split('\n')).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parsed = ssh2.utils.parseKey(line);
    if (parsed instanceof Error) throw new TsdError('invalid-argument', `authorized key ${index + 1}: ${parsed.message}`);
    const key = Array.isArray(parsed) ? parsed[0]! : parsed;
    if (key.isPrivateKey()) throw new TsdError('invalid-argument', `authorized key ${index + 1} is a private key`);
    keys.push({ type: key.type, comment: key.comment, blob: key.getPublicSSH(), key });
  }
  return keys;
}

/** The authorized key whose public blob equals the offered one, if any. */
export function findAuthorizedKey(keys: AuthorizedKey[], offeredBlob: Buffer): AuthorizedKey | undefined {
  return keys.find((candidate) => candidate.blob.length === offeredBlob.length && timingSafeEqual(candidate.blob, offeredBlob));
}

/** Verifies the client's signature over the session data with the authorized key. */
export function verifySignature(key: AuthorizedKey, blob: Buffer, signature: Buffer, hashAlgo: string | undefined): boolean {
  return key.key.verify(blob, signature, hashAlgo) === true;
}
