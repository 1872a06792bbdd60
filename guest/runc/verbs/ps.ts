/** `ps [--format table|json] ID [ps options]`: the container's processes (host pids). */
import { execFileSync } from 'node:child_process';
import { TsdError } from '../../api/errors.js';
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';

export const verb: Verb = {
  name: 'ps',
  usage: 'tsd-runc ps [command options] <container-id> [ps options]',
  flags: [{ name: 'format', type: 'string', aliases: ['f'], usage: 'output format: table (default) or json' }],
  async run(ctx, flags, args) {
    requireArgs('ps', args, 1, true);
    const container = await loadContainer(ctx, args[0]!);
    if (container.status === 'stopped') throw new TsdError('conflict', 'container not running');
    const pids = (await container.cgroups.pids()).sort((a, b) => a - b);
    const format = (flags.format as string | undefined) ?? 'table';
    if (format === 'json') {
      process.stdout.write(`${JSON.stringify(pids)}\n`);
      return 0;
    }
    if (format !== 'table') throw new TsdError('invalid-argument', `invalid format option: ${format}`);
    // Like runc: the host's ps with the given options, filtered to the container's pids.
    const output = execFileSync('ps', args.length > 1 ? args.slice(1) : ['-ef'], { encoding: 'utf8' }).split('\n');
    const header = output[0] ?? '';
    const pidColumn = header.trim().split(/\s+/).indexOf('PID');
    if (pidColumn < 0) throw new TsdError('invalid-argument', 'ps output has no PID column');
    const wanted = new Set(pids);
    const rows = output.slice(1).filter((line) => wanted.has(Number(line.trim().split(/\s+/)[pidColumn])));
    process.stdout.write(`${[header, ...rows].join('\n')}\n`);
    return 0;
  },
};
