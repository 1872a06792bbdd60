// tsd-runc's cgroup v2 limits for real: this host binds cpu, memory, pids and io to v1, so the
// v2 paths run in the x86_64 guest (cgroup2 only, with those controllers), booted once under
// QEMU, over SSH. The runtime is the image's own: /usr/bin/node /opt/tsd/runc.mjs with the helper
// beside it. A busybox bundle is made in the guest from its own busybox; config.json comes from
// the runtime's default spec with the limits under test.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ssh2 from 'ssh2';
import type { Spec } from '../../guest/api/oci-runtime-spec.js';
import { defaultSpec } from '../../guest/runc/spec/default-spec.js';
import { createImageBuilder } from '../../src/image/builder.js';
import { exec, GuestVm, type ExecResult } from '../helpers/guest-vm.js';

const RUNC = '/usr/bin/node /opt/tsd/runc.mjs --root /run/tsdtest-runc';
const APPLETS = ['sh', 'sleep', 'cat', 'echo', 'tail', 'true', 'seq'];

let dir = '';
let vm: GuestVm | undefined;
let client: ssh2.Client | undefined;

async function sh(command: string): Promise<ExecResult> {
  return exec(client!, command);
}

/** Runs a command in the guest that must succeed; the failure message carries its output. */
async function must(command: string): Promise<string> {
  const result = await sh(command);
  if (result.code !== 0) throw new Error(`guest: ${command}\nexit ${result.code}\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** A bundle at /tmp/tsdtest/NAME whose config is the default spec changed by `change`. */
async function bundle(name: string, change: (spec: Spec) => void): Promise<string> {
  const path = `/tmp/tsdtest/${name}`;
  const spec = defaultSpec();
  spec.process!.terminal = false;
  spec.root!.readonly = false;
  change(spec);
  const links = APPLETS.map((a) => `ln -s busybox ${path}/rootfs/bin/${a}`).join('; ');
  const config = Buffer.from(JSON.stringify(spec)).toString('base64');
  await must(
    `mkdir -p ${path}/rootfs/bin ${path}/rootfs/proc ${path}/rootfs/sys ${path}/rootfs/dev ${path}/rootfs/tmp && ` +
      `cp /bin/busybox ${path}/rootfs/bin/ && ${links} && echo ${config} | base64 -d > ${path}/config.json`,
  );
  return path;
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tsd-runc-v2-e2e-'));
  const image = await createImageBuilder().ensure('x86_64');
  vm = await GuestVm.create({ dir: join(dir, 'vm'), image, name: `runc-v2-${randomBytes(3).toString('hex')}` });
  vm.useBoard('q35');
  await vm.boot();
  client = await vm.connect();
});

test.after.always(async () => {
  client?.end();
  vm?.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test.serial('the guest is cgroup v2 only, with the controllers the limits need', async (t) => {
  const mounts = await must('grep cgroup /proc/mounts');
  t.regex(mounts, /^cgroup2 \/sys\/fs\/cgroup cgroup2 /m);
  t.notRegex(mounts, /^cgroup \/sys\/fs\/cgroup\//m, 'no v1 hierarchy');
  const controllers = (await must('cat /sys/fs/cgroup/cgroup.controllers')).trim().split(' ');
  for (const c of ['cpu', 'memory', 'pids', 'io']) t.true(controllers.includes(c), `${c} offered`);
});

test.serial('memory.max, pids.max, cpu.max, cpu.weight and io.max are applied; a fork loop stops at the pids limit', async (t) => {
  // The data disk (virtio) is a real block device to throttle.
  const [major, minor] = (await must('cat /sys/block/vda/dev')).trim().split(':').map(Number);
  const path = await bundle('limits', (spec) => {
    // 20 pids. A shell whose fork fails gives up, so the loop runs in an inner shell: it forks
    // sleeps until the 20th task (outer sh, inner sh, 18 sleeps), fails the next fork and exits;
    // the outer shell, pid 1, then becomes a sleep itself (exec: no fork left to make).
    spec.process!.args = ['sh', '-c', "sh -c 'for i in $(seq 40); do sleep 300 & done' 2>/tmp/fork.err; echo started; exec sleep 300"];
    spec.linux!.cgroupsPath = '/tsdtest/limits';
    spec.linux!.resources = {
      ...spec.linux!.resources,
      memory: { limit: 64 * 1024 * 1024, reservation: 32 * 1024 * 1024, swap: 96 * 1024 * 1024 },
      pids: { limit: 20 },
      cpu: { quota: 50_000, period: 100_000, shares: 512 },
      blockIO: { throttleReadBpsDevice: [{ major: major!, minor: minor!, rate: 1_048_576 }] },
    };
  });
  await must(`${RUNC} create --bundle ${path} limits </dev/null >/tmp/tsdtest/limits.out 2>&1`);
  t.teardown(() => sh(`${RUNC} delete --force limits`));
  await must(`${RUNC} start limits`);
  // Wait until the loop is done (its fork errors are written, then `started`).
  await must('for i in $(seq 100); do grep -q started /tmp/tsdtest/limits.out && exit 0; sleep 0.2; done; exit 1');

  const cg = '/sys/fs/cgroup/tsdtest/limits';
  const read = async (file: string) => (await must(`cat ${cg}/${file}`)).trim();
  t.is(await read('memory.max'), String(64 * 1024 * 1024));
  t.is(await read('memory.low'), String(32 * 1024 * 1024));
  t.is(await read('memory.swap.max'), String(32 * 1024 * 1024), 'v2 swap is limit+swap minus the limit');
  t.is(await read('pids.max'), '20');
  t.is(await read('cpu.max'), '50000 100000');
  // cpu.shares 512 → cpu.weight on runc ≥ 1.3's log scale (where 1024 meets 100): 59.
  t.is(await read('cpu.weight'), '59');
  t.regex(await read('io.max'), new RegExp(`^${major}:${minor} rbps=1048576 wbps=max riops=max wiops=max$`, 'm'));

  // The fork loop stopped at the limit: the kernel refused a fork (pids.events), the inner shell
  // said so, and 19 tasks remain (pid 1 and 18 sleeps) once it exited.
  t.regex(await read('pids.events'), /^max [1-9]\d*$/m);
  t.regex(await must(`cat ${path}/rootfs/tmp/fork.err`), /can't fork|Resource temporarily unavailable/);
  t.is(await read('pids.current'), '19');
  const state = JSON.parse(await must(`${RUNC} state limits`)) as { status: string; pid: number };
  t.is(state.status, 'running');
  t.regex(await must(`cat /proc/${state.pid}/cgroup`), /^0::\/tsdtest\/limits$/m);

  await must(`${RUNC} delete --force limits`);
  t.is((await sh(`test -e ${cg}`)).code, 1, 'the cgroup is removed on delete');
});

test.serial('a memory hog is OOM-killed at memory.max (exit 137, oom_kill counted)', async (t) => {
  const path = await bundle('hog', (spec) => {
    // tail keeps the whole of /dev/zero (one endless line) in memory.
    spec.process!.args = ['sh', '-c', 'cat /sys/fs/cgroup/memory.max; tail /dev/zero'];
    spec.linux!.cgroupsPath = '/tsdtest/hog';
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } };
  });
  const result = await sh(`${RUNC} run --bundle ${path} hog </dev/null 2>&1`);
  t.is(result.code, 137, result.stdout);
  // The default spec's read-only cgroup mount, in a cgroup namespace: the container's own cgroup is its root.
  t.is(result.stdout.split('\n')[0], String(32 * 1024 * 1024), 'the container sees its own memory.max');
  t.regex(await must('dmesg | tail -40'), /Memory cgroup out of memory|oom-kill:.*tsdtest\/hog/);
  t.is((await sh('test -e /sys/fs/cgroup/tsdtest/hog')).code, 1, 'the cgroup is removed after run');
});

test.serial('update changes memory.max and pids.max live', async (t) => {
  const path = await bundle('update', (spec) => {
    spec.process!.args = ['sleep', '300'];
    spec.linux!.cgroupsPath = '/tsdtest/update';
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 10 } };
  });
  await must(`${RUNC} run -d --bundle ${path} upd </dev/null >/dev/null 2>&1`);
  t.teardown(() => sh(`${RUNC} delete --force upd`));
  await must(`${RUNC} update --memory 100000000 --pids-limit 30 upd`);
  t.is((await must('cat /sys/fs/cgroup/tsdtest/update/memory.max')).trim(), '99999744', 'rounded down to the page size');
  t.is((await must('cat /sys/fs/cgroup/tsdtest/update/pids.max')).trim(), '30');
  await must(`${RUNC} delete --force upd`);
  t.is((await sh('test -e /sys/fs/cgroup/tsdtest/update')).code, 1);
});
