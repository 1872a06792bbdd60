import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMissingBindSource, machineShares } from '../../guest/dockerd/containers/service/machine-shares.js';

const shares = { machineName: 'dev', mounts: [{ guestPath: '/home/ann' }, { guestPath: '/tmp' }] };

test('a missing source inside a share is left to Docker\'s rules (created for -v)', (t) => {
  t.notThrows(() => checkMissingBindSource('/home/ann/project/new', shares));
  t.notThrows(() => checkMissingBindSource('/tmp', shares));
});

test('a missing source outside every share is refused, naming the machine file key', (t) => {
  const error = t.throws(() => checkMissingBindSource('/Users/ann/project', shares));
  t.regex(error!.message, /^Mounts denied: the path \/Users\/ann\/project is not shared from the host into machine "dev" \(shared: \/home\/ann, \/tmp\)/);
  t.regex(error!.message, /key "mounts" of the machine file \(~\/\.tsd\/machines\/dev\/machine\.yaml\)/);
  // a sibling whose name starts like a share is not inside it
  t.throws(() => checkMissingBindSource('/home/anna', shares));
});

test('outside a machine (host mode) nothing is checked', (t) => {
  t.notThrows(() => checkMissingBindSource('/anything', null));
});

test('the shares come from the boot configuration the host passed', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-shares-'));
  const file = join(dir, 'raw');
  await writeFile(file, JSON.stringify({ machineName: 'm1', mounts: [{ tag: 't0', hostPath: '/h', guestPath: '/h', writable: true }] }));
  t.deepEqual(machineShares(file), { machineName: 'm1', mounts: [{ guestPath: '/h' }] });
  await rm(dir, { recursive: true });
});
