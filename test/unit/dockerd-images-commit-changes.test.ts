// `docker commit --change`: each instruction dockerd accepts, applied in order, Docker's errors for
// the rest, and dockerd's merge of the container's config as defaults.
import test from 'ava';
import { applyCommitChanges, goDuration, imageRuntimeConfig, mergeCommitConfig, type CommitConfig } from '../../guest/dockerd/images/commit-changes.js';

const base: CommitConfig = { Env: ['PATH=/bin', 'HOME=/root'], Cmd: ['sh'], WorkingDir: '/srv', Labels: { old: '1' } };

test('CMD and ENTRYPOINT: exec form as is, shell form behind /bin/sh -c; ENTRYPOINT clears an earlier-unset CMD', (t) => {
  t.deepEqual(applyCommitChanges(base, ['CMD ["cat", "/f"]']).Cmd, ['cat', '/f']);
  t.deepEqual(applyCommitChanges(base, ['cmd echo $HOME']).Cmd, ['/bin/sh', '-c', 'echo $HOME']);
  const entry = applyCommitChanges(base, ['ENTRYPOINT ["/bin/app"]']);
  t.deepEqual(entry.Entrypoint, ['/bin/app']);
  t.is(entry.Cmd, null);
  const both = applyCommitChanges(base, ['CMD ["-v"]', 'ENTRYPOINT /bin/app']);
  t.deepEqual(both.Entrypoint, ['/bin/sh', '-c', '/bin/app']);
  t.deepEqual(both.Cmd, ['-v']);
  t.deepEqual(base.Cmd, ['sh'], 'the input config is left alone');
});

