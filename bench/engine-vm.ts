/**
 * The engine in the VM, as a user meets it (issue 7's benchmark). One machine (x86_64, tcg here)
 * with TSD_HOME in a temporary directory and docker.io mirrored by the fixture registry on the
 * host's loopback (10.0.2.2 from the guest). Measures, over several runs:
 *   1. `tsd run -d -p 18080:80 nginx` to the first successful curl on the host: image already
 *      pulled, and once cold (the pull included);
 *   2. a 100 MiB download from nginx through the published port on the host (`-p PORT:80`: the
 *      agent's run-time slirp hostfwd, src/host-ports/), through the same container published on
 *      127.0.0.1 (which stays on the host-ports SSH channel), through a QEMU slirp hostfwd of the
 *      same guest port made at boot (machine file portForwards), and inside the guest straight
 *      from the container's address; with the CPU time of each part of the path (host agent,
 *      QEMU threads, guest vCPUs, the guest's sshd and nginx);
 *   3. `docker run --rm busybox true` with the real docker CLI through the machine's socket, and
 *      the same against the host-mode engine (`npm run engine`, guest/engine/README.md) afterwards.
 * Writes the "engine-vm" section of docs/benchmarks.md (the analysis after its marker is kept).
 *
 *   npx tsx bench/engine-vm.ts [--runs N] [--downloads N] [--no-write] [--downloads-only]
 *   (as root, after `npm run build`). --downloads-only: boot, part 2 only, a summary on stdout,
 *   docs/benchmarks.md untouched (its tables need every part).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { chooseNode } from '../guest/engine/guest-node.js';
import { startFixtureRegistry } from '../test/fixtures/fixture-images.js';
import { NGINX_INDEX_HTML } from '../test/fixtures/nginx-rootfs.js';
import { freePort } from '../test/helpers/free-port.js';
import { startHostEngine, type HostEngine } from '../test/helpers/host-engine.js';
import { GuestProbe } from './lib/guest-probe.js';
import { hostCpu, minusGuest, minusHost, type GuestCpu, type HostCpu } from './lib/vm-cpu.js';
import { BenchMachine } from './lib/vm-machine.js';
import { renderEngineVm, type EngineVmResults, type Download, type StartRun } from './lib/vm-report.js';
import { writeDocsSection } from './lib/docs-section.js';

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const RUNS = arg('runs', 3);
const DOWNLOADS = arg('downloads', 2);
const DOWNLOADS_ONLY = process.argv.includes('--downloads-only');
const WRITE = !process.argv.includes('--no-write') && !DOWNLOADS_ONLY;
const NGINX_PORT = 18080;
const BULK_BYTES = 100 * 1024 * 1024;
const CURL = '/usr/bin/curl';
const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** performance.now() of the first GET of `url` that answers 2xx with `body` (when given). */
async function firstAnswer(machine: BenchMachine, url: string, body?: string, limitMs = 120_000): Promise<number> {
  const begin = performance.now();
  for (;;) {
    const got = await machine.run(CURL, ['-fsS', '--max-time', '5', url]);
    if (got.code === 0 && (body === undefined || got.stdout === body)) return performance.now();
    if (performance.now() - begin > limitMs) throw new Error(`${url} did not answer in ${limitMs / 1000} s: ${got.stderr}`);
    await settle(50);
  }
}

/** 1. `tsd run -d -p 18080:80 nginx` until curl on the host gets the fixture's page; then `tsd rm -f`. */
async function nginxStart(machine: BenchMachine, name: string): Promise<StartRun> {
  const begin = performance.now();
  // A pull's progress lines (docker's plain display) say when it began, downloaded and unpacked.
  const pull: Record<string, number> = {};
  const onLine = (line: string, ms: number): void => {
    if (/: Pulling fs layer$/.test(line)) pull.started ??= ms;
    if (/: Download complete$/.test(line)) pull.downloaded = ms;
    if (/: Pull complete$/.test(line)) pull.extracted = ms;
  };
  await machine.tsdLines(onLine, 'run', '-d', '--name', name, '-p', `${NGINX_PORT}:80`, 'nginx');
  const returned = performance.now();
  const answered = await firstAnswer(machine, `http://127.0.0.1:${NGINX_PORT}/`, NGINX_INDEX_HTML);
  const removed = await machine.tsd('rm', '-f', name);
  const pulled = pull.started !== undefined && pull.downloaded !== undefined && pull.extracted !== undefined;
  return { run: returned - begin, answer: answered - begin, rm: removed.ms, pull: pulled ? { started: pull.started!, downloaded: pull.downloaded!, extracted: pull.extracted! } : undefined };
}

