import test from 'ava';
import { FilterArgs } from '../../guest/dockerd/http/filters.js';
import { LineSplitter, logTime } from '../../guest/dockerd/containers/io/json-log.js';
import { entryNanos, matches, parseLogTime, parseTail } from '../../guest/dockerd/containers/io/log-reader.js';
import { filterContainers, LIST_FILTERS } from '../../guest/dockerd/containers/handlers/list-filter.js';
import { initialState, type ContainerRecord } from '../../guest/dockerd/containers/store/container-record.js';
import { parseSignal } from '../../guest/dockerd/containers/service/signals.js';
import { healthCommand } from '../../guest/dockerd/containers/service/healthcheck.js';

test('json-file lines: split at newlines, long lines cut at 16 KiB, the rest flushed at the end', (t) => {
  const splitter = new LineSplitter();
  t.deepEqual(splitter.push('a\nb'), ['a\n']);
  t.deepEqual(splitter.push('c\n\nd'), ['bc\n', '\n']);
  t.deepEqual(splitter.flush(), ['d']);
  t.deepEqual(splitter.push('x'.repeat(16 * 1024 + 3)), ['x'.repeat(16 * 1024)]);
  t.deepEqual(splitter.flush(), ['xxx']);
});

test('log times strictly increase and parse back to nanoseconds', (t) => {
  const a = logTime();
  const b = logTime();
  t.regex(a, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  t.true(entryNanos({ log: '', stream: 'stdout', time: b }) > entryNanos({ log: '', stream: 'stdout', time: a }));
  t.is(entryNanos({ log: '', stream: 'stdout', time: '2024-01-02T03:04:05.123456789Z' }), 1704164645123456789n);
});

test('logs query: since/until forms, tail, stream choice', (t) => {
  t.is(parseLogTime('1704164645.5', 'since'), 1704164645500000000n);
  t.is(parseLogTime('2024-01-02T03:04:05Z', 'since'), 1704164645000000000n);
  t.is(parseLogTime(null, 'since'), 0n);
  t.throws(() => parseLogTime('yesterday', 'until'), { message: 'invalid value for "until": failed to parse value as time or duration: "yesterday"' });
  t.is(parseTail('all'), -1);
  t.is(parseTail('3'), 3);
  const entry = { log: 'x\n', stream: 'stderr' as const, time: '2024-01-02T03:04:05.000000000Z' };
  t.true(matches(entry, { streams: new Set(['stderr']), sinceNs: 1704164645000000000n, untilNs: 0n, tail: -1 }));
  t.false(matches(entry, { streams: new Set(['stdout']), sinceNs: 0n, untilNs: 0n, tail: -1 }));
  t.false(matches(entry, { streams: new Set(['stderr']), sinceNs: 0n, untilNs: 1704164644000000000n, tail: -1 }));
});

function record(name: string, status: ContainerRecord['State']['Status'], created: string, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    ID: name.padEnd(64, '0'), Created: created, Path: 'sh', Args: [], State: { ...initialState(), Status: status, Running: status === 'running', ExitCode: status === 'exited' ? 1 : 0 },
    Image: 'sha256:img', Name: `/${name}`, RestartCount: 0, Driver: 'overlayfs', Platform: 'linux', MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
    ResolvConfPath: '', HostnamePath: '', HostsPath: '', LogPath: '', Config: { Image: 'busybox', Labels: { app: name } }, HostConfig: { NetworkMode: 'bridge' }, Mounts: [],
    Internal: { snapshotKey: '', snapshotter: '', runtime: '', manuallyStopped: false, hasBeenStarted: true, anonymousVolumes: [] }, ...extra,
  };
}

test('ps filters and order (newest first), before/since, limit', (t) => {
  const records = [record('aaa', 'running', '2024-01-01T00:00:01Z'), record('bbb', 'exited', '2024-01-01T00:00:02Z'), record('ccc', 'created', '2024-01-01T00:00:03Z')];
  const list = (query: string, all = false, limit = 0): string[] => {
    const filters = FilterArgs.parse(query, LIST_FILTERS);
    return filterContainers(records, { all, limit, filters, imageIdOf: () => undefined, find: (n) => records.find((r) => r.Name === `/${n}`) }).map((r) => r.Name);
  };
  t.deepEqual(list(''), ['/aaa']);
  t.deepEqual(list('', true), ['/ccc', '/bbb', '/aaa']);
  t.deepEqual(list('', true, 2), ['/ccc', '/bbb']);
  t.deepEqual(list('{"exited":["1"]}'), ['/bbb']);
  t.deepEqual(list('{"label":["app=ccc"]}', true), ['/ccc']);
  t.deepEqual(list('{"before":["ccc"]}'), ['/bbb', '/aaa']);
  t.deepEqual(list('{"since":["aaa"]}'), ['/ccc', '/bbb']);
  t.deepEqual(list('{"ancestor":["busybox"]}', true), ['/ccc', '/bbb', '/aaa']);
  t.throws(() => list('{"status":["bogus"]}'), { message: "invalid filter 'status=bogus'" });
  t.throws(() => list('{"color":["red"]}'), { message: "invalid filter 'color'" });
});

test('signals by name, short name and number; healthcheck commands', (t) => {
  t.is(parseSignal('SIGTERM'), 15);
  t.is(parseSignal('kill'), 9);
  t.is(parseSignal('10'), 10);
  t.is(parseSignal(undefined, 'SIGKILL'), 9);
  t.throws(() => parseSignal('SIGNOPE'), { message: 'Invalid signal: SIGNOPE' });
  t.deepEqual(healthCommand(['CMD-SHELL', 'curl -f x']), ['/bin/sh', '-c', 'curl -f x']);
  t.deepEqual(healthCommand(['CMD', 'true']), ['true']);
  t.is(healthCommand(['NONE']), undefined);
});
