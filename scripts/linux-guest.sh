#!/usr/bin/env bash
# Fetches Debian 12's i386 kernel and busybox-static into a cache directory outside the repo,
# and builds from them the initramfs that tests/linux and bench/linux-boot boot (issue #10).
# Idempotent: what is already in the cache is reused. The i386 packages are downloaded and
# unpacked with dpkg-deb, never installed.
#
#   bash scripts/linux-guest.sh            # prints the paths it made, KEY=VALUE lines on stdout
#
# Cache: $VMLAB_CACHE (default ~/.cache/vmlab/linux). Files made there:
#   vmlinuz       the kernel's bzImage, unchanged
#   initrd.gz     busybox + modules + /init (cpio newc, gzip)
#   ext2.img      a fresh 16 MiB ext2 image (remade on every run: the tests write to it)
# Exit status: 0 done; 77 the packages cannot be had (no network / no apt); 1 other errors.
set -euo pipefail

CACHE="${VMLAB_CACHE:-$HOME/.cache/vmlab/linux}"
log() { echo "linux-guest: $*" >&2; }
unavailable() { log "SKIP: $*"; exit 77; }

mkdir -p "$CACHE/debs"
log "cache directory $CACHE"
# Tests run in parallel (ctest -j): one builder at a time per cache.
exec 9> "$CACHE/.lock"
flock 9

# Host tools: cpio builds the archive, e2fsprogs the disk image. Installable through setup.sh.
for tool in cpio mke2fs dpkg-deb apt-get apt-cache gzip objcopy flock; do
  command -v "$tool" >/dev/null || { log "missing host tool '$tool' (sudo bash scripts/setup.sh)"; exit 1; }
done

# --- 1. i386 packages ------------------------------------------------------------------------
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

have_debs() { compgen -G "$CACHE/debs/linux-image-6.1.0-*-686-unsigned_*_i386.deb" >/dev/null &&
              compgen -G "$CACHE/debs/busybox-static_*_i386.deb" >/dev/null; }

if ! have_debs; then
  if ! dpkg --print-foreign-architectures | grep -qx i386; then
    log "dpkg --add-architecture i386"
    as_root dpkg --add-architecture i386 || unavailable "cannot add the i386 architecture (needs root)"
  fi
  # apt-get update only when apt knows no i386 kernel yet.
  if ! apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | grep -q -- '-686-unsigned$' ||
     ! apt-cache show busybox-static:i386 >/dev/null 2>&1; then
    log "apt-get update"
    # A partly failed update (one mirror mid-sync) still leaves the other lists usable:
    # whether the packages are known is checked next.
    as_root apt-get update -q >&2 || log "apt-get update reported errors; trying with the lists it got"
  fi
  # The newest ABI of the 6.1.0 686 kernel apt knows: sort the package names by version.
  kpkg=$(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null | grep -E '^linux-image-6\.1\.0-[0-9]+-686-unsigned$' |
         sort -t- -k4,4n | tail -n1 || true)
  [ -n "$kpkg" ] || unavailable "apt knows no linux-image-6.1.0-*-686-unsigned package"
  log "kernel package $kpkg"
  (cd "$CACHE/debs" && apt-get download -q "$kpkg:i386" "busybox-static:i386" >&2) ||
    unavailable "apt-get download failed (no network?)"
fi

kdeb=$(ls "$CACHE"/debs/linux-image-6.1.0-*-686-unsigned_*_i386.deb | sort -V | tail -n1)
bdeb=$(ls "$CACHE"/debs/busybox-static_*_i386.deb | sort -V | tail -n1)
log "using $(basename "$kdeb") and $(basename "$bdeb")"

# --- 2. unpack ---------------------------------------------------------------------------------
stamp="$CACHE/unpacked.stamp"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(basename "$kdeb") $(basename "$bdeb")" ]; then
  rm -rf "$CACHE/kernel" "$CACHE/busybox"
  log "dpkg-deb -x $(basename "$kdeb") kernel/"
  dpkg-deb -x "$kdeb" "$CACHE/kernel"
  log "dpkg-deb -x $(basename "$bdeb") busybox/"
  dpkg-deb -x "$bdeb" "$CACHE/busybox"
  echo "$(basename "$kdeb") $(basename "$bdeb")" > "$stamp"
fi
kver=$(ls "$CACHE/kernel/lib/modules" | head -n1)
# Files other runs may be reading right now (a test's vmlab loads vmlinuz after this script let
# go of the lock, while the next test's run of it holds the lock) are replaced by a rename, never
# rewritten in place, and only when they change.
if ! cmp -s "$CACHE/kernel/boot/vmlinuz-$kver" "$CACHE/vmlinuz"; then
  cp "$CACHE/kernel/boot/vmlinuz-$kver" "$CACHE/vmlinuz.tmp"
  mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
