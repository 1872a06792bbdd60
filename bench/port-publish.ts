/**
 * Port publishing benchmark (host mode, as root): the userland proxy against nftables DNAT, with a
 * direct connection to the container's address as the baseline. A network namespace made here
 * plays the container (a Node server in it); the networking service publishes its ports on
 * 127.0.0.1. Measures a big download's throughput, request/response round trips on one
 * connection, and connect + round trip + close. Writes the "port publishing" section of
 * docs/benchmarks.md (the hand-written analysis after its marker is kept).
 *
 *   npx tsx bench/port-publish.ts [--mb 1024] [--rounds 3]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { defaultNetworkingOptions } from '../guest/dockerd/network/network-options.js';
import { startNetworking } from '../guest/dockerd/network/network-service.js';
import { writeDocsSection } from './lib/docs-section.js';

const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};
const MB = arg('mb', 1024);
const ROUNDS = arg('rounds', 3);
const PINGS = 2000;
const CONNECTS = 300;
const tag = randomBytes(2).toString('hex');
const netns = `tsdbench-${tag}`;
const children: ChildProcess[] = [];

/** The "container": one Node process (no process per connection) streaming zeros on 9000, echoing on 9001. */
const SERVER = `
const net = require('node:net');
const chunk = Buffer.alloc(1 << 20);
net.createServer((s) => {
  let left = ${MB};
  const pump = () => { while (left > 0) { left--; if (!s.write(chunk)) return s.once('drain', pump); } s.end(); };
  s.on('error', () => {}); pump();
}).listen(9000);
net.createServer({ noDelay: true }, (s) => { s.on('error', () => {}); s.pipe(s); }).listen(9001);
`;

/**
 * The client runs in a worker thread: the userland proxy lives on the main thread (as in dockerd,
 * a different thread from any client), so neither waits on the other's event loop.
 */
const CLIENT = `
const { connect } = require('node:net');
const { parentPort, workerData: w } = require('node:worker_threads');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const roundTrip = (socket) => new Promise((resolve) => { socket.once('data', () => resolve()); socket.write('x'); });
const open = (host, port) => new Promise((resolve, reject) => { const s = connect({ host, port, noDelay: true }, () => resolve(s)); s.on('error', reject); });
function download() {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let bytes = 0;
    const socket = connect({ host: w.host, port: w.bulkPort });
    socket.on('data', (chunk) => (bytes += chunk.length));
    socket.on('end', () => bytes === w.mb * 1048576 ? resolve(bytes / 1048576 / (Number(process.hrtime.bigint() - started) / 1e9)) : reject(new Error('got ' + bytes)));
    socket.on('error', reject);
  });
}
async function main() {
  for (let i = 0; ; i++) {
    try { const s = await open(w.host, w.echoPort); await roundTrip(s); s.destroy(); break; }
    catch (e) { if (i > 100) throw e; await sleep(100); }
  }
  const mbps = [];
  for (let i = 0; i < w.rounds; i++) mbps.push(await download());
  const s = await open(w.host, w.echoPort);
  await roundTrip(s);
  let t = process.hrtime.bigint();
  for (let i = 0; i < w.pings; i++) await roundTrip(s);
  const rtt = Number(process.hrtime.bigint() - t) / 1e3 / w.pings;
  s.destroy();
  t = process.hrtime.bigint();
  for (let i = 0; i < w.connects; i++) { const c = await open(w.host, w.echoPort); await roundTrip(c); c.destroy(); }
  parentPort.postMessage({ mbps, rtt, connect: Number(process.hrtime.bigint() - t) / 1e3 / w.connects });
}
main().catch((e) => parentPort.postMessage({ error: String(e) }));
`;

interface Row {
  mode: string;
  mbps: number[];
  rtt: number;
  connect: number;
}

