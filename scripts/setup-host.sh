#!/usr/bin/env bash
# Installs the Debian packages that building tsd's guest image and running its tests need.
# Run as root on Debian bookworm (the CI machine and developers' machines).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  # QEMU for the machine (x86_64 and aarch64 guests) and qemu-img for data disks
  qemu-system-x86 qemu-system-arm qemu-utils
  # guest image inputs and tools
  busybox-static cpio zstd lz4 kmod e2fsprogs erofs-utils squashfs-tools dpkg-dev
  # guest image: vmlinux extraction (xz) and stripping the guest node binary for each architecture
  xz-utils binutils-x86-64-linux-gnu binutils-aarch64-linux-gnu
  # the C helper: static builds for both architectures
  gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  # running the aarch64 helper on an x86_64 host (a container under qemu-user)
  qemu-user-static
  # real peers for interop tests and benchmarks
  docker.io containerd docker-registry docker-compose debootstrap hyperfine
  # networking for the engine and the tests
  iproute2 iptables nftables socat curl jq
  # test registry harness: self-signed certificates for the token service
  openssl
)
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
