/** `pause ID`: freeze every process of the container. */
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer, requireStatus } from '../runtime/container.js';

export const verb: Verb = {
  name: 'pause',
  usage: 'tsd-runc pause <container-id>',
  flags: [],
  async run(ctx, _flags, args) {
    requireArgs('pause', args, 1);
    const container = await loadContainer(ctx, args[0]!);
    requireStatus(container, ['running', 'created'], 'pause');
    await container.cgroups.freeze();
    return 0;
  },
};
