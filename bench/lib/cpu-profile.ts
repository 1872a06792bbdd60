/**
 * CPU profiles of our engine's daemons, for the analysis of a benchmark: `profileEngineDaemons(dir)`
 * makes the host-mode launcher start containerd and dockerd through a wrapper that adds
 * `--cpu-prof` to the Node it would have chosen (profiles land in `dir` when the daemons exit), and
 * `topSelfTime(file)` lists where a profile's time went.
 *
 *   npx tsx bench/lib/cpu-profile.ts FILE.cpuprofile...     (prints the top functions by self time)
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chooseNode } from '../../guest/engine/guest-node.js';

/** Sets TSD_ENGINE_NODE for engines started after this call; returns the wrapper's path. */
export function profileEngineDaemons(dir: string): string {
  const node = chooseNode(undefined).path;
  const wrapper = join(dir, 'node-cpu-prof.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec '${node}' --cpu-prof --cpu-prof-dir='${dir}' "$@"\n`);
  chmodSync(wrapper, 0o755);
  process.env['TSD_ENGINE_NODE'] = wrapper;
  return wrapper;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** the bundle the profile ran (dockerd.mjs, containerd.mjs…) */
  program: string;
  sampledMs: number;
  busyMs: number;
  top: { name: string; ms: number }[];
}

export function topSelfTime(file: string, count = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.slice(frame.url.lastIndexOf('/') + 1)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    const us = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + us);
    total += us;
  });
  const idle = self.get('(idle) ') ?? 0;
  const program = profile.nodes.map((node) => node.callFrame.url).find((url) => url.endsWith('.mjs')) ?? file;
  return {
    program: program.slice(program.lastIndexOf('/') + 1),
    sampledMs: total / 1000,
    busyMs: (total - idle) / 1000,
    top: [...self].filter(([name]) => name !== '(idle) ').sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, us]) => ({ name, ms: us / 1000 })),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const file of process.argv.slice(2)) {
    const summary = topSelfTime(file);
    process.stdout.write(`${summary.program}: ${summary.busyMs.toFixed(0)} ms busy of ${summary.sampledMs.toFixed(0)} ms sampled\n`);
    for (const { name, ms } of summary.top) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms  ${name}\n`);
  }
}
