/**
 * Where CPU time goes while data crosses a machine: snapshots on the host (the tsd agent, QEMU's
 * main-loop thread and its other threads) and in the guest (busy and idle time of all vCPUs from
 * /proc/stat, and the guest processes on the data path), to be subtracted before/after.
 * All values are CPU seconds (Linux clock ticks of 1/100 s, host and guest).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100;

export interface HostCpu {
  /** The tsd host agent (SSH client; the published ports' listeners). */
  agent: number;
  /** QEMU's main thread: its event loop runs slirp (user networking), virtio and chardev I/O. */
  qemuMain: number;
  /** QEMU's other threads: the vCPUs (tcg translation and execution) and I/O workers. */
  qemuOther: number;
}

/** user + system ticks of a /proc stat line (fields after the command name's closing paren). */
function ticks(statPath: string): number {
  try {
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // it ended
  }
}

export function hostCpu(agentPid: number, qemuPid: number): HostCpu {
  let qemuOther = 0;
  for (const tid of readdirSync(`/proc/${qemuPid}/task`)) {
    if (Number(tid) !== qemuPid) qemuOther += ticks(`/proc/${qemuPid}/task/${tid}/stat`);
  }
  return { agent: ticks(`/proc/${agentPid}/stat`) / TICK, qemuMain: ticks(`/proc/${qemuPid}/task/${qemuPid}/stat`) / TICK, qemuOther: qemuOther / TICK };
}

export const minusHost = (a: HostCpu, b: HostCpu): HostCpu => ({ agent: a.agent - b.agent, qemuMain: a.qemuMain - b.qemuMain, qemuOther: a.qemuOther - b.qemuOther });

export interface GuestCpu {
  /** All vCPUs: user, nice, system, irq, softirq, steal. */
  busy: number;
  /** All vCPUs: idle and iowait. */
  idle: number;
  /** The guest's SSH server (Node, /opt/tsd/sshd.cjs): the far end of the published ports' channels. */
  sshd: number;
  /** Every nginx process in the guest (the containers' servers). */
  nginx: number;
}

/** Parses a snapshot: "cpu BUSY IDLE" and "proc sshd|nginx UTIME STIME" lines in ticks (others are ignored). */
export function parseGuestCpu(text: string): GuestCpu {
  const cpu: GuestCpu = { busy: 0, idle: 0, sshd: 0, nginx: 0 };
  for (const line of text.split('\n')) {
    const [kind, a, b, c] = line.trim().split(/\s+/);
    if (kind === 'cpu') {
      cpu.busy = Number(a) / TICK;
      cpu.idle = Number(b) / TICK;
    } else if (kind === 'proc' && (a === 'sshd' || a === 'nginx')) {
      cpu[a] += (Number(b) + Number(c)) / TICK;
    }
  }
  return cpu;
}

export const minusGuest = (a: GuestCpu, b: GuestCpu): GuestCpu => ({ busy: a.busy - b.busy, idle: a.idle - b.idle, sshd: a.sshd - b.sshd, nginx: a.nginx - b.nginx });
