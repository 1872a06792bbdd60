import test from 'ava';
import { canTransition, isMachineState } from '../../src/machine/state.js';
import { commandLine } from '../../src/ssh/session.js';
import { serviceLogCommand } from '../../src/machine/logs.js';
import { machinePaths, validateMachineName, dockerHost } from '../../src/machine/paths.js';
import { TsdError } from '../../guest/api/errors.js';

test('the lifecycle only moves forward: stopped → starting → running → stopping → stopped', (t) => {
  t.true(canTransition('stopped', 'starting'));
  t.true(canTransition('starting', 'running'));
  t.true(canTransition('running', 'stopping'));
  t.true(canTransition('stopping', 'stopped'));
  t.true(canTransition('starting', 'stopped'), 'a failed start');
  t.false(canTransition('stopped', 'running'));
  t.false(canTransition('stopping', 'running'));
  t.false(canTransition('running', 'starting'));
  t.true(isMachineState({ state: 'running' }));
  t.false(isMachineState({ state: 'paused' }));
  t.false(isMachineState(undefined));
});

test('ssh command lines: one argument is a shell line, several are quoted word by word', (t) => {
  t.is(commandLine(['ls /var/lib | wc -l']), 'ls /var/lib | wc -l');
  t.is(commandLine(['uname', '-r']), 'uname -r');
  t.is(commandLine(['sh', '-c', "echo 'hi' > /x"]), `sh -c 'echo '\\''hi'\\'' > /x'`);
  t.is(commandLine(['echo', '']), "echo ''");
});

test('service logs: names are checked before they reach a shell', (t) => {
  t.is(serviceLogCommand('dockerd', true), 'tail -n +1 -F /var/log/tsd/dockerd.log');
  t.regex(serviceLogCommand('sshd', false), /cat \/var\/log\/tsd\/sshd\.log/);
  const error = t.throws(() => serviceLogCommand('x; rm -rf /', false));
  t.is((error as TsdError).code, 'invalid-argument');
});

test('machine names and paths', (t) => {
  const paths = machinePaths('dev', { TSD_HOME: '/h' }, 'linux');
  t.is(paths.dockerSocket, '/h/machines/dev/docker.sock');
  t.is(paths.disk, '/h/machines/dev/disk.qcow2');
  t.is(machinePaths('dev', { TSD_HOME: 'C:\\h' }, 'win32').dockerSocket, '\\\\.\\pipe\\tsd-dev');
  t.is(dockerHost('/h/machines/dev/docker.sock', 'linux'), 'unix:///h/machines/dev/docker.sock');
  t.is(dockerHost('\\\\.\\pipe\\tsd-dev', 'win32'), 'npipe:////./pipe/tsd-dev');
  for (const bad of ['', 'Dev', '-x', 'a/b', 'a'.repeat(33), '..']) {
    t.throws(() => validateMachineName(bad), { instanceOf: TsdError }, bad);
  }
  const long = t.throws(() => machinePaths('dev', { TSD_HOME: `/${'x'.repeat(90)}` }, 'linux'));
  t.regex(long!.message, /socket path too long/);
});
