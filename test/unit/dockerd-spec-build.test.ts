import test from 'ava';
import { TsdError } from '../../guest/api/errors.js';
import { buildSpec, type SpecInput } from '../../guest/dockerd/containers/spec/build-spec.js';
import { DEFAULT_CAPABILITIES, resolveCapabilities } from '../../guest/dockerd/containers/spec/capabilities.js';
import { withHostDefaults, validateHostConfig } from '../../guest/dockerd/containers/spec/host-defaults.js';
import { mergeImageConfig, processEnv } from '../../guest/dockerd/containers/spec/process-args.js';
import { linuxResources, validateResources } from '../../guest/dockerd/containers/spec/resources.js';
import { parseSecurityOpts } from '../../guest/dockerd/containers/spec/security-opt.js';
import { profileToOci } from '../../guest/dockerd/containers/spec/seccomp-profile.js';

const ID = 'a'.repeat(64);

function input(overrides: Partial<SpecInput> = {}): SpecInput {
  return {
    id: ID,
    config: { Cmd: ['echo', 'hi'], Env: ['PATH=/bin'] },
    host: withHostDefaults({}),
    user: { user: { uid: 0, gid: 0 }, home: '/root' },
    mounts: [],
    etcFiles: { hostname: '/c/hostname', hosts: '/c/hosts', resolvConf: '/c/resolv.conf' },
    cgroupsPath: '/tsd/' + ID,
    cgroupNamespace: false,
    arch: 'x64',
    ...overrides,
  };
}

function invalid(t: import('ava').ExecutionContext, fn: () => unknown, message: string): void {
  const error = t.throws(fn, { instanceOf: TsdError });
  t.is(error?.code, 'invalid-argument');
  t.is(error?.message, message);
}

test('image config merge: Entrypoint from the request drops the image Cmd, env overrides by key', (t) => {
  const image = { Entrypoint: ['/entry'], Cmd: ['default'], Env: ['PATH=/img', 'A=1'], WorkingDir: '/w', User: 'nobody' };
  const merged = mergeImageConfig({ Entrypoint: ['/mine'], Env: ['A=2', 'B=3'] }, image);
  t.deepEqual(merged.Entrypoint, ['/mine']);
  t.is(merged.Cmd, null);
  t.deepEqual(merged.Env, ['PATH=/img', 'A=2', 'B=3']);
  t.is(merged.WorkingDir, '/w');
  t.is(merged.User, 'nobody');
  const cmdOnly = mergeImageConfig({ Cmd: ['other'] }, image);
  t.deepEqual([cmdOnly.Entrypoint, cmdOnly.Cmd], [['/entry'], ['other']]);
  const reset = mergeImageConfig({ Entrypoint: [] }, image);
  t.deepEqual([reset.Entrypoint, reset.Cmd], [null, ['default']]);
});

test('process env: default PATH, HOSTNAME, TERM with a tty', (t) => {
  t.deepEqual(processEnv({ Tty: true, Env: ['X=1'] }, 'h'), [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'TERM=xterm', 'X=1',
  ]);
});

test('spec: args, cwd, hostname from the ID, Docker default caps, etc files mounted', (t) => {
  const spec = buildSpec(input());
  t.deepEqual(spec.process?.args, ['echo', 'hi']);
  t.is(spec.process?.cwd, '/');
  t.is(spec.hostname, ID.slice(0, 12));
  t.deepEqual(spec.process?.capabilities?.bounding, [...DEFAULT_CAPABILITIES]);
  t.true(spec.process?.env?.includes('HOME=/root'));
  const etc = spec.mounts!.filter((m) => m.destination.startsWith('/etc/')).map((m) => [m.destination, m.source]);
  t.deepEqual(etc, [['/etc/resolv.conf', '/c/resolv.conf'], ['/etc/hostname', '/c/hostname'], ['/etc/hosts', '/c/hosts']]);
  t.true(spec.linux!.maskedPaths!.includes('/proc/kcore'));
  t.deepEqual(spec.linux!.namespaces!.map((n) => n.type), ['mount', 'network', 'pid', 'ipc', 'uts']);
  t.is(spec.mounts!.find((m) => m.destination === '/dev/shm')?.options?.at(-1), 'size=65536k');
});

