/** `state ID`: runc's state JSON. */
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';

export const verb: Verb = {
  name: 'state',
  usage: 'tsd-runc state <container-id>',
  flags: [],
  async run(ctx, _flags, args) {
    requireArgs('state', args, 1);
    const container = await loadContainer(ctx, args[0]!);
    process.stdout.write(`${JSON.stringify(container.state(), null, 2)}\n`);
    return 0;
  },
};
