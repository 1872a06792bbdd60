/** The "engine-vm" section of docs/benchmarks.md, from bench/engine-vm.ts's measurements. */
import type { GuestCpu, HostCpu } from './vm-cpu.js';

/** Milliseconds from `tsd run` being spawned. */
export interface StartRun {
  /** `tsd run -d` returned. */
  run: number;
  /** curl on the host got the page. */
  answer: number;
  /** `tsd rm -f` afterwards took this long. */
  rm: number;
  /** When the run pulled: its first layer began, the last layer was downloaded, the last was unpacked. */
  pull?: { started: number; downloaded: number; extracted: number };
}

export interface Download {
  seconds: number;
  host: HostCpu;
  guest: GuestCpu;
}

interface BusyboxResult {
  /** ms of each `docker run --rm busybox true`. */
  runs: number[];
  /** ms of each `docker version`. */
  versions: number[];
  /** ms of one `docker create`, `docker start -a`, `docker rm`. */
  phases: { create: number; start: number; rm: number };
}

export interface EngineVmResults {
  date: string;
  runs: number;
  downloadRuns: number;
  bulkBytes: number;
  accel: string;
  vm: { arch: string; cpus: number; memoryMiB: number };
  /** 1-minute load average: at the start, after the VM part, at the end. */
  load: [number, number, number];
  /** ms of `tsd machine start`. */
  boot: number;
  nginx: { cold: StartRun; warm: StartRun[]; imageBytes: number };
  downloads: { published: Download[]; ssh: Download[]; hostfwd: Download[]; guest: Download[]; hostfwdError?: string; guestNodeStart: number[]; probeRestarts: number };
  busybox: { vm: BusyboxResult; host: BusyboxResult };
  /** Seconds of one `node -e 0`: in the guest (its Node), and on the host with the Node host mode uses. */
  nodeStart: { guest: number[]; host: number[]; hostSource: string };
}

const MiB = 1024 * 1024;
const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
const median = (values: number[]): number => {
  const list = sorted(values);
  const mid = Math.floor(list.length / 2);
  return list.length % 2 === 1 ? list[mid]! : (list[mid - 1]! + list[mid]!) / 2;
};
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
/** "median (min–max)", or the single value. */
const spread = (values: number[], digits: number): string => {
  if (values.length === 0) return 'n/a';
  if (values.length === 1) return values[0]!.toFixed(digits);
  const list = sorted(values);
  return `${median(values).toFixed(digits)} (${list[0]!.toFixed(digits)}–${list.at(-1)!.toFixed(digits)})`;
};
const s = (ms: number): number => ms / 1000;

function downloadRow(label: string, list: Download[], bytes: number): string {
  return `| ${label} | ${list.length} | **${spread(list.map((d) => bytes / MiB / d.seconds), 1)}** | ${spread(list.map((d) => d.seconds), 1)} |`;
}

function cpuRow(label: string, list: Download[]): string {
  if (list.length === 0) return `| ${label} | n/a | | | | | | | |`;
  const m = (pick: (d: Download) => number): string => mean(list.map(pick)).toFixed(1);
  return `| ${label} | ${m((d) => d.seconds)} | ${m((d) => d.host.agent)} | ${m((d) => d.host.qemuMain)} | ${m((d) => d.host.qemuOther)} | ${m((d) => d.guest.busy)} | ${m((d) => d.guest.sshd)} | ${m((d) => d.guest.nginx)} | ${m((d) => d.guest.idle)} |`;
}

function coldPull(cold: StartRun): string {
  if (cold.pull === undefined) return '';
  const { started, downloaded, extracted } = cold.pull;
  return [
    '',
    `Where the cold run goes (from its pull progress lines, timed as they arrived): the pull began at ${s(started).toFixed(1)} s,`,
    `the layer was downloaded from the mirror by ${s(downloaded).toFixed(1)} s (${s(downloaded - started).toFixed(1)} s) and unpacked by`,
    `${s(extracted).toFixed(1)} s (${s(extracted - downloaded).toFixed(1)} s); creating and starting the container took the last`,
    `${s(cold.run - extracted).toFixed(1)} s of \`tsd run\`.`,
  ].join('\n');
}

function busyboxRow(label: string, r: BusyboxResult): string {
  const p = r.phases;
  return `| ${label} | **${spread(r.runs.map(s), 2)}** | ${spread(r.versions.map(s), 2)} | ${s(p.create).toFixed(2)} / ${s(p.start).toFixed(2)} / ${s(p.rm).toFixed(2)} |`;
}