test('spec: no command is a 400', (t) => {
  invalid(t, () => buildSpec(input({ config: {} })), 'no command specified');
});

test('spec: Init prepends docker-init and mounts the binary', (t) => {
  const spec = buildSpec(input({ host: withHostDefaults({ Init: true }), initPath: '/usr/bin/tini-static' }));
  t.deepEqual(spec.process?.args, ['/sbin/docker-init', '--', 'echo', 'hi']);
  t.is(spec.mounts!.find((m) => m.destination === '/sbin/docker-init')?.source, '/usr/bin/tini-static');
});

test('spec: privileged gets every capability, no masked paths, all devices, rw /sys', (t) => {
  const spec = buildSpec(input({ host: withHostDefaults({ Privileged: true }) }));
  t.true(spec.process!.capabilities!.bounding!.includes('CAP_SYS_ADMIN'));
  t.deepEqual(spec.linux!.maskedPaths, []);
  t.deepEqual(spec.linux!.resources!.devices, [{ allow: true, access: 'rwm' }]);
  t.true(spec.mounts!.find((m) => m.destination === '/sys')!.options!.includes('rw'));
});

test('spec: host network shares the namespace and the hostname', (t) => {
  const spec = buildSpec(input({ host: withHostDefaults({ NetworkMode: 'host' }) }));
  t.deepEqual(spec.linux!.namespaces!.map((n) => n.type), ['mount', 'pid', 'ipc']);
  t.is(spec.hostname, undefined);
});

test('spec: user mounts replace defaults at the same place', (t) => {
  const spec = buildSpec(input({ mounts: [{ destination: '/dev/shm', type: 'bind', source: '/x', options: ['rbind'] }] }));
  t.deepEqual(spec.mounts!.filter((m) => m.destination === '/dev/shm').map((m) => m.source), ['/x']);
});

test('capabilities: add/drop with and without the prefix, ALL, unknown names', (t) => {
  const caps = resolveCapabilities(['net_admin', 'CAP_SYS_TIME'], ['chown', 'NET_RAW']);
  t.true(caps.includes('CAP_NET_ADMIN') && caps.includes('CAP_SYS_TIME'));
  t.false(caps.includes('CAP_CHOWN') || caps.includes('CAP_NET_RAW'));
  t.deepEqual(resolveCapabilities(['kill'], ['ALL']), ['CAP_KILL']);
  t.false(resolveCapabilities(['ALL'], ['sys_admin']).includes('CAP_SYS_ADMIN'));
  invalid(t, () => resolveCapabilities(['bogus']), 'unknown capability: "CAP_BOGUS"');
});

test('resources: limits become cgroup values, NanoCpus a CFS quota', (t) => {
  const host = withHostDefaults({ Memory: 64 << 20, MemoryReservation: 32 << 20, NanoCpus: 1.5e9, CpuShares: 512, PidsLimit: 50, BlkioWeight: 300, CpusetCpus: '0' });
  t.is(host.MemorySwap, 128 << 20);
  t.deepEqual(linuxResources(host), {
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 },
    cpu: { shares: 512, period: 100_000, quota: 150_000, cpus: '0' },
    pids: { limit: 50 },
    blockIO: { weight: 300 },
  });
});

