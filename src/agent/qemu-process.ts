/**
 * One running QEMU: spawned with its stderr kept (the last lines explain most failures), its exit
 * observable as a promise, and its pid recorded in qemu.pid so that a crashed agent's QEMU can be
 * found and stopped later (see observe.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { writePidFile } from '../machine/pid-file.js';

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export class QemuProcess {
  private stderrTail = '';
  readonly exited: Promise<QemuExit>;
  private hasExited = false;

  private constructor(private readonly child: ChildProcess, pidFile: string) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4096);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        void rm(pidFile, { force: true });
        resolve({ code, signal, stderr: this.stderrTail.trim() });
      });
    });
  }

  static async spawn(qemuPath: string, argv: string[], pidFile: string): Promise<QemuProcess> {
    const child = spawn(qemuPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    const qemu = new QemuProcess(child, pidFile);
    await writePidFile(pidFile, child.pid!);
    return qemu;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }
}

export function describeExit(exit: QemuExit): string {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return exit.stderr === '' ? `QEMU ${how}` : `QEMU ${how}: ${exit.stderr}`;
}
