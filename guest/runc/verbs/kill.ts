/** `kill [--all] ID [SIGNAL]`: signal the init (or, with --all, every process of the container). */
import { TsdError } from '../../api/errors.js';
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';
import { parseSignal } from '../runtime/signals.js';

export const verb: Verb = {
  name: 'kill',
  usage: 'tsd-runc kill [command options] <container-id> [signal]',
  flags: [{ name: 'all', type: 'bool', aliases: ['a'], usage: 'signal every process in the container, not only its init' }],
  async run(ctx, flags, args) {
    requireArgs('kill', args, 1, true);
    if (args.length > 2) throw new TsdError('invalid-argument', '"kill" requires at most 2 arguments');
    const signal = parseSignal(args[1] ?? 'SIGTERM');
    const container = await loadContainer(ctx, args[0]!);
    // runc refuses to signal a stopped init, but --all of a stopped container succeeds (whatever
    // is left in its cgroup is signalled): containerd's shim relies on that when it cleans up.
    if (container.status === 'stopped' && !flags.all) throw new TsdError('conflict', 'container not running');
    const pids = flags.all ? await container.cgroups.pids() : [container.record.pid];
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    return 0;
  },
};
