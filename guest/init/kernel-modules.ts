/**
 * Loads the kernel modules of guest/api/kernel-modules.ts with busybox modprobe, which follows
 * modules.dep. The list is split into independent groups loaded in parallel (one modprobe -a per
 * group, so each group's order is kept); a module missing from one group does not stop the others.
 */
import { GUEST_KERNEL_MODULES } from '../api/kernel-modules.js';
import { TsdError } from '../api/errors.js';
import { runCommand } from './run-command.js';

type ModuleName = (typeof GUEST_KERNEL_MODULES)[number];

/** Groups with no module in common; every module of the contract appears in exactly one. */
export const MODULE_GROUPS: readonly (readonly ModuleName[])[] = [
  ['virtio_mmio', 'virtio_pci', 'virtio_blk', 'virtio_net', 'virtio_console', 'qemu_fw_cfg'],
  ['ext4', 'overlay', '9p', '9pnet_virtio'],
  ['veth', 'bridge', 'br_netfilter', 'nf_tables', 'nft_chain_nat', 'nft_masq', 'nft_nat', 'nft_ct', 'nf_conntrack', 'nf_nat'],
  ['vmw_vsock_virtio_transport'],
  ['evdev', 'button', 'gpio_keys'],
];

export async function loadKernelModules(log: (line: string) => void): Promise<void> {
  const results = await Promise.allSettled(
    MODULE_GROUPS.map(async (group) => {
      // -a loads each name; busybox modprobe goes on past a failing one and exits non-zero.
      const result = await runCommand(['modprobe', '-a', ...group], { allowFailure: true });
      if (result.code !== 0) throw new TsdError('not-found', `modprobe ${group.join(' ')}: ${result.stderr.trim() || `exit ${result.code}`}`);
    }),
  );
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [(result.reason as Error).message] : []));
  for (const failure of failures) log(failure);
  if (failures.length === MODULE_GROUPS.length) throw new TsdError('internal', 'no kernel module group could be loaded');
}
