// Pure logic of dockerd's core: configuration merge and validation, filters, greedy routes,
// event times and filters, chain IDs, body shape checks, references, progress text, engine layout.
import test from 'ava';
import { createHash } from 'node:crypto';
import { parseDaemonJson } from '../../guest/dockerd/config/daemon-json.js';
import { DEFAULT_CONFIG } from '../../guest/dockerd/config/engine-config.js';
import { loadEngineConfig, mergeConfig } from '../../guest/dockerd/config/engine-flags.js';
import { eventMatches, parseEventTime } from '../../guest/dockerd/events/event-filters.js';
import { EventLog } from '../../guest/dockerd/events/event-log.js';
import { FilterArgs } from '../../guest/dockerd/http/filters.js';
import { checkShape } from '../../guest/dockerd/http/json-body.js';
import { FrameDecoder, frame } from '../../guest/dockerd/http/stdcopy.js';
import { chainIds } from '../../guest/dockerd/images/chain-id.js';
import { globMatch } from '../../guest/dockerd/images/image-routes.js';
import { humanSize, progressBar } from '../../guest/dockerd/images/pull-progress.js';
import { referenceOf } from '../../guest/dockerd/images/pull-image.js';
import { formatReference } from '../../guest/api/oci-image-spec.js';
import { matchPattern } from '../../guest/dockerd/router.js';
import { networkDefaults } from '../../guest/engine/engine-layout.js';

test('flags and daemon.json merge; the same key in both is an error naming both values', async (t) => {
  const config = mergeConfig(DEFAULT_CONFIG, { 'data-root': '/a' }, { 'registry-mirrors': ['http://m'], debug: true });
  t.is(config.dataRoot, '/a');
  t.deepEqual(config.registryMirrors, ['http://m']);
  t.is(config.logLevel, 'debug');
  t.throws(() => mergeConfig(DEFAULT_CONFIG, { bip: '10.1.0.1/24' }, { bip: '10.2.0.1/24' }), {
    message: 'the following directives are specified both as a flag and in the configuration file: bip: (from flag: 10.1.0.1/24, from file: 10.2.0.1/24)',
  });
  const fromFlags = await loadEngineConfig(['-H', 'unix:///tmp/x.sock', '--socket', '/tmp/y.sock', '-D', '--insecure-registry', 'h:5000']);
  t.deepEqual(fromFlags.hosts, ['unix:///tmp/x.sock', 'unix:///tmp/y.sock']);
  t.true(fromFlags.debug);
  t.deepEqual(fromFlags.insecureRegistries, ['h:5000']);
  await t.throwsAsync(loadEngineConfig(['-H', 'tcp://0.0.0.0:2375']), { message: /invalid value for "hosts": "tcp:\/\/0\.0\.0\.0:2375": only unix/ });
});

test('daemon.json values are checked per key', (t) => {
  t.deepEqual(parseDaemonJson('{"dns": ["1.1.1.1"], "live-restore": true}'), { dns: ['1.1.1.1'], 'live-restore': true });
  t.throws(() => parseDaemonJson('{"dns": ["one"]}'), { message: 'invalid value for "dns": "one" is not an IP address' });
  t.throws(() => parseDaemonJson('{"bridge": "a-name-longer-than-15"}'), { message: /invalid value for "bridge"/ });
  t.throws(() => parseDaemonJson('{"log-level": "loud"}'), { message: /invalid value for "log-level": "loud" is not one of/ });
  t.throws(() => parseDaemonJson('{"data-root": "relative"}'), { message: 'invalid value for "data-root": "relative" is not an absolute path' });
  t.throws(() => parseDaemonJson('[]'), { message: 'the file must hold a JSON object' });
});

test('filters: both JSON forms, booleans, labels, unknown keys', (t) => {
  const modern = FilterArgs.parse('{"dangling":{"true":true},"label":{"a=b":true,"c":true}}', ['dangling', 'label']);
  const legacy = FilterArgs.parse('{"dangling":["true"],"label":["a=b","c"]}', ['dangling', 'label']);
  for (const filters of [modern, legacy]) {
    t.true(filters.boolean('dangling'));
    t.true(filters.matchesLabels({ a: 'b', c: '' }));
    t.false(filters.matchesLabels({ a: 'x', c: '' }));
    t.false(filters.matchesLabels({ a: 'b' }));
  }
  t.throws(() => FilterArgs.parse('{"nope":["x"]}', ['dangling']), { message: "invalid filter 'nope'" });
  t.throws(() => FilterArgs.parse('{"dangling":["maybe"]}', ['dangling']).boolean('dangling'), { message: /invalid filter 'dangling=maybe'/ });
  t.throws(() => FilterArgs.parse('{"dangling":"true"}', ['dangling']), { message: /values must be a list of strings/ });
});

test('routes: {name*} takes names with slashes; fixed routes still win by order', (t) => {
  t.deepEqual(matchPattern('/images/{name*}/json', '/images/host:5000/a/b:1/json'), { name: 'host:5000/a/b:1' });
  t.deepEqual(matchPattern('/images/{name*}', '/images/library/busybox'), { name: 'library/busybox' });
  t.is(matchPattern('/images/{name*}/json', '/images/json'), undefined);
  t.deepEqual(matchPattern('/containers/{id}/json', '/containers/abc/json'), { id: 'abc' });
  t.is(matchPattern('/containers/{id}/json', '/containers//json'), undefined);
});

