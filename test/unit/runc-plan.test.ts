/** Spec → plan conversion (pure): order of steps, flags, identity, devices, exec plans, encoding. */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Spec } from '../../guest/api/oci-runtime-spec.js';
import { buildInitPlan, hookSteps, type InitPlanInput } from '../../guest/runc/plan/build-init.js';
import { buildExecPlan } from '../../guest/runc/plan/build-exec.js';
import type { HostView } from '../../guest/runc/plan/host-view.js';
import { capabilityMask, identitySteps } from '../../guest/runc/plan/identity.js';
import { MS } from '../../guest/runc/plan/linux-constants.js';
import { parseMountOptions, mountSteps } from '../../guest/runc/plan/mounts.js';
import { encodePlan, type Step } from '../../guest/runc/plan/steps.js';
import { secureJoin } from '../../guest/runc/plan/secure-join.js';
import { defaultSpec } from '../../guest/runc/spec/default-spec.js';
import { withDeviceRules } from '../../guest/runc/plan/device-rules.js';

const host: HostView = {
  resolve: (rootfs, path) => `${rootfs}${path}`,
  isDirectory: (path) => !path.endsWith('.conf'),
  cgroupV1Mounts: [],
  hasKcore: false,
  oomScoreAdj: 0,
};

function plan(change?: (spec: Spec) => void, extra: Partial<InitPlanInput> = {}): Step[] {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  change?.(spec);
  const state = { ociVersion: '1.2.0', id: 'c1', pid: 0, status: 'creating' as const, bundle: '/b', rootfs: '/b/rootfs', created: 'now', owner: '' };
  return buildInitPlan({ spec, bundle: '/b', rootfs: '/b/rootfs', mode: { kind: 'create', fifoPath: '/run/x/exec.fifo' }, noPivot: false, preserveFds: 0, host, state, ...extra });
}

const names = (steps: Step[]) => steps.map((s) => s[0]);

test('create plan: fifo before clone, sync after clone, pivot after mounts, fifo wait before exec', (t) => {
  const steps = names(plan());
  t.true(steps.indexOf('mkfifo') < steps.indexOf('clone'));
  t.is(steps[steps.indexOf('clone') + 1], 'sync');
  t.true(steps.lastIndexOf('mount') < steps.indexOf('pivot_root'));
  t.true(steps.indexOf('ready') < steps.indexOf('fifo_wait'));
  t.deepEqual(steps.slice(-2), ['closefds', 'exec']);
  t.false(steps.includes('attached'));
});

test('clone flags hold every new namespace except cgroup, which is unshared after the sync', (t) => {
  const steps = plan();
  const clone = steps.find((s) => s[0] === 'clone')!;
  t.is(clone[1], 0x20000000 | 0x40000000 | 0x08000000 | 0x04000000 | 0x00020000);
  t.deepEqual(steps.find((s) => s[0] === 'unshare'), ['unshare', 0x02000000]);
  t.true(names(steps).includes('loopback_up'));
});

test('namespaces with a path are joined before the clone, the user namespace first', (t) => {
  const steps = plan((s) => {
    s.linux!.namespaces = [{ type: 'mount' }, { type: 'network', path: '/run/netns/x' }, { type: 'user', path: '/proc/9/ns/user' }];
  });
  const setns = steps.filter((s) => s[0] === 'setns');
  t.deepEqual(setns.map((s) => s[1]), ['/proc/9/ns/user', '/run/netns/x']);
  t.is(steps.find((s) => s[0] === 'clone')![1], 0x00020000);
  t.false(names(steps).includes('loopback_up'));
});

test('run attached: an attached step first, no fifo, identity before ready', (t) => {
  const steps = names(plan(undefined, { mode: { kind: 'run', attached: true } }));
  t.is(steps[0], 'attached');
  t.false(steps.includes('mkfifo'));
  t.false(steps.includes('fifo_wait'));
  t.true(steps.indexOf('setuid') < steps.indexOf('ready'));
});

test('a non-root process waits on the fifo before dropping privileges', (t) => {
  const steps = names(plan((s) => (s.process!.user = { uid: 1000, gid: 1000 })));
  t.true(steps.indexOf('fifo_wait') < steps.indexOf('setuid'));
});

