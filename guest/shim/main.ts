/**
 * containerd-shim-tsd-v2 (runtime io.containerd.tsd.v2): containerd's shim v2 binary protocol.
 * `start` prints the ttrpc address of the (group) shim serving the task; `delete` cleans up after
 * a dead shim and prints a DeleteResponse; `serve` is the server itself. See README.md.
 */
import { asTsdError } from '../api/errors.js';
import { deleteVerb } from './delete-verb.js';
import { parseFlags } from './flags.js';
import { serve } from './serve.js';
import { startVerb } from './start-verb.js';
import { SHIM_VERSION } from './task-service.js';

function write(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => process.stdout.write(data, () => resolve()));
}

try {
  const flags = parseFlags(process.argv.slice(2));
  switch (flags.action) {
    case 'version':
      await write(`containerd-shim-tsd-v2:\n  Version:  ${SHIM_VERSION}\n`);
      break;
    case 'start':
      await write(await startVerb(flags));
      process.exit(0);
      break;
    case 'delete':
      await write(await deleteVerb(flags));
      process.exit(0);
      break;
    case 'serve':
      await serve(flags);
      break;
  }
} catch (error) {
  process.stderr.write(`containerd-shim-tsd-v2: ${asTsdError(error).message}\n`);
  process.exit(1);
}
