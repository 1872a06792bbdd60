/** `events [--stats] [--interval D] ID`: stats events as JSON lines (one with --stats, else periodic). */
import { TsdError } from '../../api/errors.js';
import { requireArgs } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';
import { isAlive } from '../state/status.js';

export const verb: Verb = {
  name: 'events',
  usage: 'tsd-runc events [command options] <container-id>',
  flags: [
    { name: 'interval', type: 'string', usage: 'time between stats samples (default 5s)' },
    { name: 'stats', type: 'bool', usage: 'print one stats sample and exit' },
  ],
  async run(ctx, flags, args) {
    requireArgs('events', args, 1);
    const container = await loadContainer(ctx, args[0]!);
    if (container.status === 'stopped') throw new TsdError('conflict', `container with id ${args[0]} is not running`);
    const intervalMs = parseDuration((flags.interval as string | undefined) ?? '5s');
    const emit = async () => {
      const data = await container.cgroups.stats();
      process.stdout.write(`${JSON.stringify({ type: 'stats', id: container.record.id, data })}\n`);
    };
    if (flags.stats) {
      await emit();
      return 0;
    }
    let oomKilled = await container.cgroups.oomKilled().catch(() => false);
    while (isAlive(container.record)) {
      await emit();
      const nowKilled = await container.cgroups.oomKilled().catch(() => false);
      if (nowKilled && !oomKilled) process.stdout.write(`${JSON.stringify({ type: 'oom', id: container.record.id })}\n`);
      oomKilled = nowKilled;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    return 0;
  },
};

/** Go durations as runc takes them: "5s", "500ms", "1m". */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new TsdError('invalid-argument', `invalid duration ${JSON.stringify(text)}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(match[1]) * unit;
  if (ms <= 0) throw new TsdError('invalid-argument', 'duration interval must be greater than 0');
  return ms;
}
