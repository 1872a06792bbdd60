/** `start ID`: lets a created container's process run. */
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';
import { startContainer } from '../runtime/start.js';

export const verb: Verb = {
  name: 'start',
  usage: 'tsd-runc start <container-id>',
  flags: [],
  async run(ctx, _flags, args) {
    requireArgs('start', args, 1);
    await startContainer(ctx, await loadContainer(ctx, args[0]!));
    return 0;
  },
};
