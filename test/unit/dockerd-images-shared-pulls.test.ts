// Shared pulls: a second client joins the running pull and is sent the progress so far; the pull
// is cancelled only when its last client leaves; a cancelled pull still winding down is not joined.
import test from 'ava';
import { SharedPulls, type PullRun } from '../../guest/dockerd/images/shared-pulls.js';
import type { ProgressMessage } from '../../guest/dockerd/images/pull-progress.js';

function client(): { watcher: { send: (m: ProgressMessage) => void; signal: AbortSignal }; seen: ProgressMessage[]; leave: () => void } {
  const controller = new AbortController();
  const seen: ProgressMessage[] = [];
  return { watcher: { send: (m) => seen.push(m), signal: controller.signal }, seen, leave: () => controller.abort() };
}

/** A run the test finishes by hand; records the signal it was given. */
function manualRun(): { run: PullRun; finish: (id: string) => void; signal: () => AbortSignal; starts: () => number; send: (m: ProgressMessage) => void } {
  let finish: (id: string) => void = () => undefined;
  let signal: AbortSignal | undefined;
  let send: (m: ProgressMessage) => void = () => undefined;
  let starts = 0;
  return {
    run: (s, broadcast) => {
      starts++;
      signal = s;
      send = broadcast;
      return new Promise((resolve, reject) => {
        finish = resolve;
        s.addEventListener('abort', () => reject(new Error('cancelled')));
      });
    },
    finish: (id) => finish(id),
    signal: () => signal!,
    starts: () => starts,
    send: (m) => send(m),
  };
}

test('a joining client gets the progress so far and the result; one run for both', async (t) => {
  const pulls = new SharedPulls();
  const job = manualRun();
  const a = client();
  const b = client();
  const first = pulls.join('k', a.watcher, job.run);
  job.send({ status: 'Pulling from x' });
  const second = pulls.join('k', b.watcher, job.run);
  job.send({ status: 'Downloading' });
  job.finish('sha256:1');
  t.deepEqual(await Promise.all([first, second]), ['sha256:1', 'sha256:1']);
  t.is(job.starts(), 1);
  t.deepEqual(b.seen, [{ status: 'Pulling from x' }, { status: 'Downloading' }]);
  t.is(pulls.size, 0);
});

test('the pull is cancelled only when the last client leaves; a leaving client stops waiting at once', async (t) => {
  const pulls = new SharedPulls();
  const job = manualRun();
  const a = client();
  const b = client();
  const first = pulls.join('k', a.watcher, job.run);
  const second = pulls.join('k', b.watcher, job.run);
  a.leave();
  await t.throwsAsync(first, { message: 'the client went away' });
  t.false(job.signal().aborted);
  b.leave();
  await t.throwsAsync(second);
  t.true(job.signal().aborted);
});

test('a cancelled pull still winding down is not joined: the next client starts afresh', async (t) => {
  const pulls = new SharedPulls();
  let resolveOld: (id: string) => void = () => undefined;
  const old: PullRun = () => new Promise((resolve) => (resolveOld = resolve)); // ignores its signal for now
  const a = client();
  const first = pulls.join('k', a.watcher, old);
  a.leave();
  await t.throwsAsync(first);
  const fresh = manualRun();
  const b = client();
  const second = pulls.join('k', b.watcher, fresh.run);
  t.is(fresh.starts(), 1);
  resolveOld('sha256:old'); // the old run ending does not remove the new one
  await Promise.resolve();
  t.is(pulls.size, 1);
  fresh.finish('sha256:new');
  t.is(await second, 'sha256:new');
});
