/**
 * `run [--detach] [--keep] … ID`: create and start in one go. Attached, the runtime forwards
 * signals to the container, waits for it, removes it (unless --keep) and exits with its status.
 */
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { containerOf } from '../runtime/container.js';
import { createContainer, killQuietly } from '../runtime/create.js';
import { destroyContainer } from '../runtime/destroy.js';
import { runPoststart } from '../runtime/start.js';
import { CREATE_FLAGS, createOptions } from './create.js';
import { mark } from '../cli/timing.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export const verb: Verb = {
  name: 'run',
  usage: 'tsd-runc run [command options] <container-id>',
  flags: [
    ...CREATE_FLAGS,
    { name: 'detach', type: 'bool', aliases: ['d'], usage: 'return once the container started instead of waiting for it' },
    { name: 'keep', type: 'bool', usage: 'leave the container in place after its process exits' },
  ],
  async run(ctx, flags, args) {
    requireArgs('run', args, 1);
    const id = args[0]!;
    const detach = Boolean(flags.detach);
    const { record, run, cgroups } = await createContainer(ctx, createOptions(id, flags, detach ? 'run-detached' : 'run-attached'));
    const forward = (signal: NodeJS.Signals) => killQuietly(record.pid, signal);
    if (!detach) for (const signal of FORWARDED) process.on(signal, forward);
    // The record and cgroups create just saved and made: reading them back would only cost time.
    await runPoststart(ctx, await containerOf(ctx, record, cgroups));
    if (detach) {
      run.release();
      return 0;
    }
    const status = await run.exitCode;
    mark('container-exited');
    for (const signal of FORWARDED) process.off(signal, forward);
    if (!flags.keep) await destroyContainer(ctx, await containerOf(ctx, record, cgroups));
    return status;
  },
};
