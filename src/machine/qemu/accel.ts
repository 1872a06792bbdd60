/**
 * The accelerator choice, in one small function: hardware acceleration when the guest has the
 * host's architecture and the platform's hypervisor is there (hvf on macOS, whpx on Windows, kvm
 * on Linux only if a probe boot really completes), else tcg with a visible warning.
 */
import { TsdError } from '../../../guest/api/errors.js';
import type { GuestArch } from '../../image/guest-image.js';
import type { Accel } from '../../config/machine-config.js';
import type { RunningAccel } from '../state.js';

export interface AccelHost {
  platform: NodeJS.Platform;
  /** process.arch of the host. */
  hostArch: string;
  /** Called only when kvm is a candidate; probing costs a short boot, so it is lazy and cached. */
  kvmWorks: () => Promise<boolean>;
}

export interface AccelChoice {
  accel: RunningAccel;
  /** Shown to the user when the choice is slow or not what was asked. */
  warning?: string;
}

const PLATFORM_ACCEL: Partial<Record<NodeJS.Platform, RunningAccel>> = { darwin: 'hvf', win32: 'whpx', linux: 'kvm' };

export function hostGuestArch(hostArch: string): GuestArch | undefined {
  if (hostArch === 'x64') return 'x86_64';
  if (hostArch === 'arm64') return 'aarch64';
  return undefined;
}

export async function chooseAccel(requested: Accel, guestArch: GuestArch, host: AccelHost): Promise<AccelChoice> {
  if (requested === 'tcg') return { accel: 'tcg' };
  const native = PLATFORM_ACCEL[host.platform];
  const sameArch = hostGuestArch(host.hostArch) === guestArch;
  if (requested !== 'auto') {
    if (requested !== native) {
      throw new TsdError('unsupported', `accel "${requested}" is not available on ${host.platform}; use "auto", "tcg"${native ? ` or "${native}"` : ''}`);
    }
    if (!sameArch) {
      throw new TsdError('unsupported', `accel "${requested}" cannot run a ${guestArch} guest on a ${host.hostArch} host; use "tcg"`);
    }
    if (requested === 'kvm' && !(await host.kvmWorks())) {
      throw new TsdError('unavailable', 'accel "kvm" was requested but KVM does not work here (/dev/kvm missing, not accessible, or a probe boot hung); use "tcg"');
    }
    return { accel: requested };
  }
  if (!sameArch) {
    return { accel: 'tcg', warning: `emulating a ${guestArch} guest on a ${host.hostArch} host with tcg: expect it to be several times slower` };
  }
  if (native === 'kvm') {
    if (await host.kvmWorks()) return { accel: 'kvm' };
    return { accel: 'tcg', warning: 'KVM is not usable on this host (a probe boot failed or hung); using tcg (software emulation): expect slow boots' };
  }
  if (native !== undefined) return { accel: native };
  return { accel: 'tcg', warning: `no hardware accelerator known for ${host.platform}; using tcg (software emulation)` };
}
