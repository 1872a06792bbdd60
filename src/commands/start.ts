import { Args } from '@oclif/core';
import { applyToContainers } from '../engine-client/verbs/lifecycle.js';
import { ExitStatus, VerbCommand } from '../engine-client/verb-command.js';

export default class Start extends VerbCommand {
  static override summary = 'Start stopped containers';
  static override strict = false;
  static override args = { container: Args.string({ description: 'containers', required: true, ignoreStdin: true }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(Start);
    const output = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };
    throw new ExitStatus(await applyToContainers(await this.engine(), 'start', argv as string[], {}, output));
  }
}
