// The QMP client against a real QEMU with no guest (-M none): handshake, typed commands,
// the human monitor, errors, and quit. Cheap: no kernel is booted.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QmpClient } from '../../src/machine/qemu/qmp.js';
import { findProgram, hostSearch } from '../../src/machine/qemu/binary.js';

test('QMP: capabilities, query-status, human monitor, errors, quit', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tsd-qmp-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, 'qmp.sock');
  const qemu = spawn(findProgram('qemu-system-x86_64', hostSearch()), ['-M', 'none', '-nodefaults', '-display', 'none', '-S', '-qmp', `unix:${socket},server=on,wait=off`], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => qemu.once('exit', resolve));
  t.teardown(() => qemu.kill('SIGKILL'));
  while (!existsSync(socket)) await new Promise((resolve) => setTimeout(resolve, 50));

  const qmp = await QmpClient.connect(socket);
  const status = await qmp.execute('query-status', {});
  t.is(status.status, 'prelaunch');
  t.false(status.running);
  t.regex(await qmp.humanCommand('info version'), /^\d+\.\d+\.\d+/);
  await t.throwsAsync(qmp.humanCommand('hostfwd_add nonet0 tcp::1-:2'), { message: /QEMU monitor/ });
  const shutdown = new Promise((resolve) => qmp.once('event', resolve));
  await qmp.execute('quit', {});
  t.like(await shutdown, { event: 'SHUTDOWN' });
  t.is(await exited, 0);
});
