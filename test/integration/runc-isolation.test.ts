/**
 * Isolation and security of tsd-runc containers, observed from inside with busybox: pid 1, own
 * hostname, only `lo`, no host mounts, read-only rootfs, masked paths, dropped capabilities,
 * seccomp errno, user namespace mappings, rlimits, sysctls, user and groups, hooks.
 */
import test from 'ava';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Spec } from '../../guest/api/oci-runtime-spec.js';
import { makeBusyboxBundle } from '../helpers/busybox-bundle.js';
import { RuncCli } from '../helpers/runc-cli.js';

const id = (name: string) => `tsdtest-${name}-${randomBytes(3).toString('hex')}`;

/** Runs `script` in a fresh container and returns its exit code and output. */
async function runScript(script: string, change?: (spec: Spec, dir: string) => void) {
  const runc = new RuncCli();
  const bundle = makeBusyboxBundle(['sh', '-c', script]);
  try {
    change?.(bundle.spec, bundle.dir);
    bundle.save();
    const result = await runc.run(['run', '-b', bundle.dir, id('iso')]);
    return { ...result, leftovers: runc.leftovers(), bundle: bundle.dir };
  } finally {
    await runc.cleanup();
    bundle.remove();
  }
}

test('the process is pid 1 with its own hostname, only lo, and no host mounts', async (t) => {
  const r = await runScript('echo pid=$$; hostname; ls /sys/class/net; cat /proc/self/mountinfo');
  t.is(r.code, 0, r.stderr);
  const [pid, hostname, ...rest] = r.stdout.split('\n');
  t.is(pid, 'pid=1');
  t.is(hostname, 'tsd-runc');
  t.is(rest[0], 'lo');
  t.regex(rest[1] ?? '', /^\d+ \d+ /, 'mountinfo follows lo: no other interface listed');
  const mountinfo = rest.slice(1).join('\n');
  t.false(mountinfo.includes('/work'), 'host paths are not visible');
  t.false(/ \/tmp\/tsdtest-bundle/.test(mountinfo.split('\n').map((l) => l.split(' ')[4]).join(' ')), 'no mount point outside the rootfs');
  t.deepEqual(r.leftovers, []);
});

test('a read-only rootfs rejects writes; masked paths read empty; read-only paths reject writes', async (t) => {
  // /proc/timer_list has content on any kernel that has it (this one lacks /proc/kcore).
  t.true(readFileSync('/proc/timer_list', 'utf8').length > 0);
  const r = await runScript('touch /newfile 2>&1; echo touch=$?; wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname 2>&1; echo sysw=$?');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Read-only file system/);
  t.regex(r.stdout, /touch=1/);
  const lines = r.stdout.split('\n').filter((l) => /^\s*\d+$/.test(l)).map((l) => l.trim());
  t.deepEqual(lines, ['0', '0'], '/proc/timer_list masked with /dev/null, /sys/firmware with an empty tmpfs');
  t.regex(r.stdout, /sysw=1/);
});

test('capabilities are dropped: no CAP_NET_RAW means no ping, no CAP_CHOWN means no chown', async (t) => {
  const tmpfs = (spec: Spec) => spec.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
  const denied = await runScript('grep CapEff /proc/self/status; ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo ping=$?; touch /tmp/f; chown 1:1 /tmp/f 2>&1; echo chown=$?', tmpfs);
  t.is(denied.code, 0, denied.stderr);
  t.regex(denied.stdout, /CapEff:\s+0000000020000420/);
  t.regex(denied.stdout, /ping=1/);
  t.regex(denied.stdout, /Operation not permitted/);
  t.regex(denied.stdout, /chown=1/);
  const allowed = await runScript('ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; echo ping=$?; touch /tmp/f; chown 1:1 /tmp/f; echo chown=$?', (spec) => {
    tmpfs(spec);
    const caps = spec.process!.capabilities!;
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...caps[set]!, 'CAP_NET_RAW', 'CAP_CHOWN'];
  });
  t.regex(allowed.stdout, /ping=0/, allowed.stderr);
  t.regex(allowed.stdout, /chown=0/);
});

