/**
 * One long-lived shell in the guest (a single `tsd machine ssh` session) that answers requests
 * read from its stdin, so that measuring opens no SSH session during a measurement: each session
 * costs the guest's Node sshd a key exchange, which under tcg is seconds of CPU and would land in
 * the numbers. Requests, one line each; every answer ends with a line "==":
 *   snap      → "proc sshd|nginx UTIME STIME" per process found at start, then "cpu BUSY IDLE"
 *   get URL   → busybox wget of URL to /dev/null, "took A B" (the guest's uptime before and after)
 *   node      → `node -e 0`, "took A B"
 * The shell uses builtins only (read from /proc) for snap, so a snapshot forks nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseGuestCpu, type GuestCpu } from './vm-cpu.js';
import type { BenchMachine } from './vm-machine.js';

const TSD = join(new URL('../../', import.meta.url).pathname, 'bin', 'run.js');

/** Processes are recognised by their command line's start (this script's shell starts with "sh"). */
const SCRIPT = `
pids=""
for p in /proc/[0-9]*; do
  c=$(tr "\\0" " " < $p/cmdline 2>/dev/null) || continue
  case "$c" in "/usr/bin/node /opt/tsd/sshd."*) pids="$pids sshd:\${p#/proc/}";; "nginx: "*) pids="$pids nginx:\${p#/proc/}";; esac
done
echo ==
while read -r cmd arg; do
  case "$cmd" in
  snap)
    for e in $pids; do
      [ -r /proc/\${e#*:}/stat ] || continue; read -r s < /proc/\${e#*:}/stat
      set -- \${s##*\\) }; echo "proc \${e%%:*} \${12} \${13}"
    done
    read -r c u n sy i io irq si st rest < /proc/stat
    echo "cpu $((u + n + sy + irq + si + st)) $((i + io))";;
  get) read -r a rest < /proc/uptime; wget -q -O /dev/null "$arg" && read -r b rest < /proc/uptime && echo "took $a $b";;
  node) read -r a rest < /proc/uptime; node -e 0 && read -r b rest < /proc/uptime && echo "took $a $b";;
  esac
  echo ==
done
`;

export class GuestProbe {
  private buffer = '';
  /** Called with the next answer, or undefined when the session ends first. */
  private waiting: ((answer: string | undefined) => void) | undefined;
  private stderr = '';
  /** Set when the session has ended: every later request fails at once (never waits). */
  private ended: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.stdin!.on('error', () => undefined); // a write after the session ended: reported by 'close'
    // 'close', not 'exit': the output still buffered is delivered first
    child.once('close', (code, signal) => {
      this.ended = `the guest probe's session ended (exit ${code ?? signal}): ${this.stderr.trim()}`;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.(undefined);
    });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      this.deliver();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  get alive(): boolean {
    return this.ended === undefined;
  }

  /** Opens the session; the processes watched by snap are those running now (start the containers first). */
  static async start(machine: BenchMachine): Promise<GuestProbe> {
    const child = spawn(process.execPath, [TSD, 'machine', 'ssh', machine.name, '--', SCRIPT], { env: machine.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const probe = new GuestProbe(child);
    await probe.answer(); // the process scan is done
    return probe;
  }

  async snapshot(): Promise<GuestCpu> {
    return parseGuestCpu(await this.ask('snap'));
  }

  /** Seconds a busybox wget of `url` took, by the guest's clock (10 ms resolution). */
  async get(url: string): Promise<number> {
    return took(await this.ask(`get ${url}`), `wget ${url}`);
  }

  /** Seconds one `node -e 0` took in the guest. */
  async nodeStart(): Promise<number> {
    return took(await this.ask('node'), 'node -e 0');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ended !== undefined) return resolve();
      this.child.once('exit', () => resolve());
      this.child.stdin!.end(); // the loop's read fails, the shell exits, the session ends
    });
  }

  private ask(line: string): Promise<string> {
    const answer = this.answer();
    if (this.ended === undefined) this.child.stdin!.write(`${line}\n`);
    return answer;
  }

  private answer(): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.ended !== undefined) return reject(new Error(this.ended));
      this.waiting = (text) => (text === undefined ? reject(new Error(this.ended)) : resolve(text));
      this.deliver();
    });
  }

  private deliver(): void {
    const end = this.buffer.indexOf('==\n');
    if (end === -1 || this.waiting === undefined) return;
    const text = this.buffer.slice(0, end);
    this.buffer = this.buffer.slice(end + 3);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting(text);
  }
}

function took(text: string, what: string): number {
  const match = /took ([\d.]+) ([\d.]+)/.exec(text);
  if (match === null) throw new Error(`guest probe: ${what} failed: ${text.trim()}`);
  return Number(match[2]) - Number(match[1]);
}
