import { Flags } from '@oclif/core';
import { TsdError } from '../../guest/api/errors.js';
import { listContainers } from '../engine-client/verbs/ps.js';
import { VerbCommand } from '../engine-client/verb-command.js';

export default class Ps extends VerbCommand {
  static override summary = 'List containers (running ones; -a for all)';
  static override flags = {
    all: Flags.boolean({ char: 'a', description: 'show all containers, not only running ones' }),
    quiet: Flags.boolean({ char: 'q', description: 'only IDs' }),
    format: Flags.string({ description: '"table" (default) or "json" (one object per line)' }),
    'no-trunc': Flags.boolean({ description: 'do not truncate IDs and commands' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ps);
    const format = flags.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw new TsdError('unsupported', `--format "${format}" is not supported; use "table" or "json"`);
    process.stdout.write(await listContainers(await this.engine(), { all: flags.all, quiet: flags.quiet, format, noTrunc: flags['no-trunc'] }));
  }
}