test('a seccomp rule makes the syscall fail with the configured errno', async (t) => {
  const r = await runScript('mkdir /tmp/x 2>&1; echo mkdir=$?; echo still alive', (spec) => {
    spec.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 18 }],
    };
  });
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /Invalid cross-device link/); // EXDEV = 18
  t.regex(r.stdout, /mkdir=1/);
  t.regex(r.stdout, /still alive/);
});

test('a user namespace maps container root to the configured host range', async (t) => {
  const r = await runScript('id -u; cat /proc/self/uid_map /proc/self/gid_map; grep -E "^(Uid|Gid)" /proc/self/status', (spec, dir) => {
    chmodSync(dir, 0o755); // the mapped root must be able to reach the rootfs
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  });
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  t.is(lines[0], '0');
  t.is(lines[1], '0 200000 65536');
  t.is(lines[2], '0 200000 65536');
  t.deepEqual(r.leftovers, []);
});

test('user, groups, cwd, env, rlimits, sysctls and umask are applied', async (t) => {
  const r = await runScript('id; pwd; echo $GREETING; ulimit -n; cat /proc/sys/net/ipv4/ip_forward; umask', (spec) => {
    const proc = spec.process!;
    proc.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o027 };
    proc.cwd = '/tmp';
    proc.env!.push('GREETING=hello');
    proc.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 321, hard: 654 }];
    spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  });
  t.is(r.code, 0, r.stderr);
  const [id, cwd, greeting, nofile, forward, umask] = r.stdout.split('\n');
  t.is(id, 'uid=1000 gid=1000 groups=10,20');
  t.is(cwd, '/tmp');
  t.is(greeting, 'hello');
  t.is(nofile, '321');
  t.is(forward, '1');
  t.is(umask, '0027');
});

test('hooks run with the state on stdin: createRuntime and prestart before the process, poststart, poststop', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'tsdtest-hooks-'));
  try {
    const r = await runScript('echo ran', (spec) => {
      const hook = (name: string, dir = out) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${name}.json; readlink /proc/self/ns/mnt > ${dir}/${name}.mnt`], timeout: 10 });
      spec.mounts!.push({ destination: '/out', type: 'bind', source: out, options: ['rbind'] });
      spec.hooks = {
        createRuntime: [hook('createRuntime')],
        prestart: [hook('prestart')],
        createContainer: [hook('createContainer')],
        startContainer: [hook('startContainer', '/out')], // resolved and run inside the container
        poststart: [hook('poststart')],
        poststop: [hook('poststop')],
      };
    });
    t.is(r.code, 0, r.stderr);
    const read = (name: string) => JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as { id: string; status: string; pid: number; bundle: string };
    t.is(read('createRuntime').status, 'creating');
    t.true(read('createRuntime').pid > 0);
    t.is(read('prestart').bundle, r.bundle);
    t.is(read('poststart').status, 'running');
    t.is(read('poststop').status, 'stopped');
    t.regex(read('poststop').id, /^tsdtest-iso-/);
    t.is(read('createContainer').pid, read('createRuntime').pid);
    t.is(read('startContainer').pid, read('createRuntime').pid);
    const mnt = (name: string) => readFileSync(join(out, `${name}.mnt`), 'utf8');
    t.is(mnt('createRuntime'), readlinkSync('/proc/self/ns/mnt') + '\n', 'createRuntime runs in the runtime namespace');
    t.not(mnt('createContainer'), mnt('createRuntime'), 'createContainer runs in the container namespace');
    t.is(mnt('startContainer'), mnt('createContainer'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a startContainer hook that times out fails the start; nothing is left behind', async (t) => {
  const r = await runScript('echo should-not-run', (spec) => {
    spec.hooks = { startContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /hook \/bin\/sleep: timed out/);
  t.false(r.stdout.includes('should-not-run'));
  t.deepEqual(r.leftovers, []);
});

test('a failing createRuntime hook fails the container and leaves nothing behind', async (t) => {
  const r = await runScript('echo should-not-run', (spec) => {
    spec.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 3'] }] };
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /error running createRuntime hook #0: .*exit status 3/);
  t.false(r.stdout.includes('should-not-run'));
  t.deepEqual(r.leftovers, []);
});
