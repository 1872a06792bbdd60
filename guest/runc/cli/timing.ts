/**
 * Where an invocation spends its time, for bench/runc.sh: with TSD_RUNC_TIMING=1 the runtime
 * prints one JSON line of marks (ms since the process started, Node's bootstrap included) to stderr.
 */
const marks: [string, number][] = [];
const enabled = process.env.TSD_RUNC_TIMING === '1';

export function mark(name: string): void {
  if (enabled) marks.push([name, Math.round(performance.now() * 10) / 10]);
}

export function reportTiming(): void {
  if (enabled) process.stderr.write(`tsd-runc timing ${JSON.stringify(Object.fromEntries(marks))}\n`);
}
