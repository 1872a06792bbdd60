import { Args, Flags } from '@oclif/core';
import { TsdCommand } from '../../cli/base-command.js';
import { deleteMachine } from '../../machine/delete.js';
import { DEFAULT_MACHINE } from '../../machine/paths.js';

export default class MachineDelete extends TsdCommand {
  static override summary = 'Delete a machine: its disk, keys, logs and docker context';
  static override description = 'A running machine is refused (exit code 5) unless --force, which stops it first.';
  static override args = { name: Args.string({ description: 'machine name', default: DEFAULT_MACHINE }) };
  static override flags = { force: Flags.boolean({ description: 'stop the machine first if it is running' }) };

  async run(): Promise<{ name: string; deleted: true }> {
    const { args, flags } = await this.parse(MachineDelete);
    await deleteMachine(args.name, { force: flags.force });
    this.log(`deleted machine "${args.name}"`);
    return { name: args.name, deleted: true };
  }
}
