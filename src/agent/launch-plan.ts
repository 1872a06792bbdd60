/**
 * What the CLI decided for a start, handed to the agent in launch.json: the CLI builds the
 * image, chooses the accelerator (and shows its warning), and the agent only executes.
 */
import type { GuestConfig } from '../../guest/api/guest-config.js';
import type { QemuLaunchSpec } from '../machine/qemu/argv.js';

export interface LaunchPlan {
  qemuPath: string;
  /** Everything but the SSH port, which the agent picks free for each boot attempt. */
  spec: Omit<QemuLaunchSpec, 'sshPort'>;
  /** Written to guest-config.json with a fresh hostTimeMs before each attempt. */
  guestConfig: Omit<GuestConfig, 'hostTimeMs'>;
  /** From QEMU spawn to an SSH session; one retry after it passes (a tcg boot hangs now and then). */
  bootTimeoutMs: number;
  /** A console silent this long during boot means a hung boot (retried sooner than bootTimeoutMs). */
  bootStallMs?: number;
  /** From SSH to the Engine API answering /_ping. */
  engineTimeoutMs: number;
  /** A clean ACPI shutdown may take this long before QEMU is told to quit. */
  shutdownTimeoutMs: number;
}
