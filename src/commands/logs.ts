import { Args, Flags } from '@oclif/core';
import { streamLogs } from '../engine-client/verbs/logs.js';
import { VerbCommand } from '../engine-client/verb-command.js';

export default class Logs extends VerbCommand {
  static override summary = "Show a container's output";
  static override args = { container: Args.string({ description: 'container name or ID', required: true, ignoreStdin: true }) };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep following new output' }),
    tail: Flags.string({ char: 'n', description: 'lines from the end ("all" or a number)' }),
    since: Flags.string({ description: 'since a time (Unix, RFC 3339) or a duration ago (10m)' }),
    until: Flags.string({ description: 'until a time or a duration ago' }),
    timestamps: Flags.boolean({ char: 't', description: 'show timestamps' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Logs);
    await streamLogs(
      await this.engine(),
      args.container,
      { follow: flags.follow, tail: flags.tail, since: flags.since, until: flags.until, timestamps: flags.timestamps },
      { stdout: process.stdout, stderr: process.stderr },
    );
  }
}
