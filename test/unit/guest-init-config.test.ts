import test from 'ava';
import { GUEST_CONFIG_VERSION, type GuestConfig } from '../../guest/api/guest-config.js';
import { parseGuestConfig } from '../../guest/init/guest-config.js';

const valid: GuestConfig = {
  version: GUEST_CONFIG_VERSION,
  machineName: 'default',
  hostname: 'tsd-default',
  authorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbx host'],
  hostKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
  hostTimeMs: 1_790_000_000_000,
  mounts: [{ tag: 'tsd0', hostPath: '/home/me/src', guestPath: '/home/me/src', writable: true }],
  env: { FOO: 'bar baz' },
  provision: ['echo hi'],
  registryMirrors: ['http://10.0.2.2:5000'],
  insecureRegistries: ['10.0.2.2:5000'],
};

function withChange(change: Record<string, unknown>): string {
  return JSON.stringify({ ...valid, ...change });
}

test('a valid configuration parses to the same value', (t) => {
  t.deepEqual(parseGuestConfig(JSON.stringify(valid)), valid);
});

test('errors name the field that is wrong', (t) => {
  t.throws(() => parseGuestConfig('{not json'), { message: /not JSON/ });
  t.throws(() => parseGuestConfig(withChange({ version: 2 })), { message: /version 2 is not supported/ });
  t.throws(() => parseGuestConfig(withChange({ hostname: 'bad name' })), { message: /hostname/ });
  t.throws(() => parseGuestConfig(withChange({ hostTimeMs: 'now' })), { message: /hostTimeMs/ });
  t.throws(() => parseGuestConfig(withChange({ hostKey: 'ssh-ed25519 AAAA' })), { message: /hostKey/ });
  t.throws(() => parseGuestConfig(withChange({ authorizedKeys: [1] })), { message: /authorizedKeys\[0\]/ });
  t.throws(() => parseGuestConfig(withChange({ env: { 'BAD-NAME': 'x' } })), { message: /invalid variable name: BAD-NAME/ });
  t.throws(() => parseGuestConfig(withChange({ provision: 'echo' })), { message: /provision must be a list/ });
  t.throws(() => parseGuestConfig(withChange({ mounts: [{ ...valid.mounts[0], guestPath: 'relative' }] })), { message: /mounts\[0\]\.guestPath/ });
  t.throws(() => parseGuestConfig(withChange({ mounts: [{ ...valid.mounts[0], guestPath: '/a/../etc' }] })), { message: /without "\.\."/ });
  t.throws(() => parseGuestConfig(withChange({ mounts: [{ ...valid.mounts[0], writable: 'yes' }] })), { message: /mounts\[0\]\.writable/ });
});

test('every error is a TsdError with code invalid-argument', (t) => {
  const error = t.throws(() => parseGuestConfig(withChange({ machineName: '' })));
  t.is((error as unknown as { code: string }).code, 'invalid-argument');
});