async function measure(mode: string, host: string, bulkPort: number, echoPort: number): Promise<Row> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { host, bulkPort, echoPort, mb: MB, rounds: ROUNDS, pings: PINGS, connects: CONNECTS } });
  const result = await new Promise<{ mbps: number[]; rtt: number; connect: number; error?: string }>((resolve) => worker.once('message', resolve));
  await worker.terminate();
  if (result.error) throw new Error(`${mode}: ${result.error}`);
  return { mode, mbps: result.mbps, rtt: result.rtt, connect: result.connect };
}

/** Debian's docker-proxy (Docker's own userland proxy, Go), one process per port as dockerd runs it. */
async function dockerProxy(containerIp: string, hostPort: number): Promise<Row> {
  const proxies = [0, 1].map((offset) =>
    spawn('/usr/sbin/docker-proxy', ['-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', String(hostPort + offset), '-container-ip', containerIp, '-container-port', String(9000 + offset)], {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    }),
  );
  try {
    return await measure("Debian's docker-proxy (Go, for comparison)", '127.0.0.1', hostPort, hostPort + 1);
  } finally {
    for (const proxy of proxies) proxy.kill();
  }
}

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', netns]);
  children.push(spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', SERVER], { stdio: 'ignore' }));
  const rows: Row[] = [];
  try {
    for (const userlandProxy of [true, false]) {
      const dataRoot = mkdtempSync(join(tmpdir(), 'tsdbench-net-'));
      const service = await startNetworking(
        defaultNetworkingOptions(dataRoot, { bridgeName: `tsdb${tag}${userlandProxy ? 'u' : 'n'}`, addressPools: [{ base: '10.197.0.0/16', size: 24 }], userlandProxy }),
      );
      const id = randomBytes(32).toString('hex');
      try {
        const bulk = 31000 + Math.floor(Math.random() * 1000);
        const result = await service.attach(id, `/var/run/netns/${netns}`, {
          name: 'bench',
          networkMode: 'default',
          portBindings: { '9000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(bulk) }], '9001/tcp': [{ HostIp: '127.0.0.1', HostPort: String(bulk + 1) }] },
        });
        if (userlandProxy) {
          rows.push(await measure('direct to the container address (baseline)', result.settings.IPAddress, 9000, 9001));
          rows.push(await dockerProxy(result.settings.IPAddress, bulk + 2));
        }
        rows.push(await measure(userlandProxy ? 'userland proxy (Node, in dockerd)' : 'nftables DNAT (127.0.0.1, route_localnet)', '127.0.0.1', bulk, bulk + 1));
      } finally {
        await service.release(id);
        await service.close(); // also deletes the bridge, now unused
        rmSync(dataRoot, { recursive: true, force: true });
      }
    }
  } finally {
    for (const child of children) child.kill();
    execFileSync('ip', ['netns', 'del', netns]);
  }
  report(rows);
}

function report(rows: Row[]): void {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const table = [
    `| path | download MiB/s (median of ${ROUNDS}, ${MB} MiB) | 1-byte round trip µs (mean of ${PINGS}) | connect + round trip + close µs (mean of ${CONNECTS}) |`,
    '|:---|---:|---:|---:|',
    ...rows.map((row) => `| ${row.mode} | ${median(row.mbps).toFixed(0)} | ${row.rtt.toFixed(0)} | ${row.connect.toFixed(0)} |`),
  ].join('\n');
  console.log(table);
  const heading = '## Port publishing: userland proxy vs nftables DNAT';
  const marker = '<!-- port-publish:analysis -->';
  const section = `${heading}\n\n\`npx tsx bench/port-publish.ts\` (as root, host mode): a network namespace made by the benchmark plays the\ncontainer (one Node process serving ${MB} MiB of zeros, and an echo); the networking service publishes both\nports on 127.0.0.1 with each publisher in turn; the client runs in a worker thread. Measured\n${new Date().toISOString().slice(0, 10)} on the shared 2-CPU build machine.\n\n${table}\n\n${marker}\n`;
  writeDocsSection('port-publish', section);
}

await main();
