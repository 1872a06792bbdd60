// The init's supervisor and readiness checks with real processes and sockets (no VM needed).
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { waitUntilReady } from '../../guest/init/readiness.js';
import { runCommand } from '../../guest/init/run-command.js';
import { Supervisor } from '../../guest/init/supervisor.js';

async function tempDir(t: { teardown(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(os.tmpdir(), 'tsd-guest-init-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Resolves when `predicate` holds for the file's text (checked on each poll; the test's own timeout bounds it). */
async function waitForText(path: string, predicate: (text: string) => boolean): Promise<string> {
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (predicate(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a service that exits is restarted with backoff and its output is logged', async (t) => {
  const dir = await tempDir(t);
  const lines: string[] = [];
  const supervisor = new Supervisor({ logDir: dir, log: (line) => lines.push(line), backoff: { baseMs: 10, maxMs: 40, stableMs: 60_000 } });
  supervisor.start({ name: 'flaky', argv: ['/bin/sh', '-c', 'echo run $$; echo oops >&2; exit 3'] });
  const log = await waitForText(join(dir, 'flaky.log'), (text) => (text.match(/^run \d+$/gm) ?? []).length >= 3);
  await supervisor.stopAll(1000);
  t.regex(log, /oops/);
  t.regex(log, /flaky ended: exit 3/);
  t.true(lines.some((line) => /restart 1 in 10 ms/.test(line)));
  t.true(lines.some((line) => /restart 2 in 20 ms/.test(line)));
  // Different processes each time.
  const pids = new Set(log.match(/^run (\d+)$/gm));
  t.true(pids.size >= 3);
});

test('stopAll sends SIGTERM, then SIGKILL to a service that ignores it', async (t) => {
  const dir = await tempDir(t);
  const lines: string[] = [];
  const supervisor = new Supervisor({ logDir: dir, log: (line) => lines.push(line) });
  supervisor.start({ name: 'polite', argv: ['/bin/sh', '-c', 'echo up; exec sleep 1000'] });
  supervisor.start({ name: 'stubborn', argv: ['/bin/sh', '-c', "trap '' TERM; echo up; while :; do sleep 0.05; done"] });
  await waitForText(join(dir, 'polite.log'), (text) => text.includes('up'));
  await waitForText(join(dir, 'stubborn.log'), (text) => text.includes('up'));
  const pid = supervisor.pid('stubborn');
  t.truthy(pid);
  await supervisor.stopAll(300);
  t.regex(await readFile(join(dir, 'polite.log'), 'utf8'), /polite ended: signal SIGTERM/);
  t.regex(await readFile(join(dir, 'stubborn.log'), 'utf8'), /stubborn ended: signal SIGKILL/);
  t.true(lines.some((line) => /stubborn did not stop in 300 ms: SIGKILL/.test(line)));
  t.throws(() => process.kill(pid!, 0));
  t.is(supervisor.pid('polite'), undefined);
});

test('waitUntilReady waits for a socket that appears later and names what never did', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'late.sock');
  const server = createServer((socket) => socket.end());
  t.teardown(() => server.close());
  setTimeout(() => server.listen(path), 100);
  await t.notThrowsAsync(waitUntilReady([{ description: 'late socket', target: { path }, hint: 'nothing' }], 30_000));
  await t.throwsAsync(waitUntilReady([{ description: 'missing socket', target: { path: join(dir, 'none.sock') }, hint: 'x.log' }], 100), {
    message: /not ready after 100 ms: missing socket \(see x\.log\)/,
  });
});

test('runCommand reports the command, exit code and stderr of a failure', async (t) => {
  t.is((await runCommand(['/bin/sh', '-c', 'echo hi'])).stdout, 'hi\n');
  await t.throwsAsync(runCommand(['/bin/sh', '-c', 'echo bad >&2; exit 4']), { message: /exit 4: bad/ });
  await t.throwsAsync(runCommand(['/nonexistent/tool']), { message: /\/nonexistent\/tool: spawn/ });
  t.is((await runCommand(['/bin/sh', '-c', 'exit 2'], { allowFailure: true })).code, 2);
});
