import { Args, Flags } from '@oclif/core';
import { inspectObjects, renderInspect } from '../engine-client/verbs/inspect.js';
import { VerbCommand } from '../engine-client/verb-command.js';

export default class Inspect extends VerbCommand {
  static override summary = 'Low-level information on containers or images, as JSON';
  static override strict = false;
  static override args = { name: Args.string({ description: 'containers or images', required: true, ignoreStdin: true }) };
  static override flags = {
    format: Flags.string({ char: 'f', description: '"json" (one object per line) or a template like {{.State.Status}} / {{json .Config}}' }),
    type: Flags.option({ options: ['container', 'image'] as const, description: 'only this kind of object' })(),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Inspect);
    const objects = await inspectObjects(await this.engine(), argv as string[], flags.type);
    process.stdout.write(renderInspect(objects, flags.format));
  }
}
