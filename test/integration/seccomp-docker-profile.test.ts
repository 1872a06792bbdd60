/**
 * Docker's real default seccomp profile, as Debian's dockerd hands it to an OCI runtime: a
 * runtime wrapper registered with `--add-runtime` copies the bundle's config.json and execs
 * Debian's runc. The captured `linux.seccomp` is compiled for x64 and arm64 (under the 4096
 * limit) and the x64 program is loaded into real processes by a test-only loader: ordinary
 * work runs, and what Docker denies (unshare of a user namespace) fails with EPERM.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Spec } from '../../guest/api/oci-runtime-spec.js';
import { BPF_MAXINSNS, compileSeccomp, seccompFlags } from '../../guest/runc/seccomp/index.js';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import { buildSeccompLoader } from '../helpers/seccomp-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'tsdtest-seccomp-docker-'));
const captured = join(dir, 'captured');
const image = `tsdtest-seccomp-busybox-${randomBytes(3).toString('hex')}`;
let dockerd: DebianDockerd | undefined;

const WRAPPER = `#!/bin/sh
prev=""
for a in "$@"; do
  if [ "$prev" = "--bundle" ] || [ "$prev" = "-b" ]; then cp "$a/config.json" "${captured}/config-$$.json"; fi
  prev="$a"
done
exec runc "$@"
`;

let loader = '';
let profile: NonNullable<NonNullable<Spec['linux']>['seccomp']>;

test.before(async () => {
  execFileSync('mkdir', ['-p', captured]);
  const wrapper = join(dir, 'capture-runtime');
  writeFileSync(wrapper, WRAPPER);
  chmodSync(wrapper, 0o755);
  dockerd = await startDebianDockerd({
    dir,
    args: ['--add-runtime', `capture=${wrapper}`, '--bridge', 'none', '--storage-driver', 'vfs'],
  });
  await dockerd.importBusybox(image);
  await dockerd.docker(['run', '--rm', '--network', 'none', '--runtime', 'capture', image, 'true']);
  const file = readdirSync(captured).find((f) => f.endsWith('.json'));
  if (!file) throw new Error('the runtime wrapper captured no config.json');
  const spec = JSON.parse(readFileSync(join(captured, file), 'utf8')) as Spec;
  if (!spec.linux?.seccomp) throw new Error('dockerd sent no linux.seccomp (is dockerd built without seccomp?)');
  profile = spec.linux.seccomp;
  loader = buildSeccompLoader(dir);
});

test.after.always(async () => {
  await dockerd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.serial("Docker's default profile compiles under 4096 instructions for x64 and arm64", (t) => {
  const names = new Set((profile.syscalls ?? []).flatMap((s) => s.names));
  t.is(profile.defaultAction, 'SCMP_ACT_ERRNO');
  t.true(names.size > 300, `${names.size} syscall names`);
  for (const arch of ['x64', 'arm64'] as const) {
    const size = compileSeccomp(profile, arch).length / 8;
    t.log(`${arch}: ${size} instructions for ${names.size} names, ${profile.architectures?.join(' ')}`);
    t.true(size <= BPF_MAXINSNS);
  }
});

test.serial("Docker's default profile in the kernel: busybox works, unshare(CLONE_NEWUSER) gets EPERM", (t) => {
  const filter = join(dir, 'docker-default.bpf');
  writeFileSync(filter, compileSeccomp(profile, process.arch));
  const flags = String(seccompFlags(profile));
  const ok = spawnSync(loader, [filter, flags, '/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/x-$$ && rmdir /tmp/x-$$ && echo works | tr a-z A-Z'], { encoding: 'utf8' });
  t.is(ok.status, 0, ok.stderr);
  t.is(ok.stdout.trim(), 'WORKS');
  const denied = spawnSync(loader, [filter, flags, '/bin/busybox', 'unshare', '-U', 'true'], { encoding: 'utf8' });
  t.not(denied.status, 0);
  t.regex(denied.stderr, /Operation not permitted/);
  const unfiltered = spawnSync('/bin/busybox', ['unshare', '-U', 'true'], { encoding: 'utf8' });
  t.is(unfiltered.status, 0, `without the filter unshare works: ${unfiltered.stderr}`);
});
