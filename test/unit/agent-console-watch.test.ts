import test from 'ava';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { GUEST_SSHD_ANSWERS_LINE } from '../../guest/api/guest-layout.js';
import { createConsoleLog } from '../../guest/init/console-log.js';
import { serviceReadiness } from '../../guest/init/services.js';
import { ConsoleWatch } from '../../src/agent/serial-tail.js';

test('ConsoleWatch.contains sees a line once the console log has it, and keeps seeing it', async (t) => {
  const dir = await mkdtemp(join(os.tmpdir(), 'tsd-console-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'serial.log');
  await writeFile(path, '[    0.1] Linux version 6.1\r\n');
  const watch = new ConsoleWatch(path, 10_000);
  t.teardown(() => watch.stop());
  t.false(await watch.contains(GUEST_SSHD_ANSWERS_LINE));
  await appendFile(path, `[4.2] tsd-init: step start-sshd: done in 85 ms\r\n[7.1] ${GUEST_SSHD_ANSWERS_LINE}\r\n`);
  t.true(await watch.contains(GUEST_SSHD_ANSWERS_LINE));
  await writeFile(path, ''); // a new attempt truncates the log; what was seen stays seen
  t.true(await watch.contains(GUEST_SSHD_ANSWERS_LINE));
  t.false(await watch.contains('tsd-init: ready'));
});

test('the line the init logs when sshd first answers is the one the agent watches for', (t) => {
  // wait-for-services (guest/init/boot-plan.ts) logs `answers: <check description>` on the console
  let written = '';
  createConsoleLog((text) => (written += text))(`answers: ${serviceReadiness('/var/log/tsd')[0]!.description}`);
  t.true(written.includes(GUEST_SSHD_ANSWERS_LINE), written);
});
