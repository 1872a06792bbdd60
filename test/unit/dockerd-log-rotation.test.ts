// Pure logic of json-file rotation and its configuration: go-units sizes, Docker's option errors,
// the daemon.json / flag log defaults merged into a container's LogConfig, Go's time format in
// the gzip header, which stopped containers start with the engine, and the guest VM's daemon.json
// keeping live-restore on.
import test from 'ava';
import { goTime } from '../../guest/dockerd/containers/io/log-gzip.js';
import { mergeDaemonLogConfig, parseHumanSize, parseLogRotation } from '../../guest/dockerd/containers/io/log-options.js';
import { restartsAtEngineStart } from '../../guest/dockerd/containers/service/shutdown.js';
import type { ContainerRecord } from '../../guest/dockerd/containers/store/container-record.js';
import { parseDaemonJson } from '../../guest/dockerd/config/daemon-json.js';
import { loadEngineConfig } from '../../guest/dockerd/config/engine-flags.js';
import type { GuestConfig } from '../../guest/api/guest-config.js';
import { daemonJson } from '../../guest/init/services.js';

test('sizes are go-units decimal sizes: suffixes k/m/g with optional i and b, any case', (t) => {
  t.is(parseHumanSize('512'), 512);
  t.is(parseHumanSize('10k'), 10_000);
  t.is(parseHumanSize('10KB'), 10_000);
  t.is(parseHumanSize('10kib'), 10_000);
  t.is(parseHumanSize('1.5m'), 1_500_000);
  t.is(parseHumanSize('2 g'), 2_000_000_000);
  t.throws(() => parseHumanSize('abc'), { message: "invalid size: 'abc'" });
  t.throws(() => parseHumanSize('-1'), { message: "invalid size: '-1'" });
  t.throws(() => parseHumanSize('10x'), { message: "invalid size: '10x'" });
  t.throws(() => parseHumanSize('1.2.3'), { message: 'strconv.ParseFloat: parsing "1.2.3": invalid syntax' });
});

test('rotation options: defaults, values, and Docker\'s errors', (t) => {
  t.deepEqual(parseLogRotation({}), { maxSize: -1, maxFiles: 1, compress: false });
  t.deepEqual(parseLogRotation({ 'max-size': '10m', 'max-file': '3', compress: 'true' }), { maxSize: 10_000_000, maxFiles: 3, compress: true });
  t.deepEqual(parseLogRotation({ 'max-size': '1k', compress: 'false' }), { maxSize: 1000, maxFiles: 1, compress: false });
  t.throws(() => parseLogRotation({ 'max-size': '0' }), { message: 'max-size must be a positive number' });
  t.throws(() => parseLogRotation({ 'max-file': '0' }), { message: 'max-file cannot be less than 1' });
  t.throws(() => parseLogRotation({ 'max-file': '1.5' }), { message: 'strconv.Atoi: parsing "1.5": invalid syntax' });
  t.throws(() => parseLogRotation({ compress: 'yes' }), { message: 'strconv.ParseBool: parsing "yes": invalid syntax' });
  const needs = 'compress cannot be true when max-file is less than 2 or max-size is not set';
  t.throws(() => parseLogRotation({ 'max-size': '1k', compress: 'true' }), { message: needs });
  t.throws(() => parseLogRotation({ 'max-file': '3', compress: '1' }), { message: needs });
});

test('the daemon\'s log driver and options fill a new container\'s LogConfig as dockerd merges them', (t) => {
  const daemon = { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } };
  t.deepEqual(mergeDaemonLogConfig(undefined, daemon), { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
  t.deepEqual(mergeDaemonLogConfig({ Type: '', Config: { 'max-file': '1' } }, daemon), { Type: 'json-file', Config: { 'max-file': '1', 'max-size': '10m' } });
  // Another driver than the daemon's gets none of its options.
  t.deepEqual(mergeDaemonLogConfig({ Type: 'none' }, daemon), { Type: 'none', Config: {} });
  t.deepEqual(mergeDaemonLogConfig(undefined, { driver: 'none', options: {} }), { Type: 'none', Config: {} });
});

test('daemon.json and flags: log-driver, log-opts (checked against the driver\'s keys), live-restore', async (t) => {
  t.deepEqual(parseDaemonJson('{"log-driver":"json-file","log-opts":{"max-size":"10m"},"live-restore":true}'), {
    'log-driver': 'json-file', 'log-opts': { 'max-size': '10m' }, 'live-restore': true,
  });
  t.throws(() => parseDaemonJson('{"log-driver":"syslog"}'), { message: /logger: no log driver named 'syslog' is registered/ });
  t.throws(() => parseDaemonJson('{"log-opts":{"max-size":10}}'), { message: /invalid value for "log-opts"/ });
  t.throws(() => parseDaemonJson('{"log-opts":{"max-sise":"1k"}}'), { message: "unknown log opt 'max-sise' for json-file log driver" });
  const config = await loadEngineConfig(['--log-opt', 'max-size=1k', '--log-opt', 'max-file=2', '--log-driver', 'json-file']);
  t.deepEqual(config.logOpts, { 'max-size': '1k', 'max-file': '2' });
  t.is(config.logDriver, 'json-file');
  t.false(config.liveRestore, 'off by default, as in dockerd');
  await t.throwsAsync(loadEngineConfig(['--log-opt', 'max-size']), { message: 'invalid key/value pair format in driver options: max-size' });
});

test('gzip header times are Go\'s RFC 3339 nanos (no trailing zeros)', (t) => {
  t.is(goTime('2026-11-23T17:01:55.123456000Z'), '2026-11-23T17:01:55.123456Z');
  t.is(goTime('2026-11-23T17:01:55.000000000Z'), '2026-11-23T17:01:55Z');
  t.is(goTime('2026-11-23T17:01:55.100000001Z'), '2026-11-23T17:01:55.100000001Z');
});

test('at engine start: always restarts (even after a user stop), unless-stopped unless a user stopped it, on-failure after a failure (as Docker\'s restart manager decides)', (t) => {
  const record = (name: string, manuallyStopped: boolean, exitCode = 0, retries = 0, restartCount = 0): ContainerRecord => ({
    State: { Running: false, ExitCode: exitCode },
    HostConfig: { RestartPolicy: { Name: name, MaximumRetryCount: retries } },
    Internal: { hasBeenStarted: true, manuallyStopped },
    RestartCount: restartCount,
  }) as unknown as ContainerRecord;
  t.true(restartsAtEngineStart(record('always', false)));
  t.true(restartsAtEngineStart(record('always', true)));
  t.true(restartsAtEngineStart(record('unless-stopped', false)));
  t.false(restartsAtEngineStart(record('unless-stopped', true)));
  t.true(restartsAtEngineStart(record('on-failure', false, 137)));
  t.false(restartsAtEngineStart(record('on-failure', false, 0)));
  t.true(restartsAtEngineStart(record('on-failure', true, 1, 2, 2)), 'the retries count afresh at engine start');
  t.false(restartsAtEngineStart(record('no', false, 137)));
  const never = record('always', false);
  never.Internal.hasBeenStarted = false;
  t.false(restartsAtEngineStart(never), 'a container never started stays created');
});

test('the guest VM\'s daemon.json turns live-restore on (its containers outlive a dockerd restart), and our dockerd reads it so', (t) => {
  const config = { registryMirrors: [], insecureRegistries: [] } as unknown as GuestConfig;
  const parsed = parseDaemonJson(JSON.stringify(daemonJson(config)));
  t.is(parsed['live-restore'], true);
});
