import { Args, Flags } from '@oclif/core';
import { TsdError } from '../../guest/api/errors.js';
import { execInContainer } from '../engine-client/verbs/exec.js';
import { shapesOf, splitArgv } from '../engine-client/verbs/split-argv.js';
import { ExitStatus, VerbCommand } from '../engine-client/verb-command.js';

export default class Exec extends VerbCommand {
  static override summary = 'Run a command in a running container: tsd exec [OPTIONS] CONTAINER COMMAND [ARG...]';
  static override strict = false;
  static override args = { container: Args.string({ description: 'container, then the command', required: false, ignoreStdin: true }) };
  static override flags = {
    interactive: Flags.boolean({ char: 'i', description: 'keep stdin open and attach it' }),
    tty: Flags.boolean({ char: 't', description: 'allocate a pseudo-TTY' }),
    detach: Flags.boolean({ char: 'd', description: 'run in the background' }),
    user: Flags.string({ char: 'u', description: 'user (name|uid[:group|gid])' }),
    workdir: Flags.string({ char: 'w', description: 'working directory' }),
    env: Flags.string({ char: 'e', multiple: true, description: 'environment variable KEY=value' }),
    privileged: Flags.boolean({ description: 'extended privileges for the command' }),
  };

  async run(): Promise<void> {
    const split = splitArgv(this.argv, shapesOf(Exec.flags));
    const { flags } = await this.parse(Exec, split.flags);
    const [container, ...command] = split.rest;
    if (container === undefined || command.length === 0) {
      throw new TsdError('invalid-argument', '"tsd exec" requires at least 2 arguments: tsd exec [OPTIONS] CONTAINER COMMAND [ARG...]');
    }
    const code = await execInContainer(
      await this.engine(),
      container,
      command,
      { interactive: flags.interactive, tty: flags.tty, detach: flags.detach, user: flags.user, workdir: flags.workdir, env: flags.env ?? [], privileged: flags.privileged },
      { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    );
    throw new ExitStatus(code);
  }
}
