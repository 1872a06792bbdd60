/**
 * Builds QEMU's command line from a launch spec. Pure: no file system, no environment, so every
 * OS/arch/accel combination is unit-tested. Devices are virtio; x86_64 uses microvm (virtio-mmio)
 * by default or q35 (virtio-pci), aarch64 uses virt (virtio-pci).
 */
import { TsdError } from '../../../guest/api/errors.js';
import { DATA_DISK_SERIAL, GUEST_SSH_PORT, ROOT_DISK_SERIAL } from '../../../guest/api/guest-layout.js';
import { GUEST_CONFIG_FW_CFG_NAME } from '../../../guest/api/guest-config.js';
import type { GuestArch } from '../../image/guest-image.js';
import type { RunningAccel } from '../state.js';

export type X86MachineType = 'microvm' | 'q35';

/** The id of the machine's user-mode (slirp) netdev; QMP's hostfwd_add/remove name it. */
export const SLIRP_NETDEV_ID = 'net0';

export interface LaunchMount {
  tag: string;
  hostPath: string;
  writable: boolean;
}

export interface LaunchPortForward {
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  guestPort: number;
}

export interface QemuLaunchSpec {
  /** Host platform: decides a few device choices (9p is not available on Windows hosts). */
  platform: NodeJS.Platform;
  arch: GuestArch;
  accel: RunningAccel;
  /** x86_64 only; default microvm. */
  machineType?: X86MachineType;
  name: string;
  cpus: number;
  memoryMiB: number;
  kernelPath: string;
  initrdPath: string;
  rootDiskPath?: string;
  /**
   * The host's TSC rate in kHz, for x86_64 microvm under tcg: the guest then reads the host's
   * TSC, and microvm has no HPET or PM timer to calibrate it against, so on a busy host the
   * kernel's PIT calibration fails and the boot hangs. Given the rate, the kernel skips it.
   * Leave it out when unknown (and use q35, which has those timers).
   */
  tscKhz?: number;
  /**
   * The image kernel's timer frequency (CONFIG_HZ, from the image manifest). With tscKhz, the
   * driver passes lpj= (TSC cycles per jiffy), so the second and later vCPUs skip their delay-loop
   * calibration as the boot CPU already does (~0.2 s of wall time before /init under tcg).
   */
  kernelHz?: number;
  /** The image's kernel arguments; the builder adds the console and panic handling. */
  kernelArgs: string[];
  dataDiskPath: string;
  sshPort: number;
  portForwards: LaunchPortForward[];
  mounts: LaunchMount[];
  guestConfigPath: string;
  qmpSocketPath: string;
  serialLogPath: string;
}

/** QEMU option values are comma-separated: a comma inside a value is written twice. */
export function optionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

interface Board {
  machine: string;
  /** Suffix of virtio device names: -device (mmio) or -pci. */
  virtio: 'device' | 'pci';
  console: string;
}

function board(spec: QemuLaunchSpec): Board {
  if (spec.arch === 'aarch64') return { machine: 'virt', virtio: 'pci', console: 'ttyAMA0' };
  if ((spec.machineType ?? 'microvm') === 'q35') return { machine: 'q35', virtio: 'pci', console: 'ttyS0' };
  // microvm finds its virtio-mmio devices through ACPI; keep it on (also gives ACPI powerdown).
  return { machine: 'microvm,acpi=on,rtc=on', virtio: 'device', console: 'ttyS0' };
}

function accelArgs(accel: RunningAccel): string[] {
  switch (accel) {
    case 'kvm':
    case 'hvf':
      return ['-accel', accel, '-cpu', 'host'];
    case 'whpx':
      // WHPX's in-kernel irqchip is unreliable with Linux guests; QEMU's userspace one works.
      return ['-accel', 'whpx,kernel-irqchip=off', '-cpu', 'max'];
    case 'tcg':
      // -cpu max: the default models lack features Node uses (it ran 3× slower on qemu64).
      return ['-accel', 'tcg', '-cpu', 'max'];
  }
}