interface Snapshot {
  host: HostCpu;
  guest: GuestCpu;
}

async function snapshot(machine: BenchMachine, probe: GuestProbe): Promise<Snapshot> {
  const { agent, qemu } = machine.pids();
  return { guest: await probe.snapshot(), host: hostCpu(agent!, qemu!) };
}

/** Runs `fetch` (seconds it took) between two snapshots of the whole path's CPU time. */
async function measured(machine: BenchMachine, probe: GuestProbe, fetch: () => Promise<number>): Promise<Download> {
  const before = await snapshot(machine, probe);
  const seconds = await fetch();
  const after = await snapshot(machine, probe);
  return { seconds, host: minusHost(after.host, before.host), guest: minusGuest(after.guest, before.guest) };
}

/** curl on the host; the seconds curl reports, after checking the size. */
async function curlSeconds(machine: BenchMachine, url: string): Promise<number> {
  const got = await machine.ok(CURL, ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', url]);
  const [bytes, seconds] = got.stdout.trim().split(' ').map(Number) as [number, number];
  if (bytes !== BULK_BYTES) throw new Error(`${url}: got ${bytes} of ${BULK_BYTES} bytes`);
  return seconds;
}

/** The SSH-channel downloads (a 127.0.0.1 publication), beside what the report's type holds. */
type DownloadResults = EngineVmResults['downloads'];

/** 2. A 100 MiB random file served by nginx from a volume, fetched four ways, interleaved. */
async function downloads(machine: BenchMachine, bulkPort: number, sshPort: number, hostfwdPort: number): Promise<DownloadResults> {
  await machine.docker('volume', 'create', 'bench-data');
  const mountpoint = (await machine.docker('volume', 'inspect', '-f', '{{.Mountpoint}}', 'bench-data')).stdout.trim();
  // Written in the guest, not in the container: the containers here cannot read /dev/urandom.
  await machine.ssh(`head -c ${BULK_BYTES} /dev/urandom > ${mountpoint}/big`);
  // -p PORT:80 (all addresses) rides on the agent's slirp forward; the 127.0.0.1 one on SSH.
  await machine.docker('run', '-d', '--name', 'bulk', '-p', `${bulkPort}:80`, '-p', `127.0.0.1:${sshPort}:80`, '-v', 'bench-data:/var/www/html/data:ro', 'nginx');
  const ip = (await machine.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'bulk')).stdout.trim();
  const published = `http://127.0.0.1:${bulkPort}/data/big`;
  const overSsh = `http://127.0.0.1:${sshPort}/data/big`;
  const hostfwd = `http://127.0.0.1:${hostfwdPort}/data/big`;
  await firstAnswer(machine, `http://127.0.0.1:${bulkPort}/`, NGINX_INDEX_HTML);
  await firstAnswer(machine, `http://127.0.0.1:${sshPort}/`, NGINX_INDEX_HTML);
  let hostfwdError: string | undefined;
  await firstAnswer(machine, `http://127.0.0.1:${hostfwdPort}/`, NGINX_INDEX_HTML, 30_000).catch((error: Error) => (hostfwdError = error.message));
  const result: DownloadResults = { published: [], ssh: [], hostfwd: [], guest: [], hostfwdError, guestNodeStart: [], probeRestarts: 0 };
  let probe = await GuestProbe.start(machine); // after nginx started: it watches the processes running now
  // The probe's own SSH session has ended in a long run under load (its client gave up on
  // keepalives): then it is opened again and that measurement repeated, once.
  const measure = async (what: string, fetch: () => Promise<number>): Promise<Download> => {
    try {
      return await measured(machine, probe, fetch);
    } catch (error) {
      if (probe.alive) throw error;
      log(`${what}: ${(error as Error).message}; opening the probe again and measuring again`);
      result.probeRestarts += 1;
      probe = await GuestProbe.start(machine);
      return await measured(machine, probe, fetch);
    }
  };
  try {
    for (let i = 0; i < DOWNLOADS; i++) {
      result.published.push(await measure('published port', () => curlSeconds(machine, published)));
      log(`download ${i + 1}: published port ${result.published.at(-1)!.seconds.toFixed(1)} s`);
      result.ssh.push(await measure('127.0.0.1 published port', () => curlSeconds(machine, overSsh)));
      log(`download ${i + 1}: 127.0.0.1 published port (SSH channel) ${result.ssh.at(-1)!.seconds.toFixed(1)} s`);
      if (hostfwdError === undefined) {
        result.hostfwd.push(await measure('slirp hostfwd', () => curlSeconds(machine, hostfwd)));
        log(`download ${i + 1}: slirp hostfwd ${result.hostfwd.at(-1)!.seconds.toFixed(1)} s`);
      }
      result.guest.push(await measure('in the guest', () => probe.get(`http://${ip}/data/big`)));
      log(`download ${i + 1}: in the guest ${result.guest.at(-1)!.seconds.toFixed(1)} s`);
    }
    for (let i = 0; i < RUNS; i++) result.guestNodeStart.push(await probe.nodeStart());
  } finally {
    await probe.close();
  }
  await machine.docker('rm', '-f', 'bulk');
  await machine.docker('volume', 'rm', 'bench-data');
  return result;
}