fi
log "kernel $kver -> $CACHE/vmlinuz"

# --- 3. initramfs ------------------------------------------------------------------------------
# Rebuilt when this script or the packages change (the stamp holds both).
moddir="$CACHE/kernel/lib/modules/$kver"
root="$CACHE/initramfs"
want_stamp="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1) $(cat "$stamp")"
if [ -f "$CACHE/initrd.gz" ] && [ "$(cat "$CACHE/initrd.stamp" 2>/dev/null)" = "$want_stamp" ]; then
  log "initramfs up to date: $CACHE/initrd.gz"
else
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,mnt,tmp,etc,lib/modules}
cp "$CACHE/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list 2>/dev/null || true); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
# busybox i386 runs on the x86-64 host only with ia32 support; list the usual applets otherwise.
[ -e "$root/bin/sh" ] || for applet in sh ash cat echo ls mount umount mkdir insmod modprobe dmesg grep \
    md5sum dd sync poweroff nproc sleep uname date time head tail wc cut tr sed awk; do
  ln -sf busybox "$root/bin/$applet"; done

# Modules in load order. The package ships no modules.dep (depmod writes it at install time,
# and the host may have no kmod), so each module's own .modinfo "depends=" field is read
# instead: the same information depmod uses. Dependencies are loaded first.
# ext2 filesystems are served by ext4 in this kernel (CONFIG_EXT4_USE_FOR_EXT2=y).
declare -A modpath=()
while IFS= read -r f; do
  b=$(basename "$f"); b=${b%%.ko*}
  modpath[$b]=${f#"$moddir"/}; modpath[${b//-/_}]=${f#"$moddir"/}
done < <(find "$moddir/kernel" -name '*.ko*')
module_depends() {  # $1: path relative to $moddir -> the names it depends on
  local f="$moddir/$1" tmp
  tmp=$(mktemp)
  case "$f" in
    *.ko.xz) xz -dc "$f" > "$tmp" ;; *.ko.zst) zstd -qdc "$f" > "$tmp" ;; *.ko.gz) gzip -dc "$f" > "$tmp" ;;
    *) cp "$f" "$tmp" ;;
  esac
  objcopy -O binary --only-section=.modinfo "$tmp" /dev/stdout | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
  rm -f "$tmp"
}
declare -A seen=()
ordered=()
add_module() {  # $1: module name
  local name=$1 path d
  [ -n "${seen[$name]:-}" ] && return 0
  seen[$name]=1
  path=${modpath[$name]:-}
  if [ -z "$path" ]; then
    if grep -q "/${name}\.ko" "$moddir/modules.builtin"; then log "module $name: built in"; return 0; fi
    log "module $name: not in the kernel package"; exit 1
  fi
  for d in $(module_depends "$path"); do add_module "$d"; done
  ordered+=("$path")
}
for name in scsi_mod libata sd_mod ata_piix ata_generic crc32c_generic ext4; do add_module "$name"; done
: > "$root/etc/modules"
for m in "${ordered[@]}"; do
  base=$(basename "$m")
  case "$base" in
    *.ko.xz) xz -dc "$moddir/$m" > "$root/lib/modules/${base%.xz}" ;;
    *.ko.zst) zstd -qdc "$moddir/$m" > "$root/lib/modules/${base%.zst}" ;;
    *.ko.gz) gzip -dc "$moddir/$m" > "$root/lib/modules/${base%.gz}" ;;
    *) cp "$moddir/$m" "$root/lib/modules/$base" ;;
  esac
  base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
  echo "$base" >> "$root/etc/modules"
done
log "modules: $(tr '\n' ' ' < "$root/etc/modules")"

cat > "$root/init" <<'EOF'
#!/bin/sh
# vmlab's initramfs /init (scripts/linux-guest.sh): modules, filesystems, marker, then a shell
# or, with vmlab.check=1 on the command line, the scripted check of issue #10.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /etc/modules); do insmod /lib/modules/$m || echo "VMLAB: insmod $m failed"; done
echo "VMLAB-LINUX-UP $(cut -d' ' -f1 /proc/uptime)s"

case " $(cat /proc/cmdline) " in
*" vmlab.check=1 "*) ;;
*) echo "vmlab: busybox shell; 'poweroff -f' ends the machine"
   exec setsid cttyhack sh ;;
