/**
 * Kernel modules the guest init loads (with `modprobe`, which resolves dependencies through
 * modules.dep). The image builder includes exactly these and what they depend on.
 */
export const GUEST_KERNEL_MODULES = [
  // devices: virtio transport, disks, network, console, config from the host
  'virtio_mmio',
  'virtio_pci',
  'virtio_blk',
  'virtio_net',
  'virtio_console',
  'qemu_fw_cfg',
  // filesystems: data disk, image layers, folder sharing
  'ext4',
  'overlay',
  '9p',
  '9pnet_virtio',
  // container networking
  'veth',
  'bridge',
  'br_netfilter',
  'nf_tables',
  'nft_chain_nat',
  'nft_masq',
  'nft_nat',
  'nft_ct',
  // `fib daddr type local` in the port publishing chains (table ip)
  'nft_fib_ipv4',
  'nf_conntrack',
  'nf_nat',
  // host <-> guest channel when available
  'vmw_vsock_virtio_transport',
  // power button (QMP system_powerdown): evdev exposes /dev/input/event*; `button` is the ACPI
  // button on x86_64 microvm/q35, `gpio_keys` the PL061 GPIO key on aarch64 virt
  'evdev',
  'button',
  'gpio_keys',
] as const;
