/**
 * tsd-containerd: `--address SOCK --root DIR --state DIR`. Serves containerd's gRPC API until
 * SIGTERM or SIGINT; prints one ready line on stdout once the socket accepts calls.
 */
import { parseArgs } from 'node:util';
import { asTsdError } from '../api/errors.js';
import { startDaemon } from './server/daemon.js';

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
  const daemon = await startDaemon({ address: values.address, root: values.root, state: values.state });
  process.stdout.write(`tsd-containerd ready on ${values.address}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await daemon.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tsd-containerd: ${asTsdError(error).message}\n`);
    process.exit(1);
  },
);
