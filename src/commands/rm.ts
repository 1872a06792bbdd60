import { Args, Flags } from '@oclif/core';
import { applyToContainers } from '../engine-client/verbs/lifecycle.js';
import { ExitStatus, VerbCommand } from '../engine-client/verb-command.js';

export default class Rm extends VerbCommand {
  static override summary = 'Remove containers';
  static override strict = false;
  static override args = { container: Args.string({ description: 'containers', required: true, ignoreStdin: true }) };
  static override flags = {
    force: Flags.boolean({ char: 'f', description: 'kill and remove a running container' }),
    volumes: Flags.boolean({ char: 'v', description: 'also remove its anonymous volumes' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Rm);
    const output = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };
    throw new ExitStatus(await applyToContainers(await this.engine(), 'rm', argv as string[], { force: flags.force, volumes: flags.volumes }, output));
  }
}
