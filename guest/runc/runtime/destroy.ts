/**
 * Tearing a container down (delete, and the end of an attached run): kill what is left, wait for
 * it, remove the cgroup, run poststop hooks, remove the state directory. Idempotent.
 */
import type { Context } from '../cli/context.js';
import { stateJson } from '../state/record.js';
import { isAlive } from '../state/status.js';
import type { Container } from './container.js';
import { killQuietly } from './create.js';
import { runHooks } from './hooks.js';
import { waitFor } from './wait.js';

export async function destroyContainer(ctx: Context, container: Container): Promise<void> {
  const { record, cgroups } = container;
  if (container.status === 'paused') await cgroups.thaw(); // frozen tasks cannot act on SIGKILL
  if (isAlive(record)) killQuietly(record.pid);
  // Without a pid namespace the init's death does not take the other processes with it.
  if (await cgroups.exists()) for (const pid of await cgroups.pids()) killQuietly(pid);
  await waitFor(`container ${record.id} to exit`, () => !isAlive(record), 10_000);
  if (await cgroups.exists()) {
    await waitFor(`the processes of container ${record.id} to exit`, async () => (await cgroups.pids()).length === 0, 10_000);
    await cgroups.destroy();
  }
  try {
    await runHooks(record.spec, 'poststop', stateJson(record, 'stopped'));
  } catch (error) {
    ctx.log.warn((error as Error).message);
  }
  ctx.store.remove(record.id);
}