esac

fails=0
pass() { echo "VMLAB-CHECK PASS $*"; }
fail() { echo "VMLAB-CHECK FAIL $*"; fails=$((fails + 1)); }

grep -m1 'model name' /proc/cpuinfo
model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)
case "$model" in *vmlab*) pass "cpuinfo model:$model" ;; *) fail "cpuinfo model:$model" ;; esac

dmesg > /tmp/dmesg
# Case-sensitive: the kernel's own markers ("BUG: ...", "WARNING: CPU: ..."), not "report a bug".
bad=$(grep -E 'Oops|BUG:|WARNING:|Call Trace|general protection' /tmp/dmesg | head -n5)
if [ -z "$bad" ]; then pass "dmesg: no oops/BUG/WARNING"; else fail "dmesg: $bad"; fi
devcheck() {  # $1 name, $2 pattern
  if grep -E -q "$2" /tmp/dmesg; then pass "device $1: $(grep -E -m1 "$2" /tmp/dmesg | cut -c1-100)"
  else fail "device $1: no dmesg line matches '$2'"; fi
}
devcheck interrupt-controller 'IOAPIC\[0\]|NR_IRQS|Using local APIC|8259'
devcheck clocksource 'clocksource: Switched to clocksource'
devcheck serial '0x3f8.*16550A'
devcheck i8042 'serio: i8042 KBD port'
devcheck rtc 'rtc_cmos.*registered as rtc0'
devcheck pci 'PCI host bridge to bus 0000:00'
devcheck ata 'ata[0-9]+: PATA max'
devcheck disk 'sd 1:0:0:0|sd 0:0:1:0|\[sdb\]|sd [0-9:]+: \[sd[a-z]\] [0-9]+ 512-byte'
devcheck acpi 'ACPI: .*(S5|Interpreter enabled)'

disk=
for d in /dev/sdb /dev/sda; do [ -b $d ] && disk=$d && break; done
if [ -n "$disk" ] && mount -t ext2 $disk /mnt; then
  pass "mount $disk"
  echo "written by vmlab guest $(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" > /mnt/file
  sync
  if umount /mnt && mount -t ext2 $disk /mnt && grep -q 'written by vmlab guest' /mnt/file; then
    pass "ext2 write, sync, umount, remount, read back: $(cat /mnt/file)"
  else fail "ext2 read back"; fi
  umount /mnt || fail "final umount"
else fail "mount ext2 disk (${disk:-no disk})"; fi

echo "VMLAB-WORKLOAD-START"
start=$(cut -d' ' -f1 /proc/uptime)
sum=$(dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum | cut -d' ' -f1)
end=$(cut -d' ' -f1 /proc/uptime)
secs=$(awk "BEGIN { print $end - $start }")
if [ "$sum" = 7f614da9329cd3aebf59b91aadc30bf0 ]; then pass "md5sum 64MiB zero $sum time ${secs}s"
else fail "md5sum 64MiB zero $sum time ${secs}s"; fi
echo "VMLAB-WORKLOAD-SECONDS $secs"

n=$(nproc)
want=1
case " $(cat /proc/cmdline) " in *" vmlab.cpus="*) want=$(sed 's/.*vmlab.cpus=\([0-9]*\).*/\1/' /proc/cmdline) ;; esac
if [ "$n" = "$want" ]; then pass "nproc $n"; else fail "nproc $n (want $want)"; fi

if [ $fails -eq 0 ]; then echo "VMLAB-CHECK-DONE all passed"; else echo "VMLAB-CHECK-DONE $fails failed"; fi
sync
poweroff -f
EOF
chmod 755 "$root/init"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9 > "$CACHE/initrd.gz.tmp"
mv "$CACHE/initrd.gz.tmp" "$CACHE/initrd.gz"
echo "$want_stamp" > "$CACHE/initrd.stamp"
log "initramfs $(du -k "$CACHE/initrd.gz" | cut -f1) KiB -> $CACHE/initrd.gz"
fi

# --- 4. ext2 disk ------------------------------------------------------------------------------
rm -f "$CACHE/ext2.img.tmp"
mke2fs -q -t ext2 -F "$CACHE/ext2.img.tmp" 16M >/dev/null
mv "$CACHE/ext2.img.tmp" "$CACHE/ext2.img"
log "mke2fs -t ext2 -F ext2.img 16M -> $CACHE/ext2.img"

echo "KERNEL=$CACHE/vmlinuz"
echo "INITRD=$CACHE/initrd.gz"
echo "DISK=$CACHE/ext2.img"
echo "KVER=$kver"
