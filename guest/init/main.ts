/**
 * The guest init (bundled to dist/guest/init.mjs, installed as /opt/tsd/init.mjs). Debian's tini
 * is PID 1 (it reaps orphans and forwards signals) and runs `node /opt/tsd/init.mjs`.
 *
 *   init.mjs               boot (only as tini's child: it mounts, formats and powers off)
 *   init.mjs set-time MS   set the wall clock (the host runs it over SSH after it wakes from sleep)
 */
import { GUEST_INIT_READY_LINE } from '../api/guest-layout.js';
import { setWallClock } from '../sys/clock.js';
import type { PowerAction } from '../sys/power.js';
import { BOOT_STEPS, type BootContext } from './boot-plan.js';
import { createConsoleLog } from './console-log.js';
import { shutdown } from './shutdown.js';
import { runSteps } from './steps.js';

// Each power-button device holds a libuv pool thread in a blocking read; keep room for fs work.
// (The pool is created at its first use, after this line.)
process.env.UV_THREADPOOL_SIZE ??= '8';

const [command, ...args] = process.argv.slice(2);

if (command === 'set-time') {
  const ms = Number(args[0]);
  setWallClock(ms);
  console.log(new Date().toISOString());
} else if (process.ppid !== 1) {
  console.error('tsd-init boots a guest and runs only as the child of PID 1 (tini); see docs/guest-init.md');
  process.exit(2);
} else {
  await boot();
}

async function boot(): Promise<void> {
  const log = createConsoleLog();
  let shuttingDown = false;
  const context: BootContext = { log, mounted: [], onPowerButton: () => powerOff('poweroff', 'power button') };
  function powerOff(action: PowerAction, why: string): void {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${why}: ${action}`);
    void shutdown(context, action).catch((error: Error) => log(`shutdown failed: ${error.message}`));
  }
  // busybox conventions, so that poweroff, reboot and halt in the guest work (tini forwards them).
  process.on('SIGUSR2', () => powerOff('poweroff', 'SIGUSR2'));
  process.on('SIGTERM', () => powerOff('reboot', 'SIGTERM'));
  process.on('SIGUSR1', () => powerOff('halt', 'SIGUSR1'));
  // PID 1's child must never die: tini would exit and the kernel panic.
  process.on('uncaughtException', (error) => log(`uncaught: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (error) => log(`unhandled rejection: ${String(error)}`));

  log(`starting (node ${process.version}, pid ${process.pid})`);
  const report = await runSteps(BOOT_STEPS, context, log);
  if (!report.completed) {
    log('boot stopped at a fatal step; waiting for poweroff');
    return;
  }
  const total = report.outcomes.reduce((sum, outcome) => sum + outcome.ms, 0);
  const failed = report.outcomes.filter((outcome) => outcome.state === 'failed').map((outcome) => outcome.name);
  // performance.now() counts from the Node process's start: the steps plus Node's own start-up.
  const node = Math.round(performance.now());
  log(
    `${GUEST_INIT_READY_LINE.replace(/^tsd-init: /, '')} in ${total} ms of steps, ${node} ms after Node started` +
      (failed.length ? ` (failed steps: ${failed.join(', ')})` : ''),
  );
}
