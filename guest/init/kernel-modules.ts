/**
 * Loads the kernel modules of guest/api/kernel-modules.ts with busybox modprobe, which follows
 * modules.dep. The list is split into independent groups loaded in parallel (one modprobe -a per
 * group, so each group's order is kept); a module missing from one group does not stop the others.
 * Only what the SSH server needs (virtio devices, fw_cfg for the config, the network) is awaited
 * before it starts; the disks', shares' and power button's modules load meanwhile and are awaited
 * before the data disk is mounted; the engine's (container networking, vsock) follow in the
 * background and are awaited just before the engine starts.
 */
import { GUEST_KERNEL_MODULES } from '../api/kernel-modules.js';
import { TsdError } from '../api/errors.js';
import { runCommand } from './run-command.js';

type ModuleName = (typeof GUEST_KERNEL_MODULES)[number];

/** When a group must be loaded: before the config is read (and sshd starts), before the data disk, before the engine. */
export type ModuleStage = 'config' | 'disks' | 'engine';

export interface ModuleGroup {
  modules: readonly ModuleName[];
  stage: ModuleStage;
}

/** Groups with no module in common; every module of the contract appears in exactly one. */
export const MODULE_GROUPS: readonly ModuleGroup[] = [
  { stage: 'config', modules: ['virtio_mmio', 'virtio_pci', 'virtio_blk', 'virtio_net', 'virtio_console', 'qemu_fw_cfg'] },
  { stage: 'disks', modules: ['ext4', 'overlay', '9p', '9pnet_virtio'] },
  { stage: 'disks', modules: ['evdev', 'button', 'gpio_keys'] },
  { stage: 'engine', modules: ['veth', 'bridge', 'br_netfilter', 'nf_tables', 'nft_chain_nat', 'nft_masq', 'nft_nat', 'nft_ct', 'nft_fib_ipv4', 'nf_conntrack', 'nf_nat'] },
  { stage: 'engine', modules: ['vmw_vsock_virtio_transport'] },
];

/** Loads the groups; resolves when all have been tried, rejects with every failure's message. */
export function groupsOf(stage: ModuleStage): readonly ModuleGroup[] {
  return MODULE_GROUPS.filter((group) => group.stage === stage);
}

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
