/** A container as the verbs see it: its record, its observed status and its cgroup manager. */
import { TsdError } from '../../api/errors.js';
import type { CgroupManager } from '../cgroups/cgroup-manager.js';
import type { Context } from '../cli/context.js';
import { stateJson, type ContainerRecord, type StateJson, type Status } from '../state/record.js';
import { isAlive } from '../state/status.js';
import { existsSync } from 'node:fs';
import { cgroupsOf } from './cgroups.js';

export interface Container {
  record: ContainerRecord;
  status: Status;
  cgroups: CgroupManager;
  state(): StateJson;
}

export async function loadContainer(ctx: Context, id: string): Promise<Container> {
  const record = ctx.store.load(id);
  return containerOf(ctx, record, await cgroupsOf(record));
}

/** A container this process holds the record and cgroups of (an attached run): its status observed now. */
export async function containerOf(ctx: Context, record: ContainerRecord, cgroups: CgroupManager): Promise<Container> {
  const status = await observe(ctx, record, cgroups);
  return { record, status, cgroups, state: () => stateJson(record, status) };
}

async function observe(ctx: Context, record: ContainerRecord, cgroups: CgroupManager): Promise<Status> {
  if (!isAlive(record)) return 'stopped';
  if (!record.started && existsSync(ctx.store.fifoPath(record.id))) return 'created';
  if (await cgroups.isFrozen().catch(() => false)) return 'paused';
  return 'running';
}

export function requireStatus(container: Container, allowed: readonly Status[], action: string): void {
  if (allowed.includes(container.status)) return;
  throw new TsdError('conflict', `cannot ${action} container ${container.record.id}: it is ${container.status}`);
}