type TimedDocker = (...args: string[]) => Promise<number>;

/** 3. `docker run --rm busybox true` (after a pull and one untimed run), `docker version`, and one create/start -a/rm. */
async function busybox(docker: TimedDocker): Promise<EngineVmResults['busybox']['vm']> {
  await docker('pull', 'busybox');
  await docker('run', '--rm', 'busybox', 'true');
  const runs: number[] = [];
  const versions: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(await docker('run', '--rm', 'busybox', 'true'));
    versions.push(await docker('version'));
    log(`docker run --rm busybox true: ${(runs.at(-1)! / 1000).toFixed(2)} s`);
  }
  const create = await docker('create', '--name', 'bench-phases', 'busybox', 'true');
  const start = await docker('start', '-a', 'bench-phases');
  const rm = await docker('rm', 'bench-phases');
  return { runs, versions, phases: { create, start, rm } };
}

function hostEngineDocker(engine: HostEngine): TimedDocker {
  return async (...args) => {
    const begin = performance.now();
    await engine.dockerOk(...args);
    return performance.now() - begin;
  };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const fixtures = await startFixtureRegistry();
  const registryPort = fixtures.host.split(':')[1]!;
  const bulkPort = await freePort();
  let sshPort = await freePort();
  while (sshPort === bulkPort) sshPort = await freePort();
  let hostfwdPort = await freePort();
  while (hostfwdPort === bulkPort || hostfwdPort === sshPort) hostfwdPort = await freePort();
  let machine: BenchMachine | undefined;
  let engine: HostEngine | undefined;
  try {
    machine = await BenchMachine.create(
      [
        'arch: x86_64',
        'cpus: 2',
        'memory: 1GiB',
        'disk: 4',
        'mounts: []',
        `registryMirrors: ["http://10.0.2.2:${registryPort}"]`,
        `insecureRegistries: ["10.0.2.2:${registryPort}"]`,
        // the same guest port the bulk container is published on, through slirp instead of SSH
        `portForwards: [{guestPort: ${bulkPort}, hostPort: ${hostfwdPort}}]`,
        '',
      ].join('\n'),
    );
    const boot = await machine.start();
    log(`machine started in ${(boot.ms / 1000).toFixed(1)} s (${machine.status!.accel})`);
    if (DOWNLOADS_ONLY) {
      process.stdout.write(summarizeDownloads(await downloads(machine, bulkPort, sshPort, hostfwdPort), loadBefore));
      return;
    }
    const cold = await nginxStart(machine, 'bench-nginx-cold');
    log(`cold tsd run → curl: ${(cold.answer / 1000).toFixed(2)} s`);
    const nginxBytes = Number((await machine.docker('image', 'inspect', '-f', '{{.Size}}', 'nginx')).stdout.trim());
    const warm: StartRun[] = [];
    for (let i = 0; i < RUNS; i++) {
      warm.push(await nginxStart(machine, `bench-nginx-${i}`));
      log(`warm tsd run → curl: ${(warm.at(-1)!.answer / 1000).toFixed(2)} s`);
    }
    const data = await downloads(machine, bulkPort, sshPort, hostfwdPort);
    const vm = await busybox(async (...args) => (await machine!.docker(...args)).ms);
    const status = machine.status!;
    await machine.cleanup();
    machine = undefined;
    const loadVm = loadavg()[0]!;
    engine = await startHostEngine({ daemonJson: { 'registry-mirrors': [`http://${fixtures.host}`], 'insecure-registries': [fixtures.host] } });
    const host = await busybox(hostEngineDocker(engine));
    const hostNode = chooseNode(undefined); // the Node host mode runs the engine with
    const hostNodeStart: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const begin = performance.now();
      execFileSync(hostNode.path, ['-e', '0']);
      hostNodeStart.push((performance.now() - begin) / 1000);
    }
    const results: EngineVmResults = {
      date: new Date().toISOString().slice(0, 10),
      runs: RUNS,
      downloadRuns: DOWNLOADS,
      bulkBytes: BULK_BYTES,
      accel: status.accel,
      vm: { arch: status.arch, cpus: status.cpus, memoryMiB: status.memory },
      load: [loadBefore, loadVm, loadavg()[0]!],
      boot: boot.ms,
      nginx: { cold, warm, imageBytes: nginxBytes },
      downloads: data,
      busybox: { vm, host },
      nodeStart: { guest: data.guestNodeStart, host: hostNodeStart, hostSource: hostNode.source },
    };
    const section = renderEngineVm(results);
    process.stdout.write(`${section}\n`);
    if (WRITE) writeDocsSection('engine-vm', section);
  } finally {
    await engine?.stop();
    await machine?.cleanup();
    await fixtures.stop();
  }
}