export function renderEngineVm(r: EngineVmResults): string {
  const { warm, cold } = r.nginx;
  const mb = r.bulkBytes / MiB;
  const d = r.downloads;
  const vmRun = median(r.busybox.vm.runs);
  const hostRun = median(r.busybox.host.runs);
  return [
    '## Engine in the VM: `tsd run` to curl, published-port throughput, `docker run` through the socket',
    '',
    `\`npx tsx bench/engine-vm.ts --runs ${r.runs} --downloads ${r.downloadRuns}\` (as root, after \`npm run build\`): one machine (${r.vm.arch}, **${r.accel}**,`,
    `${r.vm.cpus} vCPUs, ${r.vm.memoryMiB} MiB) with TSD_HOME in a temporary directory and docker.io mirrored by the fixture`,
    "registry on the host's loopback (10.0.2.2 from the guest); the machine started in",
    `${s(r.boot).toFixed(1)} s. Measured ${r.date} on the shared 2-CPU build machine, 1-minute load average`,
    `${r.load[0].toFixed(1)} at the start, ${r.load[1].toFixed(1)} after the VM part, ${r.load[2].toFixed(1)} at the end (other jobs ran meanwhile: expect noise).`,
    'Times are "median (min–max)" over the runs.',
    '',
    '### `tsd run -d -p 18080:80 nginx` → first successful curl on the host',
    '',
    'Timed from spawning `tsd run` (the CLI finds the running default machine); curl on the host polls',
    "every 50 ms once `tsd run` has returned (the host listener exists by then) and must get the fixture's page.",
    '',
    '| image | runs | `tsd run -d` returns (s) | first curl OK (s) | `tsd rm -f` afterwards (s) |',
    '|:---|---:|---:|---:|---:|',
    `| already pulled | ${warm.length} | ${spread(warm.map((x) => s(x.run)), 2)} | **${spread(warm.map((x) => s(x.answer)), 2)}** | ${spread(warm.map((x) => s(x.rm)), 2)} |`,
    `| cold: pulls the fixture nginx (${(r.nginx.imageBytes / 1e6).toFixed(0)} MB unpacked) from the mirror | 1 | ${s(cold.run).toFixed(2)} | **${s(cold.answer).toFixed(2)}** | ${s(cold.rm).toFixed(2)} |`,
    coldPull(cold),
    '',
    `### ${mb} MiB download from nginx: published port vs slirp hostfwd vs inside the guest`,
    '',
    `nginx serves a ${mb} MiB file of random bytes (written in the guest into a volume) from a container published`,
    'with `-p PORT:80` (all addresses: the host agent adds a slirp forward for it through QMP) and with',
    '`-p 127.0.0.1:PORT2:80` (a single host IP: served by the agent over an SSH channel, src/host-ports/README.md).',
    'The machine file also forwards a host port to the same guest port with QEMU slirp',
    '(`portForwards`), which reaches the container through the guest engine\'s nftables DNAT. Host side: curl;',
    'in the guest: busybox wget to the container\'s address, timed by the guest\'s clock. The four are interleaved.',
    d.hostfwdError === undefined ? '' : `\nThe slirp hostfwd path did not answer, so it was not measured: ${d.hostfwdError.split('\n')[0]}\n`,
    '| path | runs | MiB/s | seconds |',
    '|:---|---:|---:|---:|',
    downloadRow('host curl → published port `-p PORT:80` (agent\'s slirp forward → guest kernel, DNAT → container)', d.published, r.bulkBytes),
    downloadRow('host curl → published port `-p 127.0.0.1:PORT:80` (host agent → SSH channel → guest sshd → container)', d.ssh, r.bulkBytes),
    downloadRow('host curl → slirp hostfwd (QEMU → guest kernel, DNAT → container)', d.hostfwd, r.bulkBytes),
    downloadRow("busybox wget in the guest → container's address", d.guest, r.bulkBytes),
    '',
    `Where the time goes: CPU seconds used during one ${mb} MiB download (mean over the runs) by each part of the path,`,
    'beside its wall time. Host: the tsd agent (Node, the SSH client and the published port\'s listener), QEMU\'s',
    "main thread (its event loop runs slirp and virtio-net) and its other threads (the two vCPUs' tcg). Guest (from",
    "its /proc, both vCPUs together): busy and idle time, the guest's SSH server (Node, /opt/tsd/sshd.cjs) and nginx.",
    `The guest side is read by one shell kept open over SSH for the whole series (no session is opened during a download)${d.probeRestarts === 0 ? '.' : `; its session ended ${d.probeRestarts} time(s) under load and was opened again, that download repeated.`}`,
    '',
    '| path | wall s | host agent | QEMU main loop | QEMU vCPU threads | guest busy | guest sshd | guest nginx | guest idle |',
    '|:---|---:|---:|---:|---:|---:|---:|---:|---:|',
    cpuRow('published port (slirp forward)', d.published),
    cpuRow('published port on 127.0.0.1 (SSH)', d.ssh),
    cpuRow('slirp hostfwd', d.hostfwd),
    cpuRow('in the guest', d.guest),
    '',
    '### `docker run --rm busybox true` through the machine\'s socket vs host mode',
    '',
    'The real docker CLI 28; in the VM with DOCKER_HOST from `tsd machine status --json` (the host agent forwards',
    "the socket over SSH to the guest's dockerd); host mode is `npm run engine` on this host (same engine, same",
    'CLI), run after the machine was deleted. Each after a pull and one untimed run; `docker version` is one API',
    'round trip plus the CLI\'s own start; the phases are one `docker create`, `docker start -a`, `docker rm`.',
    '',
    '| engine | `docker run --rm busybox true` (s) | `docker version` (s) | create / start -a / rm (s) |',
    '|:---|---:|---:|---:|',
    busyboxRow(`in the VM (${r.accel}), through the machine's socket`, r.busybox.vm),
    busyboxRow('host mode (`npm run engine`)', r.busybox.host),
    '',
    `VM / host mode, \`docker run --rm busybox true\`: **${(vmRun / hostRun).toFixed(1)}×**. For scale, one \`node -e 0\`:`,
    `${spread(r.nodeStart.guest, 2)} s in the guest, ${spread(r.nodeStart.host, 2)} s on the host with the Node host mode uses (${r.nodeStart.hostSource === 'guest-cache' ? "the guest image's, from the tsd cache" : r.nodeStart.hostSource}).`,
    '',
    '<!-- engine-vm:analysis -->',
  ].join('\n');
}