test('--no-pivot moves the rootfs and chroots; a terminal adds console steps', (t) => {
  const steps = names(plan((s) => (s.process!.terminal = true), { noPivot: true, consoleSocket: '/tmp/c.sock' }));
  t.true(steps.includes('chroot_move'));
  t.false(steps.includes('pivot_root'));
  t.true(steps.indexOf('console_connect') < steps.indexOf('clone'));
  t.true(steps.indexOf('chroot_move') < steps.indexOf('console_setup'));
});

test('mount options: flags set and cleared, propagation separate, the rest is data', (t) => {
  const parsed = parseMountOptions(['ro', 'nosuid', 'rw', 'rshared', 'mode=755', 'size=1m']);
  t.is(parsed.flags, MS.NOSUID);
  t.deepEqual(parsed.propagation, [MS.SHARED | MS.REC]);
  t.deepEqual(parsed.data, ['mode=755', 'size=1m']);
});

test('a read-only bind mount is a bind plus a remount; a file source gets a file target', (t) => {
  const steps = mountSteps({ destination: '/etc/app.conf', type: 'bind', source: 'app.conf', options: ['rbind', 'ro'] }, '/r/etc/app.conf', '/b', host);
  t.deepEqual(steps, [
    ['touch', '/r/etc/app.conf'],
    ['mount', '/b/app.conf', '/r/etc/app.conf', '', MS.BIND | MS.REC, ''],
    ['remount', '/r/etc/app.conf', MS.RDONLY | MS.BIND | MS.REC],
  ]);
});

