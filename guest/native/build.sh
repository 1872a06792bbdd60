#!/usr/bin/env bash
# Builds tsd-runc-helper and the tsd-runc front end statically for x86_64 and aarch64 into
# dist/native/<arch>/, and links dist/native/tsd-runc to this machine's front end (bin/tsd-runc
# is a symlink to it).
# A missing cross compiler skips that architecture with a note (CI installs both through
# scripts/setup-host.sh); a failing compile is an error.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=guest/native
sources=("$src/main.c" "$src/fs.c" "$src/identity.c" "$src/console.c" "$src/hook.c" "$src/cgroup-warm.c")
front_sources=("$src/front.c" "$src/front-fast.c" "$src/front-helper.c")
# containerd-shim-tsd-v2's front end (shim-front.c): the fast `start`, else the Node shim.
shim_front_sources=("$src/shim-front.c" "$src/shim-sha256.c" "$src/shim-ttrpc.c")
flags=(-static -O2 -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11)
declare -A compilers=([x86_64]=x86_64-linux-gnu-gcc [aarch64]=aarch64-linux-gnu-gcc)
# The native compiler may be installed only as plain `gcc`.
[ "$(uname -m)" = x86_64 ] && ! command -v x86_64-linux-gnu-gcc >/dev/null && compilers[x86_64]=gcc
[ "$(uname -m)" = aarch64 ] && ! command -v aarch64-linux-gnu-gcc >/dev/null && compilers[aarch64]=gcc
for arch in x86_64 aarch64; do
  cc=${compilers[$arch]}
  if ! command -v "$cc" >/dev/null; then
    echo "build-native: $cc not found, skipping $arch" >&2
    continue
  fi
  out=dist/native/$arch
  mkdir -p "$out"
  # Rebuild only when a source is newer than the binary: the build runs on every npm run build.
  build() {
    local name=$1
    shift
    if [ -f "$out/$name" ] && [ -z "$(find "$src" -newer "$out/$name" -name '*.[ch]')" ]; then
      return
    fi
    "$cc" "${flags[@]}" -o "$out/$name.tmp" "$@"
    mv "$out/$name.tmp" "$out/$name"
  }
  build tsd-runc-helper "${sources[@]}"
  build tsd-runc "${front_sources[@]}"
  build containerd-shim-tsd-v2 "${shim_front_sources[@]}"
done
# This machine's front end under an architecture-neutral name, for bin/tsd-runc.
if [ -f "dist/native/$(uname -m)/tsd-runc" ]; then
  ln -sfn "$(uname -m)/tsd-runc" dist/native/tsd-runc
fi
# The same for bin/containerd-shim-tsd-v2, which execs it when it exists.
if [ -f "dist/native/$(uname -m)/containerd-shim-tsd-v2" ]; then
  ln -sfn "$(uname -m)/containerd-shim-tsd-v2" dist/native/containerd-shim-tsd-v2
fi
