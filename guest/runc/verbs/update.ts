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
    { name: 'resources', type: 'string', aliases: ['r'], usage: 'JSON file with an OCI linux.resources object ("-" reads it from stdin)' },
    { name: 'memory', type: 'string', usage: 'memory limit, bytes' },
    { name: 'memory-reservation', type: 'string', usage: 'memory soft limit, bytes' },
    { name: 'memory-swap', type: 'string', usage: 'memory plus swap limit, bytes (-1: no swap limit)' },
    { name: 'cpu-shares', type: 'string', usage: 'relative CPU weight (cgroup v1 shares)' },
    { name: 'cpu-quota', type: 'string', usage: 'CPU time allowed per period, microseconds' },
    { name: 'cpu-period', type: 'string', usage: 'length of the CPU quota period, microseconds (0: the kernel default)' },
    { name: 'cpuset-cpus', type: 'string', usage: 'CPUs the container may run on (e.g. 0-1,3)' },
    { name: 'cpuset-mems', type: 'string', usage: 'memory nodes the container may use' },
    { name: 'pids-limit', type: 'int', usage: 'most processes the container may have at once' },
    { name: 'blkio-weight', type: 'int', usage: 'block I/O weight, 10 to 1000' },
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