test('a cgroup mount on a v1 host is a tmpfs with one read-only bind per hierarchy', (t) => {
  const v1: HostView = { ...host, cgroupV1Mounts: [{ name: 'memory', hostDir: '/sys/fs/cgroup/memory/tsd-runc/x' }] };
  const steps = mountSteps({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid'] }, '/r/sys/fs/cgroup', '/b', v1);
  t.deepEqual(steps.map((s) => s[0]), ['mkdirp', 'mount', 'mkdirp', 'mount', 'remount', 'remount']);
  t.is(steps[1]![3], 'tmpfs');
  t.is(steps[3]![1], '/sys/fs/cgroup/memory/tsd-runc/x');
  const v2 = mountSteps({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' }, '/r/sys/fs/cgroup', '/b', host);
  t.is(v2[1]![3], 'cgroup2');
  // Read-only cgroup2: mounted read-write (the one superblock is; ro would be EBUSY), then a bind remount.
  const ro = mountSteps({ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid'] }, '/r/sys/fs/cgroup', '/b', host);
  t.deepEqual(ro.map((s) => s[0]), ['mkdirp', 'mount', 'remount']);
  t.is((ro[1]![4] as number) & MS.RDONLY, 0);
  t.is(ro[2]![2], MS.BIND | MS.NOSUID | MS.RDONLY);
});

test('identity: bounding first, keepcaps around setuid, ambient only where permitted and inheritable, nnp then seccomp', (t) => {
  const filter = Buffer.alloc(8);
  const steps = identitySteps(
    {
      user: { uid: 1, gid: 2, additionalGids: [3] },
      cwd: '/',
      noNewPrivileges: true,
      capabilities: { bounding: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL', 'CAP_CHOWN'], effective: ['CAP_KILL'] },
    },
    { flags: 0, filter },
    { setgroups: true },
  );
  t.deepEqual(names(steps), ['bounding', 'keepcaps', 'setgroups', 'setgid', 'setuid', 'keepcaps', 'capset', 'ambient', 'chdir', 'nnp', 'seccomp']);
  t.deepEqual(steps.find((s) => s[0] === 'ambient'), ['ambient', 1n << 5n]);
  t.is(capabilityMask(['CAP_CHOWN', 'CAP_NET_RAW']), 1n | (1n << 13n));
});

test('without no_new_privs the seccomp filter is loaded while CAP_SYS_ADMIN is still held', (t) => {
  const steps = names(identitySteps({ user: { uid: 0, gid: 0 }, cwd: '/' }, { flags: 0, filter: Buffer.alloc(8) }, { setgroups: true }));
  t.true(steps.indexOf('seccomp') < steps.indexOf('setuid'));
});

test('devices: mknod without a user namespace, bind mounts inside one; device cgroup allows them', (t) => {
  const plain = names(plan());
  t.true(plain.includes('mknod'));
  const userns = plan((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  });
  t.false(names(userns).includes('mknod'));
  t.true(userns.some((s) => s[0] === 'mount' && s[1] === '/dev/null'));
  const rules = withDeviceRules({ devices: [{ allow: false, access: 'rwm' }] }, undefined).devices!;
  t.deepEqual(rules[0], { allow: false, access: 'rwm' });
  t.true(rules.some((r) => r.allow && r.major === 1 && r.minor === 3));
});

test('exec plan joins the init namespaces (mount last), forks, and never mounts', (t) => {
  const steps = buildExecPlan({
    process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['sh'], env: ['A=1'] },
    initPid: 42,
    namespaces: ['mount', 'pid', 'network', 'user'],
    attached: true,
    preserveFds: 2,
  });
  t.deepEqual(steps.filter((s) => s[0] === 'setns').map((s) => s[1]), ['/proc/42/ns/user', '/proc/42/ns/net', '/proc/42/ns/pid', '/proc/42/ns/mnt']);
  t.deepEqual(steps.find((s) => s[0] === 'clone'), ['clone', 0]);
  t.false(names(steps).includes('mount'));
  t.deepEqual(steps.at(-2), ['closefds', 2]);
  t.deepEqual(steps.at(-1), ['exec', 'sh', ['sh'], ['A=1']]);
});

test('the wire format: magic, version, count, then argc and length-prefixed fields', (t) => {
  const bytes = encodePlan([['chdir', '/x'], ['mkdirp', '/d', 0o755], ['exec', 'sh', ['sh', '-c'], ['A=1']]]);
  t.is(bytes.subarray(0, 4).toString(), 'TSDP');
  t.is(bytes.readUInt32LE(4), 1);
  t.is(bytes.readUInt32LE(8), 3);
  t.is(bytes.readUInt32LE(12), 2); // chdir: 2 fields
  t.is(bytes.readUInt32LE(16), 5);
  t.is(bytes.subarray(20, 25).toString(), 'chdir');
  const fields: string[] = [];
  let off = 12;
  for (let step = 0; step < 3; step++) {
    const argc = bytes.readUInt32LE(off);
    off += 4;
    for (let i = 0; i < argc; i++) {
      const len = bytes.readUInt32LE(off);
      fields.push(bytes.subarray(off + 4, off + 4 + len).toString());
      off += 4 + len;
    }
  }
  t.deepEqual(fields, ['chdir', '/x', 'mkdirp', '/d', '755', 'exec', 'sh', '2', 'sh', '-c', 'A=1']);
  t.is(off, bytes.length);
});

test('createContainer hooks run in the helper before pivot_root, startContainer ones just before exec', (t) => {
  const steps = plan((s) => {
    s.hooks = { createContainer: [{ path: '/h1', args: ['h1', 'x'], timeout: 5 }], startContainer: [{ path: '/h2' }], createRuntime: [{ path: '/h0' }] };
  });
  const order = names(steps);
  t.true(order.indexOf('sync') < order.indexOf('hook'));
  t.true(order.indexOf('hook') < order.indexOf('pivot_root'));
  t.true(order.lastIndexOf('hook') > order.indexOf('fifo_wait'));
  t.true(order.lastIndexOf('hook') < order.indexOf('exec'));
  const [first] = hookSteps([{ path: '/h', args: ['h'], env: ['A=1'], timeout: 3 }], { ociVersion: '1.2.0', id: 'c', pid: 0, status: 'created', bundle: '/b', rootfs: '/r', created: 'now', owner: '' });
  t.is(`${first![3]}4242${first![4]}`, JSON.stringify({ ociVersion: '1.2.0', id: 'c', pid: 4242, status: 'created', bundle: '/b', rootfs: '/r', created: 'now', owner: '' }));
  t.deepEqual(first!.slice(0, 3), ['hook', '/h', 3]);
});

test('secureJoin follows symlinks inside the rootfs only; absent parts stay lexical, also after ..', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tsdtest-securejoin-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'a'));
  mkdirSync(join(root, 'c'));
  symlinkSync('/c', join(root, 'a/l'));
  symlinkSync('../../../..', join(root, 'up'));
  t.is(secureJoin(root, 'a/l/x'), join(root, 'c/x'));
  t.is(secureJoin(root, 'missing/../a/l/y'), join(root, 'c/y'));
  t.is(secureJoin(root, 'up/etc/passwd'), join(root, 'etc/passwd'));
  t.is(secureJoin(root, 'a/missing/deeper/..'), join(root, 'a/missing'));
  t.is(secureJoin(root, '/a/./l'), join(root, 'c'));
});
