import test from 'ava';
import { chooseAccel, type AccelHost } from '../../src/machine/qemu/accel.js';
import { TsdError } from '../../guest/api/errors.js';
import { findProgram } from '../../src/machine/qemu/binary.js';

function host(platform: NodeJS.Platform, hostArch: string, kvm = false): AccelHost & { probes: number } {
  const result = {
    platform,
    hostArch,
    probes: 0,
    kvmWorks: async () => {
      result.probes += 1;
      return kvm;
    },
  };
  return result;
}

test('auto picks the platform hypervisor for a same-arch guest', async (t) => {
  t.deepEqual(await chooseAccel('auto', 'aarch64', host('darwin', 'arm64')), { accel: 'hvf' });
  t.deepEqual(await chooseAccel('auto', 'x86_64', host('win32', 'x64')), { accel: 'whpx' });
  t.deepEqual(await chooseAccel('auto', 'x86_64', host('linux', 'x64', true)), { accel: 'kvm' });
});

test('auto on linux falls back to tcg with a warning when the kvm probe fails', async (t) => {
  const h = host('linux', 'x64', false);
  const choice = await chooseAccel('auto', 'x86_64', h);
  t.is(choice.accel, 'tcg');
  t.regex(choice.warning ?? '', /KVM is not usable/);
  t.is(h.probes, 1);
});

test('a foreign guest arch is emulated with tcg without probing', async (t) => {
  const h = host('linux', 'x64', true);
  const choice = await chooseAccel('auto', 'aarch64', h);
  t.is(choice.accel, 'tcg');
  t.regex(choice.warning ?? '', /emulating a aarch64 guest/);
  t.is(h.probes, 0);
});

test('explicit tcg never probes; explicit accels are checked', async (t) => {
  const h = host('linux', 'x64', false);
  t.deepEqual(await chooseAccel('tcg', 'x86_64', h), { accel: 'tcg' });
  t.is(h.probes, 0);
  const broken = await t.throwsAsync(chooseAccel('kvm', 'x86_64', h));
  t.is((broken as TsdError).code, 'unavailable');
  const wrongOs = await t.throwsAsync(chooseAccel('hvf', 'x86_64', host('linux', 'x64', true)));
  t.is((wrongOs as TsdError).code, 'unsupported');
  const wrongArch = await t.throwsAsync(chooseAccel('hvf', 'x86_64', host('darwin', 'arm64')));
  t.is((wrongArch as TsdError).code, 'unsupported');
});

test('findProgram searches PATH, then the platform install dirs, else explains how to install', (t) => {
  const existing = new Set(['/opt/homebrew/bin/qemu-system-aarch64', 'C:\\Program Files\\qemu\\qemu-system-x86_64.exe', '/x/bin/qemu-img']);
  const isExecutable = (path: string) => existing.has(path);
  t.is(findProgram('qemu-system-aarch64', { platform: 'darwin', env: { PATH: '/usr/bin:/bin' }, isExecutable }), '/opt/homebrew/bin/qemu-system-aarch64');
  t.is(findProgram('qemu-system-x86_64', { platform: 'win32', env: { Path: 'C:\\Windows' }, isExecutable }), 'C:\\Program Files\\qemu\\qemu-system-x86_64.exe');
  t.is(findProgram('qemu-img', { platform: 'linux', env: { PATH: '/x/bin:/usr/bin' }, isExecutable }), '/x/bin/qemu-img');
  const error = t.throws(() => findProgram('qemu-system-x86_64', { platform: 'darwin', env: { PATH: '/usr/bin' }, isExecutable }));
  t.is((error as TsdError).code, 'unavailable');
  t.regex(error!.message, /brew install qemu/);
});
