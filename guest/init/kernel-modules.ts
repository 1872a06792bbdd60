/**
 * Loads the kernel modules of guest/api/kernel-modules.ts with busybox modprobe, which follows
 * modules.dep. The list is split into independent groups loaded in parallel (one modprobe -a per
 * group, so each group's order is kept); a module missing from one group does not stop the others.
 * Groups the boot itself needs are loaded first and awaited; the engine's (container networking,
 * vsock) then load in the background and are awaited just before the services start.
 */
import { GUEST_KERNEL_MODULES } from '../api/kernel-modules.js';
import { TsdError } from '../api/errors.js';
import { runCommand } from './run-command.js';

type ModuleName = (typeof GUEST_KERNEL_MODULES)[number];

export interface ModuleGroup {
  modules: readonly ModuleName[];
  /** Needed by the boot steps (devices, fw_cfg, disks, shares, power button), not only by the engine. */
  boot: boolean;
}

/** Groups with no module in common; every module of the contract appears in exactly one. */
export const MODULE_GROUPS: readonly ModuleGroup[] = [
  { boot: true, modules: ['virtio_mmio', 'virtio_pci', 'virtio_blk', 'virtio_net', 'virtio_console', 'qemu_fw_cfg'] },
  { boot: true, modules: ['ext4', 'overlay', '9p', '9pnet_virtio'] },
  { boot: true, modules: ['evdev', 'button', 'gpio_keys'] },
  { boot: false, modules: ['veth', 'bridge', 'br_netfilter', 'nf_tables', 'nft_chain_nat', 'nft_masq', 'nft_nat', 'nft_ct', 'nft_fib_ipv4', 'nf_conntrack', 'nf_nat'] },
  { boot: false, modules: ['vmw_vsock_virtio_transport'] },
];

/** Loads the groups; resolves when all have been tried, rejects with every failure's message. */
export async function loadModuleGroups(groups: readonly ModuleGroup[], log: (line: string) => void): Promise<void> {
  const results = await Promise.allSettled(
    groups.map(async ({ modules }) => {
      const start = performance.now();
      // -a loads each name; busybox modprobe goes on past a failing one and exits non-zero.
      const result = await runCommand(['modprobe', '-a', ...modules], { allowFailure: true });
      log(`modules ${modules.join(' ')}: ${Math.round(performance.now() - start)} ms`);
      if (result.code !== 0) throw new TsdError('not-found', `modprobe ${modules.join(' ')}: ${result.stderr.trim() || `exit ${result.code}`}`);
    }),
  );
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : []));
  if (failures.length > 0) throw new TsdError('not-found', failures.join('; '));
}
