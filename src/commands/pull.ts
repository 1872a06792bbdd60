import { Args, Flags } from '@oclif/core';
import { canonicalReference, pullImage } from '../engine-client/verbs/pull.js';
import { VerbCommand } from '../engine-client/verb-command.js';

export default class Pull extends VerbCommand {
  static override summary = 'Pull an image from a registry (through the machine\'s registry mirrors)';
  static override args = { image: Args.string({ description: 'NAME[:TAG|@DIGEST]', required: true, ignoreStdin: true }) };
  static override flags = {
    quiet: Flags.boolean({ char: 'q', description: 'no progress, only the image name' }),
    platform: Flags.string({ description: 'platform (e.g. linux/arm64)' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Pull);
    const out = flags.quiet ? { write: () => undefined, terminal: false } : { write: (text: string) => process.stdout.write(text), terminal: process.stdout.isTTY === true };
    const ref = await pullImage(await this.engine(), args.image, out, flags.platform);
    process.stdout.write(`${canonicalReference(ref)}\n`);
  }
}
