import { Flags } from '@oclif/core';
import { listImages } from '../engine-client/verbs/images.js';
import { VerbCommand } from '../engine-client/verb-command.js';

export default class Images extends VerbCommand {
  static override summary = 'List images';
  static override flags = {
    all: Flags.boolean({ char: 'a', description: 'show intermediate images too' }),
    quiet: Flags.boolean({ char: 'q', description: 'only IDs' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Images);
    process.stdout.write(await listImages(await this.engine(), { quiet: flags.quiet, all: flags.all }));
  }
}