/** --downloads-only: MiB/s and the CPU seconds of the path's parts, per download. */
function summarizeDownloads(data: DownloadResults, loadBefore: number): string {
  const rows = (name: string, runs: Download[]): string[] =>
    runs.map((run) => {
      const { host, guest } = run;
      const cpu = `agent ${host.agent.toFixed(1)}, QEMU main ${host.qemuMain.toFixed(1)}, QEMU other ${host.qemuOther.toFixed(1)}, guest sshd ${guest.sshd.toFixed(1)}, nginx ${guest.nginx.toFixed(1)} CPU s`;
      return `${name}: ${run.seconds.toFixed(1)} s, ${(BULK_BYTES / 1024 / 1024 / run.seconds).toFixed(1)} MiB/s (${cpu})`;
    });
  return [
    `${new Date().toISOString()}: 1-minute load ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`,
    ...rows('published port -p PORT:80 (slirp hostfwd by the agent)', data.published),
    ...rows('published port -p 127.0.0.1:PORT:80 (SSH channel)', data.ssh),
    ...rows('boot-time slirp hostfwd (portForwards)', data.hostfwd),
    ...rows('in the guest', data.guest),
    data.hostfwdError ? `boot-time hostfwd failed: ${data.hostfwdError}` : '',
    '',
  ].join('\n');
}

await main();