test('ENV (both forms, quotes, expansion, replace), LABEL, EXPOSE ranges, VOLUME, WORKDIR, USER, STOPSIGNAL, ONBUILD', (t) => {
  const out = applyCommitChanges(base, [
    'ENV A=1 B="two words" HOME=/home/x',
    'ENV LEGACY value with spaces',
    'ENV C=${A}-$HOME D=${MISSING:-dflt}',
    'LABEL version="1.0" "quoted key"=v',
    'EXPOSE 80 53/udp 8000-8002/tcp',
    'VOLUME ["/data", "/logs"]',
    'VOLUME /cache /tmp/x',
    'WORKDIR app',
    'WORKDIR sub/../lib',
    'USER nobody:nogroup',
    'STOPSIGNAL SIGUSR1',
    'ONBUILD RUN echo hi',
  ]);
  t.deepEqual(out.Env, ['PATH=/bin', 'HOME=/home/x', 'A=1', 'B=two words', 'LEGACY=value with spaces', 'C=1-/home/x', 'D=dflt']);
  t.deepEqual(out.Labels, { old: '1', version: '1.0', 'quoted key': 'v' });
  t.deepEqual(Object.keys(out.ExposedPorts ?? {}), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
  t.deepEqual(Object.keys(out.Volumes ?? {}), ['/data', '/logs', '/cache', '/tmp/x']);
  t.is(out.WorkingDir, '/srv/app/lib');
  t.is(out.User, 'nobody:nogroup');
  t.is(out.StopSignal, 'SIGUSR1');
  t.deepEqual(out.OnBuild, ['RUN echo hi']);
  t.is(applyCommitChanges(base, ['WORKDIR /abs//x/']).WorkingDir, '/abs/x');
  t.is(applyCommitChanges(base, ['STOPSIGNAL 9']).StopSignal, '9');
});

test('HEALTHCHECK: CMD (shell and exec), flags as nanoseconds, NONE', (t) => {
  t.deepEqual(applyCommitChanges(base, ['HEALTHCHECK --interval=5s --timeout=1m30s --start-period=100ms --start-interval=2s --retries=4 CMD wget -q localhost']).Healthcheck, {
    Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 5e9, Timeout: 90e9, StartPeriod: 1e8, StartInterval: 2e9, Retries: 4,
  });
  t.deepEqual(applyCommitChanges(base, ['HEALTHCHECK CMD ["true"]']).Healthcheck, { Test: ['CMD', 'true'] });
  t.deepEqual(applyCommitChanges(base, ['healthcheck none']).Healthcheck, { Test: ['NONE'] });
  t.is(goDuration('1.5h'), 5400e9);
});

test('continuation lines, comments and several instructions in one change', (t) => {
  const out = applyCommitChanges(base, ['# comment\nENV X=1 \\\n  Y=2\nUSER 1000']);
  t.deepEqual(out.Env?.slice(2), ['X=1', 'Y=2']);
  t.is(out.User, '1000');
});

test("Docker's errors: instructions commit does not take, and bad arguments", (t) => {
  const message = (changes: string[]): string | undefined => t.throws(() => applyCommitChanges(base, changes))?.message;
  t.is(message(['FROM busybox']), 'from is not a valid change command');
  t.is(message(['RUN echo hi']), 'run is not a valid change command');
  t.is(message(['COPY a b']), 'copy is not a valid change command');
  t.is(message(['MAINTAINER me']), 'maintainer is not a valid change command');
  t.is(message(['STOPSIGNAL BOGUS']), 'invalid signal: BOGUS');
  t.is(message(['EXPOSE abc']), 'invalid containerPort: abc');
  t.is(message(['EXPOSE 80/xyz']), 'invalid proto: xyz');
  t.is(message(['HEALTHCHECK --interval=-1s CMD true']), 'Interval "interval" cannot be negative');
  t.is(message(['HEALTHCHECK --interval=1us CMD true']), 'Interval "interval" cannot be less than 1ms');
  t.is(message(['HEALTHCHECK --retries=-1 CMD true']), '--retries cannot be negative');
  t.is(message(['HEALTHCHECK NONE x']), 'HEALTHCHECK NONE takes no arguments');
  t.is(message(['HEALTHCHECK FOO bar']), 'Unknown type "FOO" in HEALTHCHECK (try CMD)');
  t.is(message(['HEALTHCHECK CMD']), 'Missing command after HEALTHCHECK CMD');
  t.is(message(['ONBUILD ONBUILD RUN x']), "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  t.is(message(['ONBUILD FROM x']), "FROM isn't allowed as an ONBUILD trigger");
  t.is(message(['ENV =x']), 'ENV names can not be blank');
  t.is(message(['ENV A=1 B']), 'Syntax error - can\'t find = in "B". Must be of the form: name=value');
  t.is(message(['ENV ONLYNAME']), 'ENV must have two arguments');
  t.is(message(['WORKDIR']), 'cannot normalize nothing');
  t.is(message(['ENV A="unterminated']), 'failed to process "A="unterminated": unexpected end of statement while looking for matching double-quote');
});

test("merge: what the commit's config leaves unset comes from the container's config", (t) => {
  const container: CommitConfig = {
    User: 'app', Env: ['PATH=/bin', 'A=container'], Cmd: ['run'], Entrypoint: ['/entry'], WorkingDir: '/w', Labels: { a: '1', b: '2' },
    ExposedPorts: { '80/tcp': {} }, Volumes: { '/v': {} }, StopSignal: 'SIGTERM', Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 3 },
  };
  const user: CommitConfig = { Env: ['A=mine'], Labels: { b: 'mine' }, ExposedPorts: { '53/udp': {} }, Healthcheck: { Retries: 9 } };
  const merged = mergeCommitConfig(user, container);
  t.deepEqual(merged.Env, ['A=mine', 'PATH=/bin']);
  t.deepEqual(merged.Labels, { a: '1', b: 'mine' });
  t.deepEqual(Object.keys(merged.ExposedPorts ?? {}).sort(), ['53/udp', '80/tcp']);
  t.deepEqual(merged.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9, Retries: 9, Timeout: undefined, StartPeriod: undefined, StartInterval: undefined });
  t.is(merged.User, 'app');
  t.deepEqual(merged.Cmd, ['run']);
  t.deepEqual(merged.Entrypoint, ['/entry']);
  t.is(merged.WorkingDir, '/w');
  t.is(merged.StopSignal, 'SIGTERM');
  // An explicit empty Entrypoint stays empty (Docker's "--entrypoint ''" survives the merge).
  t.deepEqual(mergeCommitConfig({ Entrypoint: [], Cmd: ['x'] }, container).Entrypoint, []);
});

test('the image keeps only image fields of a container config', (t) => {
  const config = imageRuntimeConfig({ ...base, ExposedPorts: {}, ArgsEscaped: false, Hostname: 'h', Tty: true } as CommitConfig);
  t.deepEqual(config, { User: '', Env: ['PATH=/bin', 'HOME=/root'], Cmd: ['sh'], WorkingDir: '/srv', Labels: { old: '1' } });
});
