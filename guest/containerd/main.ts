/**
 * tsd-containerd: `--address SOCK --root DIR --state DIR`. Serves containerd's gRPC API until
 * SIGTERM or SIGINT; prints one ready line on stdout once the socket accepts calls.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asTsdError } from '../api/errors.js';
import { startDaemon } from './server/daemon.js';
import { capYoungGeneration } from '../lib/young-generation.js';
import { flushCompileCacheSoon } from '../lib/compile-cache.js';
import { afterStart } from '../lib/memory-reducer.js';

const USAGE = 'usage: tsd-containerd --address SOCK --root DIR --state DIR';

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        address: { type: 'string', short: 'a', default: '/run/containerd/containerd.sock' },
        root: { type: 'string', default: '/var/lib/containerd' },
        state: { type: 'string', default: '/run/containerd' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`tsd-containerd: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  capYoungGeneration();
  const daemon = await startDaemon({ address: values.address, root: values.root, state: values.state, publishBinary: selfBinary() });
  process.stdout.write(`tsd-containerd ready on ${values.address}\n`);
  flushCompileCacheSoon();
  afterStart();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await daemon.stop();
  return 0;
}

/** bin/tsd-containerd when run through it (the bundle is dist/guest/containerd.mjs), else this script. */
function selfBinary(): string | undefined {
  const script = process.argv[1];
  if (!script) return undefined;
  const wrapper = resolve(dirname(script), '..', '..', 'bin', 'tsd-containerd');
  return existsSync(wrapper) ? wrapper : script;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tsd-containerd: ${asTsdError(error).message}\n`);
    process.exit(1);
  },
);