test('event times: Unix seconds with nanoseconds, RFC 3339, durations', (t) => {
  t.is(parseEventTime('1700000000.000000123', 'since'), 1_700_000_000_000_000_123n);
  t.is(parseEventTime('1700000000', 'since'), 1_700_000_000_000_000_000n);
  t.is(parseEventTime('2023-11-14T22:13:20Z', 'since'), 1_700_000_000_000_000_000n);
  t.is(parseEventTime('10m', 'since', 1_700_000_600_000), 1_700_000_000_000_000_000n);
  t.throws(() => parseEventTime('yesterday', 'since'), { message: /invalid value for since/ });
});

test('event log: strictly increasing exact nanoseconds, filters by type/event/image/label', (t) => {
  const log = new EventLog();
  const a = log.publish({ type: 'image', action: 'tag', actor: 'sha256:abc', attributes: { name: 'busybox:latest' } });
  const b = log.publish({ type: 'container', action: 'start', actor: 'c1', attributes: { name: 'web', image: 'busybox', tier: 'front' } });
  t.true(log.nanos(b) > log.nanos(a));
  t.regex(log.serialize(a), new RegExp(`"timeNano":${log.nanos(a)}`));
  t.is(a.status, 'tag');
  t.is(b.from, 'busybox');
  const parse = (json: string): FilterArgs => FilterArgs.parse(json, ['type', 'event', 'image', 'label', 'container']);
  t.true(eventMatches(parse('{"type":["image"]}'), a));
  t.false(eventMatches(parse('{"type":["image"]}'), b));
  t.true(eventMatches(parse('{"image":["busybox"]}'), a));
  t.true(eventMatches(parse('{"container":["web"]}'), b));
  t.true(eventMatches(parse('{"label":["tier=front"]}'), b));
  t.false(eventMatches(parse('{"event":["stop"]}'), b));
  t.is(log.history(log.nanos(b)).length, 1);
});

test('chain IDs follow the OCI image spec', (t) => {
  const a = 'sha256:04bfe9c3c32afb0ab2e2a72f0e117b55817693be85cf935f91529e60aaf7b4ba';
  const b = 'sha256:0000000000000000000000000000000000000000000000000000000000000001';
  const [first, second] = chainIds([a, b]);
  t.is(first, a);
  // sha256("<a> <b>")
  t.is(second, 'sha256:' + createHash('sha256').update(`${a} ${b}`).digest('hex'));
});

test('body shapes: wrong types and unknown fields in Go decoder wording', (t) => {
  const shape = { name: 'container.Config', fields: { Env: '[]string', Tty: 'bool', Labels: 'map[string]string', Cpus: 'int' }, strict: true } as const;
  t.notThrows(() => checkShape({ Env: ['A=1'], Tty: true, Labels: { a: 'b' }, Cpus: 2 }, shape));
  t.notThrows(() => checkShape({ Env: null }, shape));
  t.throws(() => checkShape({ Env: 'A=1' }, shape), { message: 'invalid JSON: json: cannot unmarshal string into Go struct field container.Config.Env of type []string' });
  t.throws(() => checkShape({ Cpus: 1.5 }, shape), { message: /cannot unmarshal number into Go struct field container.Config.Cpus of type int/ });
  t.throws(() => checkShape({ Colour: 'red' }, shape), { message: 'invalid JSON: json: unknown field "Colour"' });
  t.throws(() => checkShape([1], shape), { message: /cannot unmarshal array into Go value of type container.Config/ });
});

test('pull references: fromImage with a tag or a digest in `tag`', (t) => {
  t.is(formatReference(referenceOf('busybox', 'latest')), 'docker.io/library/busybox:latest');
  t.is(formatReference(referenceOf('localhost:5000/a/b', '1.0')), 'localhost:5000/a/b:1.0');
  const digest = 'sha256:' + 'a'.repeat(64);
  t.is(formatReference(referenceOf('busybox', digest)), `docker.io/library/busybox@${digest}`);
  t.is(formatReference(referenceOf('busybox:1.36', '')), 'docker.io/library/busybox:1.36');
});

test('reference globs match within path segments', (t) => {
  t.true(globMatch('busy*', 'busybox'));
  t.true(globMatch('*/app:1', 'team/app:1'));
  t.false(globMatch('busy*', 'team/busybox'));
});

test('progress text is Docker-like', (t) => {
  t.is(humanSize(999), '999B');
  t.is(humanSize(2_048_000), '2.048MB');
  t.regex(progressBar(50, 100), /^\[=+> +\] 50B\/100B$/);
});

test('stdcopy frames round-trip across arbitrary chunk boundaries', (t) => {
  const bytes = Buffer.concat([frame(1, Buffer.from('out')), frame(2, Buffer.from('err!')), frame(1, Buffer.alloc(0))]);
  const decoder = new FrameDecoder();
  const frames = [...bytes].flatMap((byte) => decoder.push(Buffer.from([byte])));
  t.deepEqual(frames.map((f) => [f.stream, f.data.toString()]), [[1, 'out'], [2, 'err!'], [1, '']]);
  t.is(decoder.leftover, 0);
});

test('host-mode network defaults differ per root and stay stable per root', (t) => {
  const a = networkDefaults('/tmp/engine-a');
  t.deepEqual(networkDefaults('/tmp/engine-a'), a);
  t.notDeepEqual(networkDefaults('/tmp/engine-b'), a);
  t.regex(a.bridge, /^tsd[0-9a-f]{6}$/);
  t.regex(a.bip, /^10\.2[0-4]\d\.\d+\.1\/24$/);
});
