/** `delete [--force] ID…`: remove stopped (or, with --force, running) containers. */
import { isTsdError, TsdError } from '../../api/errors.js';
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';
import { destroyContainer } from '../runtime/destroy.js';

export const verb: Verb = {
  name: 'delete',
  usage: 'tsd-runc delete [command options] <container-id> [container-id...]',
  flags: [{ name: 'force', type: 'bool', aliases: ['f'], usage: 'kill a running container with SIGKILL, then delete it' }],
  async run(ctx, flags, args) {
    requireArgs('delete', args, 1, true);
    for (const id of args) {
      let container;
      try {
        container = await loadContainer(ctx, id);
      } catch (error) {
        // runc: deleting a container that does not exist is an error unless forced.
        if (flags.force && isTsdError(error) && error.code === 'not-found') {
          ctx.store.remove(id); // a directory without state.json: a create that died before saving
          continue;
        }
        throw error;
      }
      if (!flags.force && (container.status === 'running' || container.status === 'paused')) {
        throw new TsdError('conflict', `cannot delete container ${id} that is not stopped: ${container.status}`);
      }
      await destroyContainer(ctx, container);
    }
    return 0;
  },
};
