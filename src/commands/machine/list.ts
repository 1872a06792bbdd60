import { TsdCommand } from '../../cli/base-command.js';
import { statusTable } from '../../machine/messages.js';
import { machineNames, machineStatus, publicStatus, type MachineStatus } from '../../machine/status.js';

export default class MachineList extends TsdCommand {
  static override summary = 'List machines and their states';

  async run(): Promise<MachineStatus[]> {
    await this.parse(MachineList);
    const statuses = await Promise.all((await machineNames()).map(async (name) => publicStatus(await machineStatus(name))));
    this.log(statuses.length === 0 ? 'no machines; create one with `tsd machine start`' : statusTable(statuses));
    return statuses;
  }
}