test("resources: Docker's validation wording", (t) => {
  invalid(t, () => validateResources({ Memory: 1000 }, 2), 'Minimum memory limit allowed is 6MB');
  invalid(t, () => validateResources({ Memory: 10 << 20, MemorySwap: 8 << 20 }, 2), 'Minimum memoryswap limit should be larger than memory limit, see usage');
  invalid(t, () => validateResources({ MemorySwap: 8 << 20 }, 2), 'You should always set the Memory limit when using Memoryswap limit, see usage');
  invalid(t, () => validateResources({ NanoCpus: 3e9 }, 2), 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  invalid(t, () => validateResources({ CpusetCpus: '5' }, 2), 'Requested CPUs are not available - requested 5, available: 0-1');
  invalid(t, () => validateResources({ BlkioWeight: 5 }, 2), 'Range of blkio weight is from 10 to 1000');
  invalid(t, () => validateResources({ CpuQuota: 10 }, 2), 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  t.notThrows(() => validateResources({ Memory: 10 << 20, CpusetCpus: '0-1', NanoCpus: 5e8 }, 2));
});

test('restart policy and AutoRemove validation', (t) => {
  invalid(t, () => validateHostConfig({ RestartPolicy: { Name: 'sometimes' as 'no' } }), "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  invalid(t, () => validateHostConfig({ RestartPolicy: { Name: 'always', MaximumRetryCount: 3 } }), "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  invalid(t, () => validateHostConfig({ AutoRemove: true, RestartPolicy: { Name: 'always' } }), "can't create 'AutoRemove' container with restart policy");
  invalid(t, () => validateHostConfig({ Sysctls: { 'kernel.hostname': 'x' } }), "sysctl 'kernel.hostname' is not allowed");
  t.notThrows(() => validateHostConfig({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, Sysctls: { 'net.ipv4.ip_forward': '1' } }));
});

test('security options: no-new-privileges, seccomp unconfined/profile, bad keys', (t) => {
  t.deepEqual(parseSecurityOpts(['no-new-privileges:true', 'seccomp=unconfined']), { noNewPrivileges: true, seccomp: { kind: 'unconfined' } });
  invalid(t, () => parseSecurityOpts(['bogus']), 'invalid --security-opt 1: "bogus"');
  invalid(t, () => parseSecurityOpts(['foo=bar']), 'invalid --security-opt 2: "foo=bar"');
  const spec = buildSpec(input({ host: withHostDefaults({ SecurityOpt: [`seccomp=${JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] })}`] }) }));
  t.deepEqual(spec.linux!.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
});

test('seccomp profile: includes/excludes by capability and arch', (t) => {
  const oci = profileToOci(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', excludes: { caps: ['CAP_SYS_ADMIN'] } },
        { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
      ],
    },
    'amd64',
    ['CAP_KILL'],
  );
  t.deepEqual(oci.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86']);
  t.deepEqual(oci.syscalls!.map((s) => s.names[0]), ['read', 'clone', 'arch_prctl']);
});

test('default seccomp: refusals depend on capabilities; privileged and unconfined get none', async (t) => {
  const { defaultSeccompProfile } = await import('../../guest/dockerd/containers/spec/default-seccomp.js');
  const spec = buildSpec(input({ defaultSeccomp: defaultSeccompProfile() }));
  const refused = (s: typeof spec): string[] => s.linux!.seccomp!.syscalls!.filter((r) => r.action === 'SCMP_ACT_ERRNO' && !r.args).flatMap((r) => r.names);
  t.is(spec.linux!.seccomp!.defaultAction, 'SCMP_ACT_ALLOW');
  t.deepEqual(spec.linux!.seccomp!.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  t.true(refused(spec).includes('unshare') && refused(spec).includes('ptrace') && refused(spec).includes('keyctl'));
  const admin = buildSpec(input({ defaultSeccomp: defaultSeccompProfile(), host: withHostDefaults({ CapAdd: ['SYS_ADMIN', 'SYS_PTRACE'] }) }));
  t.false(refused(admin).includes('unshare') || refused(admin).includes('ptrace'));
  t.true(refused(admin).includes('keyctl'));
  t.is(buildSpec(input({ defaultSeccomp: defaultSeccompProfile(), host: withHostDefaults({ Privileged: true }) })).linux!.seccomp, undefined);
  t.is(buildSpec(input({ defaultSeccomp: defaultSeccompProfile(), host: withHostDefaults({ SecurityOpt: ['seccomp=unconfined'] }) })).linux!.seccomp, undefined);
});

test('privileged gets the engine bounding set, not a fixed list', async (t) => {
  const { capabilitiesInMask } = await import('../../guest/dockerd/containers/spec/capabilities.js');
  const all = capabilitiesInMask('000000ffffffffff'); // caps 0..39
  t.is(all.length, 40);
  t.false(all.includes('CAP_CHECKPOINT_RESTORE'));
  const spec = buildSpec(input({ host: withHostDefaults({ Privileged: true }), allCapabilities: all }));
  t.deepEqual(spec.process!.capabilities!.bounding, all);
});
