/**
 * One download per image, however many clients ask: a second `docker pull` of the same reference
 * (same platform, same credentials) while the first runs joins it — it is sent the progress so
 * far, then the rest — instead of starting another. Each client leaves when its connection
 * closes; when the last one has left, the pull is cancelled (as dockerd cancels a transfer whose
 * watchers are all gone). A client that leaves stops waiting at once.
 */
import type { ProgressMessage } from './pull-progress.js';

export interface PullWatcher {
  send(message: ProgressMessage): void;
  /** Aborts when this client goes away. */
  signal: AbortSignal;
}

export type PullRun = (signal: AbortSignal, send: (message: ProgressMessage) => void) => Promise<string>;

interface RunningPull {
  controller: AbortController;
  watchers: Set<PullWatcher>;
  sent: ProgressMessage[];
  done: Promise<string>;
}

export class SharedPulls {
  readonly #running = new Map<string, RunningPull>();

  /** How many pulls are running now (for tests and debugging). */
  get size(): number {
    return this.#running.size;
  }

  /** Runs `run` under `key`, or joins the run already under way; resolves with its result. */
  async join(key: string, watcher: PullWatcher, run: PullRun): Promise<string> {
    let pull = this.#running.get(key);
    // A cancelled pull still winding down is not joined: this client starts afresh.
    if (!pull || pull.controller.signal.aborted) {
      const controller = new AbortController();
      const created: RunningPull = { controller, watchers: new Set(), sent: [], done: Promise.resolve('') };
      const broadcast = (message: ProgressMessage): void => {
        created.sent.push(message);
        for (const each of created.watchers) each.send(message);
      };
      created.done = run(controller.signal, broadcast).finally(() => {
        if (this.#running.get(key) === created) this.#running.delete(key);
      });
      created.done.catch(() => undefined); // every watcher gets it; none may be left to
      this.#running.set(key, created);
      pull = created;
    } else {
      for (const message of pull.sent) watcher.send(message);
    }
    const joined = pull;
    joined.watchers.add(watcher);
    let onAbort = (): void => undefined;
    const left = new Promise<never>((_, reject) => {
      onAbort = () => {
        joined.watchers.delete(watcher);
        if (joined.watchers.size === 0) joined.controller.abort();
        reject(new Error('the client went away'));
      };
      if (watcher.signal.aborted) onAbort();
      else watcher.signal.addEventListener('abort', onAbort, { once: true });
    });
    left.catch(() => undefined);
    try {
      return await Promise.race([joined.done, left]);
    } finally {
      watcher.signal.removeEventListener('abort', onAbort);
      joined.watchers.delete(watcher);
    }
  }
}
