import { Args, Flags } from '@oclif/core';
import { TsdCommand } from '../../cli/base-command.js';
import { createMachine } from '../../machine/create.js';
import { DEFAULT_MACHINE } from '../../machine/paths.js';

export default class MachineCreate extends TsdCommand {
  static override summary = 'Create a machine (machine file validated, SSH keys and data disk made)';
  static override examples = ['<%= config.bin %> machine create', '<%= config.bin %> machine create dev -f machine.yaml'];
  static override args = { name: Args.string({ description: 'machine name', default: DEFAULT_MACHINE }) };
  static override flags = { file: Flags.string({ char: 'f', description: 'machine file (YAML); default: every key at its default' }) };

  async run(): Promise<{ name: string; dir: string }> {
    const { args, flags } = await this.parse(MachineCreate);
    const { paths, config } = await createMachine(args.name, flags.file);
    this.log(`created machine "${args.name}" (${config.arch}, ${config.cpus} CPUs, ${config.memory} MiB, ${config.disk} GiB disk) in ${paths.dir}`);
    this.log(`start it with: tsd machine start ${args.name}`);
    return { name: args.name, dir: paths.dir };
  }
}
