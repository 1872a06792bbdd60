import test from 'ava';
import type { ServerChannel } from 'ssh2';
import { parseSetClockSubsystem, setClockSubsystem } from '../../guest/api/guest-clock.js';
import { serveSetClock, type WallClock } from '../../guest/sshd/set-clock.js';

test('the set-clock subsystem name carries the host time in whole ms', (t) => {
  t.is(setClockSubsystem(1_790_000_000_123.9), 'set-clock@tsd:1790000000123');
  t.is(parseSetClockSubsystem('set-clock@tsd:1790000000123'), 1_790_000_000_123);
  for (const name of ['set-clock@tsd:', 'set-clock@tsd:-5', 'set-clock@tsd:0', 'set-clock@tsd:12.5', 'set-clock@tsd:1e12', 'udp-relay@tsd:1.2.3.4:53', 'sftp']) {
    t.is(parseSetClockSubsystem(name), undefined, name);
  }
});

/** What a server channel was sent: stdout, stderr, the exit status and whether it ended. */
function recordingChannel() {
  const sent = { stdout: '', stderr: '', exit: undefined as number | undefined, ended: false };
  const channel = {
    write: (text: string) => (sent.stdout += text),
    stderr: { write: (text: string) => (sent.stderr += text) },
    exit: (code: number) => (sent.exit = code),
    end: () => (sent.ended = true),
  };
  return { channel: channel as unknown as ServerChannel, sent };
}

test('set-clock prepares first, then sets the host time plus the time the preparation took', (t) => {
  const calls: string[] = [];
  let setTo = 0;
  const clock: WallClock = {
    prepare: () => {
      calls.push('prepare');
      const until = performance.now() + 30;
      while (performance.now() < until); // a slow first load (koffi)
    },
    set: (ms) => {
      calls.push('set');
      setTo = ms;
    },
  };
  const { channel, sent } = recordingChannel();
  serveSetClock(channel, 1_790_000_000_000, clock);
  t.deepEqual(calls, ['prepare', 'set']);
  t.true(setTo >= 1_790_000_000_030, `set to ${setTo}`);
  t.is(sent.exit, 0);
  t.true(sent.ended);
  t.regex(sent.stdout, /^\d{4}-\d\d-\d\dT.*Z\n$/);
});

test('set-clock reports a failure on stderr with exit status 1', (t) => {
  const clock: WallClock = {
    prepare: () => {},
    set: () => {
      throw new Error('clock_settime failed: EPERM');
    },
  };
  const { channel, sent } = recordingChannel();
  serveSetClock(channel, 1_790_000_000_000, clock);
  t.is(sent.exit, 1);
  t.true(sent.ended);
  t.is(sent.stderr, 'tsd-sshd: set-clock: clock_settime failed: EPERM\n');
});
