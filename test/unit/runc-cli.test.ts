/** The pure parts of the CLI: argument parsing, signals, config validation, sync messages. */
import test from 'ava';
import { parseArgs } from '../../guest/runc/cli/args.js';
import { parseSignal } from '../../guest/runc/runtime/signals.js';
import { validateSpec } from '../../guest/runc/spec/validate.js';
import { defaultSpec } from '../../guest/runc/spec/default-spec.js';
import { parseHelperMessage } from '../../guest/runc/process/sync.js';
import { helperError } from '../../guest/runc/process/helper.js';
import { processFromFlags } from '../../guest/runc/verbs/exec.js';
import { resourcesFromFlags } from '../../guest/runc/verbs/update.js';
import { parseDuration } from '../../guest/runc/verbs/events.js';
import { formatIdMap } from '../../guest/runc/runtime/id-maps.js';
import { isTsdError } from '../../guest/api/errors.js';

const specs = [
  { name: 'bundle', type: 'string', aliases: ['b'], usage: '' },
  { name: 'detach', type: 'bool', aliases: ['d'], usage: '' },
  { name: 'env', type: 'strings', aliases: ['e'], usage: '' },
  { name: 'preserve-fds', type: 'int', usage: '' },
] as const;

test('flags: one or two dashes, =value or separate, repeatable, stop at the first argument', (t) => {
  const parsed = parseArgs(['-b', '/x', '--detach', '--env=A=1', '-e', 'B=2', '--preserve-fds', '3', 'id', '--not-a-flag'], specs);
  t.deepEqual(parsed.flags, { bundle: '/x', detach: true, env: ['A=1', 'B=2'], 'preserve-fds': 3 });
  t.deepEqual(parsed.args, ['id', '--not-a-flag']);
  t.throws(() => parseArgs(['--nope'], specs), { message: /flag provided but not defined: -nope/ });
  t.throws(() => parseArgs(['--bundle'], specs), { message: /flag needs an argument/ });
  t.throws(() => parseArgs(['--preserve-fds', 'x'], specs), { message: /invalid value "x"/ });
});

test('signals by name, SIG name and number; unknown ones rejected', (t) => {
  t.is(parseSignal('KILL'), 9);
  t.is(parseSignal('SIGTERM'), 15);
  t.is(parseSignal('hup'), 1);
  t.is(parseSignal('10'), 10);
  t.throws(() => parseSignal('SIGNOPE'), { message: 'unknown signal "SIGNOPE"' });
  t.throws(() => parseSignal('0'));
});

test('config validation names the JSON path of every bad field', (t) => {
  const spec = defaultSpec() as unknown as Record<string, any>;
  spec.process.args = ['sh', 3];
  spec.process.cwd = 'relative';
  spec.mounts[1].destination = 5;
  spec.linux.namespaces.push({ type: 'pid' });
  spec.process.capabilities.bounding.push('CAP_MAGIC');
  spec.hooks = { poststop: [{ path: '/x', timeout: 0 }] };
  const error = t.throws(() => validateSpec(spec));
  t.true(isTsdError(error) && error.code === 'invalid-argument');
  for (const path of ['process.args[1]: must be a string', 'process.cwd: must be an absolute path', 'mounts[1].destination', 'linux.namespaces[6].type: duplicate namespace "pid"', 'process.capabilities.bounding[3]: unknown capability', 'hooks.poststop[0].timeout: must be greater than zero']) {
    t.true(error!.message.includes(path), `${path} in ${error!.message}`);
  }
  t.notThrows(() => validateSpec(defaultSpec()));
  t.notThrows(() => validateSpec(defaultSpec({ rootless: true })));
  t.throws(() => validateSpec({ ociVersion: '1.0.0', root: { path: 'r' }, process: { user: { uid: 0, gid: 0 }, cwd: '/', args: ['x'] } }), { message: /a new mount namespace is required/ });
});

test('helper messages parse; errors carry step, detail and errno name', (t) => {
  t.deepEqual(parseHelperMessage('pid 42'), { type: 'pid', pid: 42 });
  t.deepEqual(parseHelperMessage('sync setup'), { type: 'sync', point: 'setup' });
  t.deepEqual(parseHelperMessage('error mount 2 /x y'), { type: 'error', step: 'mount', errno: 2, detail: '/x y' });
  t.throws(() => parseHelperMessage('bogus'));
  const error = helperError('mount', 2, '/src');
  t.is(error.code, 'not-found');
  t.is(error.message, 'container init failed: mount /src: no such file or directory (ENOENT)');
  t.is(helperError('capset', 1, '').code, 'unavailable');
});

test('exec flags change a copy of the container process', (t) => {
  const base = defaultSpec().process!;
  const proc = processFromFlags(base, { env: ['X=1'], cwd: '/tmp', user: '5:6', cap: ['cap_net_raw'], tty: true }, ['ls', '-l']);
  t.deepEqual(proc.args, ['ls', '-l']);
  t.is(proc.env!.at(-1), 'X=1');
  t.is(proc.cwd, '/tmp');
  t.deepEqual([proc.user.uid, proc.user.gid], [5, 6]);
  t.true(proc.capabilities!.bounding!.includes('CAP_NET_RAW'));
  t.true(proc.terminal);
  t.false(base.capabilities!.bounding!.includes('CAP_NET_RAW'), 'the container process is unchanged');
  t.throws(() => processFromFlags(base, { user: 'root' }, ['x']), { message: /--user: expected <uid>\[:<gid>\]/ });
});

test('update flags become resources; durations; id maps', (t) => {
  t.deepEqual(resourcesFromFlags({ memory: '1000', 'cpu-quota': '5', 'pids-limit': 9 }), { memory: { limit: 1000 }, cpu: { quota: 5 }, pids: { limit: 9 } });
  t.is(parseDuration('5s'), 5000);
  t.is(parseDuration('250ms'), 250);
  t.throws(() => parseDuration('5'));
  t.is(formatIdMap([{ containerID: 0, hostID: 1000, size: 1 }, { containerID: 1, hostID: 100000, size: 65536 }]), '0 1000 1\n1 100000 65536\n');
});
