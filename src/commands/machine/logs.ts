import { Args, Flags } from '@oclif/core';
import { TsdCommand } from '../../cli/base-command.js';
import { connectToMachine } from '../../machine/connect.js';
import { showFile, showServiceLog } from '../../machine/logs.js';
import { DEFAULT_MACHINE } from '../../machine/paths.js';
import { requireMachine } from '../../machine/status.js';

export default class MachineLogs extends TsdCommand {
  static override summary = "Show the machine's serial console, or a guest service's log (--service)";
  static override examples = ['<%= config.bin %> machine logs', '<%= config.bin %> machine logs --service dockerd --follow'];
  static override args = { name: Args.string({ description: 'machine name', default: DEFAULT_MACHINE }) };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing what is appended' }),
    service: Flags.string({ char: 's', description: 'a service supervised in the guest (e.g. dockerd, sshd)' }),
  };
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MachineLogs);
    const paths = requireMachine(args.name);
    if (flags.service === undefined) {
      let stopped = false;
      process.once('SIGINT', () => (stopped = true));
      await showFile(paths.serialLog, process.stdout, flags.follow, () => stopped);
      return;
    }
    const ssh = await connectToMachine(paths);
    let code: number;
    try {
      code = await showServiceLog(ssh, flags.service, flags.follow, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
    } finally {
      ssh.end();
    }
    this.exit(code);
  }
}
