/**
 * Embedded DNS lookup latency (host mode, as root): a query to 127.0.0.11 (DNAT-ed inside the
 * container's netns to the network's server, dns/container-redirect.ts) against the same query
 * sent straight to the server's gateway address. A network namespace made here plays the container
 * on a user network; the client is one Node process in it sending sequential UDP queries, rounds
 * of each path alternating. A name the server answers itself and one it forwards (to a resolver
 * this benchmark runs on loopback). Writes the "Embedded DNS" section of docs/benchmarks.md.
 *
 *   npx tsx bench/embedded-dns.ts [--queries 2000] [--rounds 5]
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAnswer, readQuestion } from '../guest/dockerd/network/dns/dns-message.js';
import { defaultNetworkingOptions } from '../guest/dockerd/network/network-options.js';
import { startNetworking } from '../guest/dockerd/network/network-service.js';
import { writeDocsSection } from './lib/docs-section.js';

const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};
const QUERIES = arg('queries', 2000);
const ROUNDS = arg('rounds', 5);
const tag = randomBytes(2).toString('hex');
const netns = `tsdbdns-${tag}`;

/** Sequential A queries from inside the netns; prints the mean µs per answered query. */
const CLIENT = `
const [server, name, count] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const s = require('node:dgram').createSocket('udp4');
let id = 0, done = 0, started;
const ask = () => { id = (id + 1) & 0xffff; s.send(Buffer.concat([Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]), 53, server); };
s.on('message', (m) => {
  if (m.readUInt16BE(0) !== id) return;
  if (++done === 50) started = process.hrtime.bigint(); // warm-up
  if (done === count + 50) { console.log((Number(process.hrtime.bigint() - started) / 1e3 / count).toFixed(1)); process.exit(0); }
  ask();
});
setTimeout(() => process.exit(3), 120000);
ask();`;

/** (async: the server under test runs on this process's event loop) */
async function lookupMean(server: string, name: string): Promise<number> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', netns, process.execPath, '-e', CLIENT, server, name, String(QUERIES)]);
  return Number(stdout.trim());
}

async function main(): Promise<void> {
  // the upstream: answers every forwarded name at once
  const upstream = createSocket('udp4');
  upstream.on('message', (packet, client) => {
    const question = readQuestion(packet);
    if (question) upstream.send(buildAnswer(packet, question, ['10.9.9.9']), client.port, client.address);
  });
  await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', () => resolve()));
  const dataRoot = mkdtempSync(join(tmpdir(), 'tsdbench-dns-'));
  const service = await startNetworking(
    defaultNetworkingOptions(dataRoot, { bridgeName: `tsdd${tag}`, addressPools: [{ base: '10.196.0.0/16', size: 24 }], upstreams: [{ host: '127.0.0.1', port: upstream.address().port }] }),
  );
  execFileSync('ip', ['netns', 'add', netns]);
  const id = randomBytes(32).toString('hex');
  const results: Record<string, number[]> = {};
  const network = await service.createNetwork({ Name: `bench-${tag}` });
  try {
    await service.attach(id, `/var/run/netns/${netns}`, { name: 'bench', networkMode: network.Name });
    const gateway = network.IPAM.Config[0]!.Gateway;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, server] of [['127.0.0.11 (DNAT in the netns)', '127.0.0.11'], ['gateway address (direct)', gateway]] as const) {
        for (const [kind, name] of [['container name', 'bench'], ['forwarded name', 'example.test']] as const) {
          (results[`${label}|${kind}`] ??= []).push(await lookupMean(server, name));
        }
      }
    }
  } finally {
    await service.release(id);
    await service.removeNetwork(network.Id);
    await service.close();
    execFileSync('ip', ['netns', 'del', netns]);
    upstream.close();
    rmSync(dataRoot, { recursive: true, force: true });
  }
  report(results);
}

function report(results: Record<string, number[]>): void {
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const paths = [...new Set(Object.keys(results).map((key) => key.split('|')[0]!))];
  const table = [
    `| query sent to | container name, µs per lookup | forwarded name, µs per lookup |`,
    '|:---|---:|---:|',
    ...paths.map((path) => `| ${path} | ${median(results[`${path}|container name`]!).toFixed(0)} | ${median(results[`${path}|forwarded name`]!).toFixed(0)} |`),
  ].join('\n');
  console.log(JSON.stringify(results));
  console.log(table);
  const heading = '## Embedded DNS: 127.0.0.11 vs the gateway address';
  const marker = '<!-- embedded-dns:analysis -->';
  const section = `${heading}\n\n\`npx tsx bench/embedded-dns.ts\` (as root, host mode): a network namespace made by the benchmark plays a\ncontainer on a user network; one Node process in it sends ${QUERIES} sequential UDP A queries per run (after 50\nof warm-up) to each address, runs alternating, median of ${ROUNDS} runs of the mean. The forwarded name goes to a\nresolver the benchmark runs on loopback. Measured ${new Date().toISOString().slice(0, 10)} on the shared 2-CPU build machine.\n\n${table}\n\n${marker}\n`;
  writeDocsSection('embedded-dns', section);
}

await main();
