/**
 * Data throughput through an engine: `docker logs` of a container that wrote a lot to stdout
 * (json-file logs on both engines), and a download through a published port (nginx fixture).
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../../test/helpers/free-port.js';
import { docker, dockerOk, type BenchEngine } from './engines.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export interface LogsResult {
  bytes: number;
  /** ms from `docker run -d` until `docker wait` answered: the engine took in all the output */
  writeMs: number;
  /** ms per `docker logs` with stdout to /dev/null */
  readMs: number[];
  /** Why this engine has no numbers (the other engine's still count). */
  error?: string;
}

export interface PortResult {
  bytes: number;
  /** MiB/s per download */
  mibPerSecond: number[];
  /** which path carried it (userland proxy process or DNAT) */
  path: string;
}

const ordered = <T>(list: T[], round: number): [number, T][] => (round % 2 === 0 ? [...list.entries()] : [...list.entries()].reverse());

/** 80-byte lines (79 characters and a newline), like a chatty service's log. */
const LINE = 'bench-log-line 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 01';

export async function measureLogs(engines: BenchEngine[], mib: number, rounds: number): Promise<LogsResult[]> {
  const bytes = mib * MiB;
  const names = engines.map(() => `tsdbench-logs-${randomBytes(3).toString('hex')}`);
  const results: LogsResult[] = [];
  try {
    for (const [i, engine] of engines.entries()) {
      const started = performance.now();
      await dockerOk(engine, ['run', '-d', '--name', names[i]!, 'busybox', 'sh', '-c', `yes '${LINE.slice(0, 79)}' | head -c ${bytes}`]);
      const code = (await dockerOk(engine, ['wait', names[i]!], { timeoutMs: 600_000 })).stdout.trim();
      if (code !== '0') throw new Error(`${engine.name}: the log writer exited ${code}`);
      const writeMs = performance.now() - started;
      const counted = await docker(engine, ['logs', names[i]!], { countStdout: true, timeoutMs: 600_000 });
      const error = counted.code !== 0 ? `docker logs failed (${counted.code}) after ${counted.bytes} of ${bytes} bytes: ${counted.stderr.trim()}`
        : counted.bytes !== bytes ? `docker logs gave ${counted.bytes} bytes, not ${bytes}` : undefined;
      results.push({ bytes, writeMs, readMs: [], ...(error ? { error } : {}) });
    }
    for (let round = 0; round < rounds; round++) {
      for (const [i, engine] of ordered(engines, round)) {
        if (results[i]!.error) continue;
        results[i]!.readMs.push((await dockerOk(engine, ['logs', names[i]!], { discardStdout: true, timeoutMs: 600_000 })).ms);
      }
    }
    return results;
  } finally {
    for (const [i, engine] of engines.entries()) await dockerOk(engine, ['rm', '-f', names[i]!]).catch(() => undefined);
  }
}

async function curl(url: string): Promise<{ bytes: number; seconds: number }> {
  const { stdout } = await run('curl', ['-sS', '--noproxy', '*', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url], { timeout: 300_000 });
  const [size, seconds] = stdout.trim().split(' ').map(Number);
  return { bytes: size!, seconds: seconds! };
}

export async function measurePublishedPort(engines: BenchEngine[], mib: number, rounds: number): Promise<PortResult[]> {
  const bytes = mib * MiB;
  const ids: string[] = [];
  const urls: string[] = [];
  try {
    for (const engine of engines) {
      const port = await freePort();
      ids.push((await dockerOk(engine, ['run', '-d', '-p', `127.0.0.1:${port}:80`, 'nginx'])).stdout.trim());
      await dockerOk(engine, ['exec', ids.at(-1)!, 'sh', '-c', `head -c ${bytes} /dev/zero > /var/www/html/big`]);
      urls.push(`http://127.0.0.1:${port}/big`);
      for (let attempt = 0; ; attempt++) {
        const answered = await curl(`http://127.0.0.1:${port}/`).then((r) => r.bytes > 0, () => false);
        if (answered) break;
        if (attempt > 100) throw new Error(`${engine.name}: the published port ${port} does not answer`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const results: PortResult[] = engines.map((engine) => ({ bytes, mibPerSecond: [], path: engine.publishPath }));
    for (let round = 0; round < rounds; round++) {
      for (const [i] of ordered(engines, round)) {
        const { bytes: got, seconds } = await curl(urls[i]!);
        if (got !== bytes) throw new Error(`${engines[i]!.name}: downloaded ${got} bytes, not ${bytes}`);
        results[i]!.mibPerSecond.push(got / MiB / seconds);
      }
    }
    return results;
  } finally {
    for (const [i, id] of ids.entries()) await dockerOk(engines[i]!, ['rm', '-f', id]).catch(() => undefined);
  }
}
