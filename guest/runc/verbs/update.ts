/** `update [--resources FILE|-] [--memory N …] ID`: change cgroup limits of a live container. */
import { readFileSync } from 'node:fs';
import { TsdError } from '../../api/errors.js';
import type { LinuxResources } from '../../api/oci-runtime-spec.js';
import { requireArgs, type FlagValues } from '../cli/args.js';
import type { Verb } from '../cli/context.js';
import { loadContainer } from '../runtime/container.js';

export const verb: Verb = {
  name: 'update',
  usage: 'tsd-runc update [command options] <container-id>',
  flags: [
    { name: 'resources', type: 'string', aliases: ['r'], usage: 'path to a file containing the resources to update, or "-" to read from stdin' },
    { name: 'memory', type: 'string', usage: 'memory limit (in bytes)' },
    { name: 'memory-reservation', type: 'string', usage: 'memory reservation or soft_limit (in bytes)' },
    { name: 'memory-swap', type: 'string', usage: 'total memory usage (memory + swap); set "-1" to enable unlimited swap' },
    { name: 'cpu-shares', type: 'string', usage: 'CPU shares (relative weight vs. other containers)' },
    { name: 'cpu-quota', type: 'string', usage: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period' },
    { name: 'cpu-period', type: 'string', usage: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default' },
    { name: 'cpuset-cpus', type: 'string', usage: 'CPU(s) to use' },
    { name: 'cpuset-mems', type: 'string', usage: 'Memory node(s) to use' },
    { name: 'pids-limit', type: 'int', usage: 'maximum number of pids allowed in the container' },
    { name: 'blkio-weight', type: 'int', usage: 'specifies per cgroup weight, range is from 10 to 1000' },
  ],
  async run(ctx, flags, args) {
    requireArgs('update', args, 1);
    const container = await loadContainer(ctx, args[0]!);
    if (container.status === 'stopped') throw new TsdError('conflict', `cannot update container ${args[0]}: it is stopped`);
    const resources = flags.resources !== undefined ? readResources(flags.resources as string) : resourcesFromFlags(flags);
    await container.cgroups.set(resources);
    // Remember the new limits, so that the state shows what is in force.
    const spec = container.record.spec;
    spec.linux = { ...spec.linux, resources: mergeResources(spec.linux?.resources ?? {}, resources) };
    ctx.store.save(container.record);
    return 0;
  },
};

function readResources(source: string): LinuxResources {
  const text = readFileSync(source === '-' ? 0 : source, 'utf8');
  try {
    return JSON.parse(text) as LinuxResources;
  } catch (error) {
    throw new TsdError('invalid-argument', `--resources: malformed JSON: ${(error as Error).message}`);
  }
}

function int(flags: FlagValues, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new TsdError('invalid-argument', `invalid value for --${name}: ${String(value)}`);
  return n;
}

export function resourcesFromFlags(flags: FlagValues): LinuxResources {
  const r: LinuxResources = {};
  const memory = { limit: int(flags, 'memory'), reservation: int(flags, 'memory-reservation'), swap: int(flags, 'memory-swap') };
  if (Object.values(memory).some((v) => v !== undefined)) r.memory = dropUndefined(memory);
  const cpu = {
    shares: int(flags, 'cpu-shares'),
    quota: int(flags, 'cpu-quota'),
    period: int(flags, 'cpu-period'),
    cpus: flags['cpuset-cpus'] as string | undefined,
    mems: flags['cpuset-mems'] as string | undefined,
  };
  if (Object.values(cpu).some((v) => v !== undefined)) r.cpu = dropUndefined(cpu);
  if (flags['pids-limit'] !== undefined) r.pids = { limit: flags['pids-limit'] as number };
  if (flags['blkio-weight'] !== undefined) r.blockIO = { weight: flags['blkio-weight'] as number };
  return r;
}

function mergeResources(old: LinuxResources, update: LinuxResources): LinuxResources {
  return {
    ...old,
    ...update,
    memory: update.memory ? { ...old.memory, ...update.memory } : old.memory,
    cpu: update.cpu ? { ...old.cpu, ...update.cpu } : old.cpu,
    blockIO: update.blockIO ? { ...old.blockIO, ...update.blockIO } : old.blockIO,
  };
}

function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