function netArgs(spec: QemuLaunchSpec, virtio: Board['virtio']): string[] {
  const forwards = [
    `hostfwd=tcp:127.0.0.1:${spec.sshPort}-:${GUEST_SSH_PORT}`,
    ...spec.portForwards.map((f) => `hostfwd=${f.proto}:${f.hostIp}:${f.hostPort}-:${f.guestPort}`),
  ];
  return ['-netdev', ['user', `id=${SLIRP_NETDEV_ID}`, ...forwards].join(','), '-device', `virtio-net-${virtio},netdev=${SLIRP_NETDEV_ID}`];
}

function diskArgs(spec: QemuLaunchSpec, virtio: Board['virtio']): string[] {
  const args = [
    '-drive', `if=none,id=data,file=${optionValue(spec.dataDiskPath)},format=qcow2,discard=unmap`,
    '-device', `virtio-blk-${virtio},drive=data,serial=${DATA_DISK_SERIAL}`,
  ];
  if (spec.rootDiskPath !== undefined) {
    args.push(
      '-drive', `if=none,id=root,file=${optionValue(spec.rootDiskPath)},format=raw,readonly=on`,
      '-device', `virtio-blk-${virtio},drive=root,serial=${ROOT_DISK_SERIAL}`,
    );
  }
  return args;
}

function mountArgs(spec: QemuLaunchSpec, virtio: Board['virtio']): string[] {
  if (spec.mounts.length > 0 && spec.platform === 'win32') {
    throw new TsdError('unsupported', 'folder mounts need virtio-9p, which QEMU does not provide on Windows hosts; remove "mounts" from the machine file');
  }
  return spec.mounts.flatMap((mount, index) => {
    const id = `fs${index}`;
    // security_model=none: files keep the host user's ownership; the guest sees what the user can access.
    const fsdev = ['local', `id=${id}`, `path=${optionValue(mount.hostPath)}`, 'security_model=none', ...(mount.writable ? [] : ['readonly=on'])];
    return ['-fsdev', fsdev.join(','), '-device', `virtio-9p-${virtio},fsdev=${id},mount_tag=${mount.tag}`];
  });
}

function clockArgs(spec: QemuLaunchSpec): string[] {
  const microvm = spec.arch === 'x86_64' && (spec.machineType ?? 'microvm') === 'microvm';
  if (!microvm || spec.accel !== 'tcg' || spec.tscKhz === undefined) return [];
  const clock = [`tsc_early_khz=${spec.tscKhz}`, 'tsc=reliable'];
  // lpj: what the boot CPU computes from tsc_early_khz (its "lpj=" in the log); each other vCPU would
  // otherwise time its delay loop against jiffies while the boot CPU waits for it. A wrong HZ would
  // scale every udelay(), so it comes from the kernel's own config, never assumed.
  if (spec.kernelHz !== undefined && spec.kernelHz > 0) clock.push(`lpj=${Math.round((spec.tscKhz * 1000) / spec.kernelHz)}`);
  return clock;
}

export function kernelCommandLine(spec: QemuLaunchSpec): string {
  const { console } = board(spec);
  // panic=-1 with -no-reboot: a guest panic ends QEMU at once instead of rebooting in a loop.
  return [`console=${console}`, 'panic=-1', ...clockArgs(spec), ...spec.kernelArgs].join(' ');
}

export function buildQemuArgv(spec: QemuLaunchSpec): string[] {
  const { machine, virtio } = board(spec);
  return [
    '-name', `tsd-${spec.name}`,
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-M', machine,
    ...accelArgs(spec.accel),
    '-smp', String(spec.cpus),
    '-m', `${spec.memoryMiB}M`,
    '-kernel', spec.kernelPath,
    '-initrd', spec.initrdPath,
    '-append', kernelCommandLine(spec),
    ...netArgs(spec, virtio),
    ...diskArgs(spec, virtio),
    ...mountArgs(spec, virtio),
    '-device', `virtio-rng-${virtio}`,
    '-fw_cfg', `name=${GUEST_CONFIG_FW_CFG_NAME},file=${optionValue(spec.guestConfigPath)}`,
    '-qmp', `unix:${optionValue(spec.qmpSocketPath)},server=on,wait=off`,
    '-chardev', `file,id=serial0,path=${optionValue(spec.serialLogPath)}`,
    '-serial', 'chardev:serial0',
  ];
}
