/**
 * The swap test: Debian's real dockerd (with its managed containerd and containerd-shim-runc-v2)
 * runs containers on tsd-runc (`--add-runtime tsd=bin/tsd-runc`), on a socket, data root, exec
 * root and bridge of its own. A busybox image is imported from a tar (no registry needed).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { startDebianDockerd, type DebianDockerd } from '../helpers/debian-dockerd.js';
import { freePort } from '../helpers/free-port.js';
import { TSD_RUNC } from '../helpers/runc-cli.js';

const run = promisify(execFile);
const suffix = randomBytes(3).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'tsdtest-dockerd-'));
const bridge = `tsdrt${suffix}`;
const subnet = `10.${200 + randomInt(50)}.${randomInt(250)}`;
const image = `tsdtest-busybox-${suffix}`;
let dockerd: DebianDockerd | undefined;

function docker(args: string[]) {
  if (!dockerd) throw new Error('dockerd did not start');
  return dockerd.docker(args);
}

test.before(async () => {
  await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
  await run('ip', ['link', 'set', bridge, 'up']);
  dockerd = await startDebianDockerd({
    dir,
    args: ['--add-runtime', `tsd=${TSD_RUNC}`, '--bridge', bridge, '--storage-driver', 'vfs'],
  });
  await dockerd.importBusybox(image);
});

test.after.always(async () => {
  await dockerd?.stop();
  await run('ip', ['link', 'del', bridge]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test.serial('docker run --runtime tsd: exit code and stdout', async (t) => {
  const error = await docker(['run', '--rm', '--runtime', 'tsd', image, 'sh', '-c', 'echo hello from tsd-runc; exit 3']).catch((e: { code: number; stdout: string }) => e);
  t.is((error as { code: number }).code, 3);
  t.is((error as { stdout: string }).stdout, 'hello from tsd-runc\n');
  const ok = await docker(['run', '--rm', '--runtime', 'tsd', image, 'cat', '/proc/1/cmdline']);
  t.is(ok.stdout, 'cat\0/proc/1/cmdline\0');
});

test.serial('a missing program is 127 and a non-executable one 126, as with runc (create-time lookup)', async (t) => {
  const missing = await docker(['run', '--rm', '--runtime', 'tsd', image, 'nonexistent-cmd']).catch((e: { code: number; stderr: string }) => e);
  t.is((missing as { code: number }).code, 127);
  t.regex((missing as { stderr: string }).stderr, /exec: "nonexistent-cmd": executable file not found in \$PATH/);
  const notExecutable = await docker(['run', '--rm', '--runtime', 'tsd', image, '/etc/passwd']).catch((e: { code: number }) => e);
  t.is((notExecutable as { code: number }).code, 126);
});

test.serial('docker run -it --runtime tsd gets a tty', async (t) => {
  // `script` gives the docker CLI a terminal of its own, as a user's shell would.
  const { stdout } = await run('script', ['-qec', `docker run --rm -it --runtime tsd ${image} sh -c 'tty; echo x=$((6*7))'`, '/dev/null'], {
    env: { ...process.env, DOCKER_HOST: `unix://${dockerd!.socket}` },
    timeout: 120_000,
  });
  t.regex(stdout, /\/dev\/pts\/0/);
  t.regex(stdout, /x=42/);
});

test.serial('docker exec and a busybox httpd on a published port reached on 127.0.0.1', async (t) => {
  const port = await freePort();
  const name = `tsdtest-web-${suffix}`;
  await docker(['run', '-d', '--name', name, '--runtime', 'tsd', '-p', `127.0.0.1:${port}:80`, image, 'sh', '-c', 'echo served-by-tsd-runc > /var/www/index.html; exec httpd -f -p 80 -h /var/www']);
  const exec = await docker(['exec', name, 'sh', '-c', 'echo exec-ok; cat /proc/1/cmdline']);
  t.regex(exec.stdout, /exec-ok/);
  t.regex(exec.stdout, /httpd/);
  let body = '';
  for (let i = 0; i < 100 && !body; i++) {
    body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => '');
    if (!body) await new Promise((r) => setTimeout(r, 100));
  }
  t.is(body, 'served-by-tsd-runc\n');
  const { stdout } = await docker(['inspect', '--format', '{{.HostConfig.Runtime}}', name]);
  t.is(stdout.trim(), 'tsd');
  await docker(['rm', '-f', name]);
});
