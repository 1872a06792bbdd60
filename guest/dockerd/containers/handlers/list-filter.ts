/** `docker ps` filters over container records (Docker's keys and wording). */
import { TsdError } from '../../../api/errors.js';
import { FilterArgs } from '../../http/filters.js';
import type { ContainerRecord } from '../store/container-record.js';

export const LIST_FILTERS = ['id', 'name', 'label', 'label!', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'is-task', 'expose', 'publish'] as const;
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions {
  all: boolean;
  limit: number;
  filters: FilterArgs;
  /** Image reference → image ID, for `ancestor`. */
  imageIdOf(reference: string): string | undefined;
  find(idOrName: string): ContainerRecord | undefined;
}

export function filterContainers(records: ContainerRecord[], options: ListOptions): ContainerRecord[] {
  const { filters } = options;
  for (const status of filters.get('status')) if (!STATUSES.includes(status)) throw new TsdError('invalid-argument', `invalid filter 'status=${status}'`);
  for (const code of filters.get('exited')) if (!/^-?\d+$/.test(code)) throw new TsdError('invalid-argument', `invalid filter 'exited=${code}'`);
  const sorted = [...records].sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (b.ID < a.ID ? -1 : 1));
  const before = filters.get('before').map((v) => options.find(v));
  const since = filters.get('since').map((v) => options.find(v));
  const all = options.all || filters.has('status') || filters.has('exited') || options.limit > 0 || before.length > 0 || since.length > 0;
  const result = sorted.filter((r) => {
    if (!all && !r.State.Running) return false;
    if (filters.has('id') && !filters.get('id').some((id) => r.ID.startsWith(id))) return false;
    if (filters.has('name') && !filters.get('name').some((n) => new RegExp(n.replace(/^\//, '')).test(r.Name.slice(1)))) return false;
    if (!filters.matchesLabels(r.Config.Labels)) return false;
    if (filters.has('status') && !filters.get('status').includes(r.State.Status)) return false;
    if (filters.has('exited') && (r.State.Status !== 'exited' || !filters.get('exited').includes(String(r.State.ExitCode)))) return false;
    if (filters.has('health') && !filters.get('health').includes(r.State.Health?.Status ?? 'none')) return false;
    if (filters.has('ancestor')) {
      const ids = filters.get('ancestor').map((a) => options.imageIdOf(a) ?? a);
      if (!ids.includes(r.Image) && !filters.get('ancestor').includes(r.Config.Image ?? '')) return false;
    }
    if (filters.has('volume') && !r.Mounts.some((m) => filters.get('volume').some((v) => v === m.Name || v === m.Source || v === m.Destination))) return false;
    if (filters.has('network') && !filters.get('network').includes(r.HostConfig.NetworkMode ?? '')) return false;
    for (const b of before) if (!b || Date.parse(r.Created) >= Date.parse(b.Created)) return false;
    for (const s of since) if (!s || Date.parse(r.Created) <= Date.parse(s.Created)) return false;
    return true;
  });
  return options.limit > 0 ? result.slice(0, options.limit) : result;
}
