/** `resume ID`: thaw a paused container. */
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer, requireStatus } from '../runtime/container.js';

export const verb: Verb = {
  name: 'resume',
  usage: 'tsd-runc resume <container-id>',
  flags: [],
  async run(ctx, _flags, args) {
    requireArgs('resume', args, 1);
    const container = await loadContainer(ctx, args[0]!);
    requireStatus(container, ['paused'], 'resume');
    await container.cgroups.thaw();
    return 0;
  },
};
