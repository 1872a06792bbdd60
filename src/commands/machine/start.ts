import { existsSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { TsdError } from '../../../guest/api/errors.js';
import { TsdCommand } from '../../cli/base-command.js';
import { createMachine } from '../../machine/create.js';
import { cleanedMessage, howToUse } from '../../machine/messages.js';
import { DEFAULT_MACHINE, machinePaths } from '../../machine/paths.js';
import { startMachine } from '../../machine/start.js';
import { machineStatus, publicStatus, type MachineStatus } from '../../machine/status.js';

export default class MachineStart extends TsdCommand {
  static override summary = 'Start a machine (with no name: create and start "default")';
  static override description =
    'Builds or reuses the guest image, boots the machine under QEMU and exposes its Docker socket. ' +
    'Starting a machine that is already running is an error (exit code 5).';
  static override args = { name: Args.string({ description: 'machine name', default: DEFAULT_MACHINE }) };
  static override flags = {
    'set-context': Flags.boolean({ description: 'also make the docker context tsd-<name> the current one' }),
  };

  async run(): Promise<MachineStatus> {
    const { args, flags } = await this.parse(MachineStart);
    const paths = machinePaths(args.name);
    if (!existsSync(paths.config)) {
      if (args.name !== DEFAULT_MACHINE) throw new TsdError('not-found', `no machine named "${args.name}"; create it with \`tsd machine create ${args.name}\``);
      await createMachine(args.name);
      this.logToStderr(`created machine "${args.name}" with the defaults`);
    }
    const ui = { info: (line: string) => this.logToStderr(line), warn: (line: string) => this.warn(line) };
    const { cleaned } = await startMachine(paths, { setContext: flags['set-context'] }, ui);
    const cleanup = cleanedMessage(args.name, cleaned);
    if (cleanup !== undefined) process.stderr.write(`${cleanup}\n`); // also with --json: stdout stays JSON
    const status = await machineStatus(args.name);
    this.log(howToUse(status, flags['set-context']));
    return publicStatus(status);
  }
}
