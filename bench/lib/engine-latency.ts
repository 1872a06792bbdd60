/**
 * Latency and throughput of container lifecycles through the docker CLI, engines interleaved (a
 * busy moment of the shared machine then lands on both), plus the Engine API phases of one run
 * (create, start, exit, delete) timed over the socket, and the CPU the daemons spend per run.
 */
import { apiRequest } from '../../test/helpers/host-engine.js';
import { dockerOk, type BenchEngine } from './engines.js';
import { engineProcesses, cpuSeconds, labelOf } from './proc.js';

export interface LatencyResult {
  ms: number[];
  /** CPU seconds per run of each engine-side process alive through the whole series. */
  cpuPerRun: { label: string; seconds: number }[];
}

export interface ApiPhases {
  create: number[];
  start: number[];
  /** From start's answer until wait answers (the process ran `true` and its exit was reported). */
  exit: number[];
  remove: number[];
}

export interface CreateRemoveResult {
  /** ms per `docker create`, per `docker rm` */
  create: number[];
  remove: number[];
  /** containers per second over create + remove, per round */
  perSecond: number[];
}

/** Engines in a different order each round. */
const ordered = <T>(list: T[], round: number): [number, T][] => {
  const entries = [...list.entries()];
  return round % 2 === 0 ? entries : entries.reverse();
};

async function persistentProcesses(engine: BenchEngine): Promise<{ pid: number; label: string; cpu: number }[]> {
  const daemons = await engine.daemons();
  return engineProcesses(daemons.map((d) => d.pid), engine.containerdAddress).map((p) => ({
    pid: p.pid,
    label: daemons.find((d) => d.pid === p.pid)?.name ?? labelOf(p),
    cpu: cpuSeconds(p.pid),
  }));
}

export async function measureRunLatency(engines: BenchEngine[], runs: number): Promise<LatencyResult[]> {
  for (const engine of engines) for (let i = 0; i < 2; i++) await dockerOk(engine, ['run', '--rm', 'busybox', 'true']); // warm up
  const before = await Promise.all(engines.map(persistentProcesses));
  const results: LatencyResult[] = engines.map(() => ({ ms: [], cpuPerRun: [] }));
  for (let round = 0; round < runs; round++) {
    for (const [i, engine] of ordered(engines, round)) results[i]!.ms.push((await dockerOk(engine, ['run', '--rm', 'busybox', 'true'])).ms);
  }
  for (const [i, engine] of engines.entries()) {
    const now = new Set((await persistentProcesses(engine)).map((p) => p.pid));
    results[i]!.cpuPerRun = before[i]!.filter((p) => now.has(p.pid)).map((p) => ({ label: p.label, seconds: (cpuSeconds(p.pid) - p.cpu) / runs }));
  }
  return results;
}

export async function measureApiPhases(engines: BenchEngine[], rounds: number): Promise<ApiPhases[]> {
  const results: ApiPhases[] = engines.map(() => ({ create: [], start: [], exit: [], remove: [] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, engine] of ordered(engines, round)) {
      const socket = engine.host.replace(/^unix:\/\//, '');
      const call = async (method: string, path: string, body?: unknown) => {
        const response = await apiRequest(socket, method, `/v1.41${path}`, body === undefined ? {} : { body });
        if (response.status >= 300) throw new Error(`${engine.name}: ${method} ${path}: ${response.status} ${response.text}`);
        return response;
      };
      let t = performance.now();
      const { Id: id } = (await call('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: {} })).json<{ Id: string }>();
      results[i]!.create.push(performance.now() - t);
      const waited = call('POST', `/containers/${id}/wait?condition=next-exit`);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the wait is registered before start, as the CLI does
      t = performance.now();
      await call('POST', `/containers/${id}/start`);
      results[i]!.start.push(performance.now() - t);
      t = performance.now();
      await waited;
      results[i]!.exit.push(performance.now() - t);
      t = performance.now();
      await call('DELETE', `/containers/${id}`);
      results[i]!.remove.push(performance.now() - t);
    }
  }
  return results;
}

export async function measureCreateRemove(engines: BenchEngine[], count: number, rounds: number): Promise<CreateRemoveResult[]> {
  const results: CreateRemoveResult[] = engines.map(() => ({ create: [], remove: [], perSecond: [] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, engine] of ordered(engines, round)) {
      const ids: string[] = [];
      const started = performance.now();
      for (let n = 0; n < count; n++) {
        const created = await dockerOk(engine, ['create', 'busybox', 'true']);
        results[i]!.create.push(created.ms);
        ids.push(created.stdout.trim());
      }
      for (const id of ids) results[i]!.remove.push((await dockerOk(engine, ['rm', id])).ms);
      results[i]!.perSecond.push(count / ((performance.now() - started) / 1000));
    }
  }
  return results;
}
