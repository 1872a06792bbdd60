/**
 * Where an invocation spends its time, for bench/runc.sh: with TSD_RUNC_TIMING=1 the runtime
 * prints two JSON lines of marks to stderr: wall ms since the process started (Node's bootstrap
 * included), and this process's CPU ms (user + system) at each mark, which a loaded machine
 * disturbs far less than wall time.
 */
const marks: [string, number, number][] = [];
const enabled = process.env.TSD_RUNC_TIMING === '1';
const round = (ms: number) => Math.round(ms * 10) / 10;

export function mark(name: string): void {
  if (!enabled) return;
  const cpu = process.cpuUsage();
  marks.push([name, round(performance.now()), round((cpu.user + cpu.system) / 1000)]);
}

export function reportTiming(): void {
  if (!enabled) return;
  process.stderr.write(`tsd-runc timing ${JSON.stringify(Object.fromEntries(marks.map(([n, wall]) => [n, wall])))}\n`);
  process.stderr.write(`tsd-runc timing-cpu ${JSON.stringify(Object.fromEntries(marks.map(([n, , cpu]) => [n, cpu])))}\n`);
}
