import { TsdError } from '../../../guest/api/errors.js';
import { TsdCommand } from '../../cli/base-command.js';
import { connectToMachine } from '../../machine/connect.js';
import { DEFAULT_MACHINE } from '../../machine/paths.js';
import { requireMachine } from '../../machine/status.js';
import { commandLine, runCommand, runShell } from '../../ssh/session.js';

export default class MachineSsh extends TsdCommand {
  static override summary = 'Open a shell in the machine, or run a command: tsd machine ssh [NAME] [-- CMD…]';
  static override description =
    'Without a command: an interactive shell on a pty. With one: its output and exit code. ' +
    'A single argument after -- is run as a shell line; several are quoted word by word.';
  static override examples = ['<%= config.bin %> machine ssh', '<%= config.bin %> machine ssh -- uname -r', "<%= config.bin %> machine ssh dev -- 'ls /var/lib | wc -l'"];
  static override strict = false;
  static override enableJsonFlag = false;

  async run(): Promise<void> {
    // Parsed by hand: everything after "--" is the command, untouched by flag parsing.
    const separator = this.argv.indexOf('--');
    const before = separator === -1 ? this.argv : this.argv.slice(0, separator);
    const command = separator === -1 ? [] : this.argv.slice(separator + 1);
    if (before.length > 1 || before.some((arg) => arg.startsWith('-'))) {
      throw new TsdError('invalid-argument', 'usage: tsd machine ssh [NAME] [-- COMMAND [ARG…]]');
    }
    const ssh = await connectToMachine(requireMachine(before[0] ?? DEFAULT_MACHINE));
    const term = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
    let code: number;
    try {
      code = command.length === 0 ? await runShell(ssh, term) : await runCommand(ssh, commandLine(command), term);
    } finally {
      ssh.end();
    }
    this.exit(code); // also ends a stdin that is still open (a terminal, an unclosed pipe)
  }
}
