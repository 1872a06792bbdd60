import { Args, Flags } from '@oclif/core';
import { TsdCommand } from '../../cli/base-command.js';
import { DEFAULT_MACHINE } from '../../machine/paths.js';
import { requireMachine } from '../../machine/status.js';
import { stopMachine, type StopResult } from '../../machine/stop.js';

export default class MachineStop extends TsdCommand {
  static override summary = 'Stop a machine: ACPI shutdown, forced after a timeout (stopping a stopped machine does nothing)';
  static override args = { name: Args.string({ description: 'machine name', default: DEFAULT_MACHINE }) };
  static override flags = { force: Flags.boolean({ description: 'kill QEMU at once instead of a clean shutdown' }) };

  async run(): Promise<StopResult> {
    const { args, flags } = await this.parse(MachineStop);
    const result = await stopMachine(requireMachine(args.name), { force: flags.force });
    this.log(result.wasRunning ? `stopped machine "${args.name}" in ${result.seconds.toFixed(1)} s` : `machine "${args.name}" is not running`);
    return result;
  }
}
