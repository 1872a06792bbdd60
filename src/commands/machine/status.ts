import { Args } from '@oclif/core';
import { TsdCommand } from '../../cli/base-command.js';
import { cleanedMessage, statusTable } from '../../machine/messages.js';
import { DEFAULT_MACHINE } from '../../machine/paths.js';
import { machineStatus, publicStatus, type MachineStatus } from '../../machine/status.js';

export default class MachineStatusCommand extends TsdCommand {
  static override summary = 'Show a machine: state, accelerator, resources, Docker socket, SSH port, uptime';
  static override args = { name: Args.string({ description: 'machine name', default: DEFAULT_MACHINE }) };

  async run(): Promise<MachineStatus> {
    const { args } = await this.parse(MachineStatusCommand);
    const status = await machineStatus(args.name);
    const cleanup = cleanedMessage(args.name, status.cleaned);
    if (cleanup !== undefined) process.stderr.write(`${cleanup}\n`); // also with --json: stdout stays JSON
    this.log(statusTable([status]));
    if (status.lastError !== undefined) this.log(`last error: ${status.lastError}`);
    return publicStatus(status);
  }
}
