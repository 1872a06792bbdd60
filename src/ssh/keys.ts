/**
 * Per-machine SSH keys, generated at `tsd machine create`: the host's client key (its public half
 * goes into the guest's authorized keys) and the guest's host key (its private half goes to the
 * guest through fw_cfg; the host pins the public half and refuses any other).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import ssh2 from 'ssh2';
import { TsdError } from '../../guest/api/errors.js';

export interface KeyPaths {
  sshDir: string;
  clientKey: string;
  clientPublicKey: string;
  hostKey: string;
  hostPublicKey: string;
}

export interface MachineKeys {
  clientPrivate: string;
  clientPublic: string;
  hostPrivate: string;
  hostPublic: string;
}

export async function generateMachineKeys(paths: KeyPaths, comment: string): Promise<void> {
  await mkdir(paths.sshDir, { recursive: true, mode: 0o700 });
  const client = parseableKeyPair(`tsd-client@${comment}`);
  const host = parseableKeyPair(`tsd-host@${comment}`);
  await writeFile(paths.clientKey, client.private, { mode: 0o600 });
  await writeFile(paths.clientPublicKey, `${client.public}\n`, { mode: 0o644 });
  await writeFile(paths.hostKey, host.private, { mode: 0o600 });
  await writeFile(paths.hostPublicKey, `${host.public}\n`, { mode: 0o644 });
}

/**
 * An ed25519 pair that ssh2 can read back. About 1 in 250 pairs ssh2's generator returns cannot be
 * parsed by ssh2 itself ("Malformed OpenSSH public key", measured: 13 of 3000); a machine given one
 * would never be reachable over SSH, so such a pair is thrown away and another generated.
 */
export function parseableKeyPair(comment: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsedPrivate = ssh2.utils.parseKey(pair.private);
    const parsedPublic = ssh2.utils.parseKey(pair.public);
    if (!(parsedPrivate instanceof Error) && !(parsedPublic instanceof Error)) return pair;
  }
  throw new TsdError('internal', 'could not generate an ed25519 key pair that ssh2 can parse (20 attempts)');
}

export async function readMachineKeys(paths: KeyPaths): Promise<MachineKeys> {
  try {
    const [clientPrivate, clientPublic, hostPrivate, hostPublic] = await Promise.all(
      [paths.clientKey, paths.clientPublicKey, paths.hostKey, paths.hostPublicKey].map((path) => readFile(path, 'utf8')),
    ) as [string, string, string, string];
    return { clientPrivate, clientPublic: clientPublic.trim(), hostPrivate, hostPublic: hostPublic.trim() };
  } catch (error) {
    throw new TsdError('internal', `the machine's SSH keys are missing or unreadable in ${paths.sshDir}; delete and re-create the machine`, { cause: error });
  }
}

/** The raw public key blob of an OpenSSH public key line, to compare with what the server presents. */
export function publicKeyBlob(openSshPublic: string): Buffer {
  const parsed = ssh2.utils.parseKey(openSshPublic);
  if (parsed instanceof Error) throw new TsdError('internal', `bad public key: ${parsed.message}`);
  return parsed.getPublicSSH();
}
