import test from 'ava';
import ssh2 from 'ssh2';
import { findAuthorizedKey, parseAuthorizedKeys, verifySignature } from '../../guest/sshd/authorized-keys.js';
import { sessionEnv } from '../../guest/sshd/session-env.js';
import { parseableKeyPair } from '../../src/ssh/keys.js';

const alice = parseableKeyPair('alice');
const bob = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256, comment: 'bob' });
const mallory = parseableKeyPair('tsd-test');

function parsedPublic(text: string): ssh2.ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('bad key');
  return parsed;
}

test('parseAuthorizedKeys reads OpenSSH lines and skips comments and blanks', (t) => {
  const keys = parseAuthorizedKeys([`# machine keys\n${alice.public}\n\n`, bob.public]);
  t.deepEqual(keys.map((key) => [key.type, key.comment]), [['ssh-ed25519', 'alice'], ['ecdsa-sha2-nistp256', 'bob']]);
});

test('parseAuthorizedKeys names the bad line and refuses private keys', (t) => {
  t.throws(() => parseAuthorizedKeys([alice.public, 'ssh-ed25519 notbase64!!']), { message: /authorized key 2/ });
  t.throws(() => parseAuthorizedKeys([alice.private]), { message: /authorized key 1/ });
});

test('findAuthorizedKey matches the full public blob only', (t) => {
  const keys = parseAuthorizedKeys([alice.public, bob.public]);
  t.is(findAuthorizedKey(keys, parsedPublic(bob.public).getPublicSSH())?.comment, 'bob');
  t.is(findAuthorizedKey(keys, parsedPublic(mallory.public).getPublicSSH()), undefined);
  const truncated = parsedPublic(alice.public).getPublicSSH().subarray(0, 20);
  t.is(findAuthorizedKey(keys, truncated), undefined);
});

test('verifySignature accepts the holder of the key and nobody else', (t) => {
  const [key] = parseAuthorizedKeys([alice.public]);
  const data = Buffer.from('session id and request');
  const good = parsedPublic(alice.private).sign(data) as Buffer;
  const forged = parsedPublic(mallory.private).sign(data) as Buffer;
  t.true(verifySignature(key!, data, good, undefined));
  t.false(verifySignature(key!, data, forged, undefined));
  t.false(verifySignature(key!, Buffer.from('other data'), good, undefined));
});

test('sessionEnv layers defaults, machine env, client env and TERM', (t) => {
  const env = sessionEnv({ A: 'machine', B: 'machine' }, { B: 'client' }, 'xterm');
  t.is(env.HOME, '/root');
  t.is(env.A, 'machine');
  t.is(env.B, 'client');
  t.is(env.TERM, 'xterm');
  t.regex(env.PATH ?? '', /\/usr\/bin/);
});
