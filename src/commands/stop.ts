import { Args, Flags } from '@oclif/core';
import { applyToContainers } from '../engine-client/verbs/lifecycle.js';
import { ExitStatus, VerbCommand } from '../engine-client/verb-command.js';

export default class Stop extends VerbCommand {
  static override summary = 'Stop running containers (the stop signal, then SIGKILL after the timeout)';
  static override strict = false;
  static override args = { container: Args.string({ description: 'containers', required: true, ignoreStdin: true }) };
  static override flags = {
    time: Flags.integer({ char: 't', description: 'seconds to wait before killing' }),
    signal: Flags.string({ char: 's', description: 'signal to send' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Stop);
    const output = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };
    throw new ExitStatus(await applyToContainers(await this.engine(), 'stop', argv as string[], { time: flags.time, signal: flags.signal }, output));
  }
}
