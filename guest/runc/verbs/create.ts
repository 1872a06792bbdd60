/** `create [--bundle DIR] [--console-socket S] [--pid-file F] [--no-pivot] [--preserve-fds N] ID` */
import type { FlagSpec, FlagValues } from '../cli/args.js';
import { requireArgs } from '../cli/args.js';
import type { Context, Verb } from '../cli/context.js';
import { createContainer, type CreateMode } from '../runtime/create.js';

export const CREATE_FLAGS: readonly FlagSpec[] = [
  { name: 'bundle', type: 'string', aliases: ['b'], usage: 'bundle directory holding config.json (default: the current directory)' },
  { name: 'console-socket', type: 'string', usage: 'unix socket that receives the terminal\'s pty master (SCM_RIGHTS) when process.terminal is set' },
  { name: 'pid-file', type: 'string', usage: 'write the process ID to this file' },
  { name: 'no-pivot', type: 'bool', usage: 'enter the rootfs with MS_MOVE + chroot instead of pivot_root' },
  { name: 'no-new-keyring', type: 'bool', usage: 'accepted; tsd-runc never creates a session keyring' },
  { name: 'preserve-fds', type: 'int', usage: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)' },
];

export function createOptions(id: string, flags: FlagValues, mode: CreateMode) {
  return {
    id,
    bundle: (flags.bundle as string | undefined) ?? process.cwd(),
    mode,
    pidFile: flags['pid-file'] as string | undefined,
    consoleSocket: flags['console-socket'] as string | undefined,
    noPivot: Boolean(flags['no-pivot']),
    preserveFds: (flags['preserve-fds'] as number | undefined) ?? 0,
  };
}

export const verb: Verb = {
  name: 'create',
  usage: 'tsd-runc create [command options] <container-id>',
  flags: CREATE_FLAGS,
  async run(ctx: Context, flags, args) {
    requireArgs('create', args, 1);
    const { run } = await createContainer(ctx, createOptions(args[0]!, flags, 'create'));
    run.release();
    return 0;
  },
};
