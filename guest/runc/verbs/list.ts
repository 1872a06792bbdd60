/** `list [--format table|json] [--quiet]` */
import { TsdError } from '../../api/errors.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';
import type { StateJson } from '../state/record.js';

export const verb: Verb = {
  name: 'list',
  usage: 'tsd-runc list [command options]',
  flags: [
    { name: 'format', type: 'string', aliases: ['f'], usage: 'output format: table (default) or json' },
    { name: 'quiet', type: 'bool', aliases: ['q'], usage: 'print only the IDs' },
  ],
  async run(ctx, flags) {
    const format = (flags.format as string | undefined) ?? 'table';
    if (format !== 'table' && format !== 'json') throw new TsdError('invalid-argument', `invalid format option: ${format}`);
    const states: StateJson[] = [];
    for (const id of ctx.store.list()) {
      try {
        states.push((await loadContainer(ctx, id)).state());
      } catch (error) {
        ctx.log.warn(`skipping container ${id}: ${(error as Error).message}`);
      }
    }
    if (flags.quiet) {
      process.stdout.write(states.map((s) => `${s.id}\n`).join(''));
    } else if (format === 'json') {
      process.stdout.write(`${JSON.stringify(states)}\n`);
    } else {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      process.stdout.write(rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]! + 3) : c)).join('')).join('\n') + '\n');
    }
    return 0;
  },
};
