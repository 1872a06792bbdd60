/**
 * Stats: one sample from the runtime (`events --stats ID`, runc's JSON stats) re-encoded as
 * containerd's cgroup v1 metrics Any (io.containerd.cgroups.v1.Metrics, the type containerd's
 * runc shim returns on cgroup v1 hosts). The subset: pids, cpu usage and throttling, memory usage.
 */
import protobuf from 'protobufjs';
import { encodeMessage } from '../ttrpc/index.js';
import type { RuntimeCli } from './runtime-cli.js';

const METRICS = protobuf
  .parse(
    `syntax = "proto3"; package io.containerd.cgroups.v1;
    message Metrics { PidsStat pids = 2; CPUStat cpu = 3; MemoryStat memory = 4; }
    message PidsStat { uint64 current = 1; uint64 limit = 2; }
    message CPUStat { CPUUsage usage = 1; Throttle throttling = 2; }
    message CPUUsage { uint64 total = 1; uint64 kernel = 2; uint64 user = 3; repeated uint64 per_cpu = 4; }
    message Throttle { uint64 periods = 1; uint64 throttled_periods = 2; uint64 throttled_time = 3; }
    message MemoryStat { MemoryEntry usage = 33; MemoryEntry swap = 34; MemoryEntry kernel = 35; }
    message MemoryEntry { uint64 limit = 1; uint64 usage = 2; uint64 max = 3; uint64 failcnt = 4; }`,
    { keepCase: false },
  )
  .root.lookupType('io.containerd.cgroups.v1.Metrics');

interface Entry {
  limit?: number;
  usage?: number;
  max?: number;
  failcnt?: number;
}

interface RuncStats {
  pids?: { current?: number; limit?: number };
  cpu?: { usage?: { total?: number; kernel?: number; user?: number; percpu?: number[] }; throttling?: { periods?: number; throttled_periods?: number; throttled_time?: number } };
  memory?: { usage?: Entry; swap?: Entry; kernel?: Entry };
}

export async function taskStats(runtime: RuntimeCli, id: string): Promise<{ typeUrl: string; value: Uint8Array }> {
  const output = await runtime.run(['events', '--stats', id]);
  const line = output.split('\n').find((l) => l.trim().startsWith('{')) ?? '{}';
  const data = ((JSON.parse(line) as { data?: RuncStats }).data ?? {}) as RuncStats;
  const cpu = data.cpu ?? {};
  const metrics = {
    pids: data.pids ?? {},
    cpu: {
      usage: { total: cpu.usage?.total ?? 0, kernel: cpu.usage?.kernel ?? 0, user: cpu.usage?.user ?? 0, perCpu: cpu.usage?.percpu ?? [] },
      throttling: { periods: cpu.throttling?.periods ?? 0, throttledPeriods: cpu.throttling?.throttled_periods ?? 0, throttledTime: cpu.throttling?.throttled_time ?? 0 },
    },
    memory: { usage: data.memory?.usage ?? {}, swap: data.memory?.swap ?? {}, kernel: data.memory?.kernel ?? {} },
  };
  return { typeUrl: 'io.containerd.cgroups.v1.Metrics', value: encodeMessage(METRICS, metrics) };
}
