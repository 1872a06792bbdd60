/**
 * Does KVM really work here? /dev/kvm can exist and QEMU can even report KVM enabled while
 * running a Linux guest hangs (nested or restricted hosts). So the probe boots the guest kernel
 * under KVM with no initrd: a working KVM reaches "Kernel panic" (no root) within seconds and
 * QEMU exits (-no-reboot); a broken one hangs and the timeout says no. The answer is cached per
 * host kernel, QEMU binary and guest kernel (by content: every image build copies the kernel to a
 * new path, and a hanging probe costs its whole timeout), because the probe costs seconds.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { readJsonIfExists, writeJsonAtomic } from '../atomic-file.js';
import type { GuestArch } from '../../image/guest-image.js';

const PROBE_TIMEOUT_MS = 20_000;

interface ProbeCache {
  key: string;
  works: boolean;
}

function probeKey(qemu: string, kernelId: string): string {
  const stamp = (path: string) => `${path}@${statSync(path).mtimeMs}`;
  return [release(), stamp(qemu), kernelId].join('|');
}

function bootUnderKvm(qemu: string, arch: GuestArch, kernelPath: string): Promise<boolean> {
  const board = arch === 'aarch64' ? ['-M', 'virt'] : ['-M', 'microvm'];
  const console = arch === 'aarch64' ? 'ttyAMA0' : 'ttyS0';
  const argv = [...board, '-accel', 'kvm', '-cpu', 'host', '-m', '256M', '-nodefaults', '-no-user-config', '-display', 'none',
    '-no-reboot', '-serial', 'stdio', '-kernel', kernelPath, '-append', `console=${console} panic=-1`];
  return new Promise((resolve) => {
    const child = spawn(qemu, argv, { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-65536)));
    child.on('error', () => resolve(false));
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(/Kernel panic|Linux version/.test(output) && !child.killed);
    });
  });
}

/** kernelId: what identifies the guest kernel's content (its sha256 from the image manifest). */
export async function probeKvm(qemu: string, arch: GuestArch, kernelPath: string, cacheDir: string, kernelId: string): Promise<boolean> {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return false;
  }
  const cacheFile = join(cacheDir, 'kvm-probe.json');
  const key = probeKey(qemu, kernelId);
  const cached = (await readJsonIfExists(cacheFile).catch(() => undefined)) as ProbeCache | undefined;
  if (cached?.key === key) return cached.works;
  const works = await bootUnderKvm(qemu, arch, kernelPath);
  await mkdir(cacheDir, { recursive: true });
  await writeJsonAtomic(cacheFile, { key, works } satisfies ProbeCache);
  return works;
}
