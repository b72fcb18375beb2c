#!/usr/bin/env bash
# Installs every Debian package vmlab needs to build, test and benchmark.
# Idempotent: packages already present are left as they are.
set -euo pipefail

PACKAGES=(
  cmake g++ gcc-multilib ninja-build ccache nasm pkg-config
  libcapstone-dev libsdl2-dev libfmt-dev doctest-dev linux-libc-dev
  libxbyak-dev libslirp-dev libcli11-dev nlohmann-json3-dev libzstd-dev zlib1g-dev
  libpng-dev xvfb xauth imagemagick gdb python3 gnuplot-nox qemu-system-x86 bochs bochsbios cpio e2fsprogs
  # bench/linux-boot --bochs: Bochs's VGA BIOS and a display plugin (SDL2, run with its dummy
  # driver), and SYSLINUX on a FAT image built without mounting it
  vgabios bochs-sdl syslinux syslinux-common mtools dosfstools
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: these packages are missing: ${missing[*]}" >&2
  echo "setup: run this script as root (sudo bash scripts/setup.sh) to install them" >&2
  exit 2
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
