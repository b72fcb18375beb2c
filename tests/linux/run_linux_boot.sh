#!/usr/bin/env bash
# Issue #10's acceptance test: Debian 12's unmodified i386 kernel boots on vmlab to the
# initramfs's scripted check (scripts/linux-guest.sh builds it), which must print only PASS
# lines and power the machine off (status 0); then the host checks the ext2 disk the guest wrote.
#
#   run_linux_boot.sh VMLAB REPO_DIR MODE      MODE: interp | bt | smp2 | bt_smp2 | kvm
# Exit status: 0 pass, 1 fail, 77 skip (packages cannot be had; kvm cannot run this guest here).
set -uo pipefail
VMLAB=$1 REPO=$2 MODE=$3
say() { echo "linux_boot_$MODE: $*"; }

guest=$(bash "$REPO/scripts/linux-guest.sh")
rc=$?
if [ $rc -eq 77 ]; then say "SKIP: the Debian i386 packages cannot be had (see above)"; exit 77; fi
[ $rc -eq 0 ] || { say "FAIL: scripts/linux-guest.sh exited with $rc"; exit 1; }
KERNEL=$(sed -n 's/^KERNEL=//p' <<<"$guest")
INITRD=$(sed -n 's/^INITRD=//p' <<<"$guest")

work=$(mktemp -d /tmp/vmlab-linux-$MODE.XXXXXX)
trap 'rm -rf "$work"' EXIT
disk=$work/ext2.img
mke2fs -q -t ext2 -F "$disk" 16M >/dev/null || { say "FAIL: mke2fs"; exit 1; }

cpus=1 backend=interp limit=480
case $MODE in
  interp) ;;
  bt) backend=bt ;;  # the translator must give the interpreter's results on the same guest
  bt_smp2) backend=bt cpus=2 ;;  # one translator per vCPU, code shared through guest memory
  smp2) cpus=2 ;;
  kvm)
    backend=kvm limit=120
    [ -e /dev/kvm ] || { say "SKIP: /dev/kvm is absent on this host"; exit 77; }
    # kvm-pvm emulates guest ring 0 in software (about 1 M instructions/s): the kernel's XZ
    # decompressor alone (2.2 G instructions, ring 0) would take over half an hour, so a short
    # run measures where it gets to, and the skip below reports it.
    [ -d /sys/module/kvm_pvm ] && limit=30 ;;
  *) say "unknown mode $MODE"; exit 1 ;;
esac

log=$work/serial.log
start=$(date +%s.%N)
timeout --signal=TERM "$limit" "$VMLAB" --backend "$backend" -m 256 -smp "$cpus" -no-reboot \
  -kernel "$KERNEL" -initrd "$INITRD" -append "console=ttyS0 vmlab.check=1 vmlab.cpus=$cpus" \
  -hdb "$disk" -display none -serial "file:$log" -monitor none --stats > "$work/stderr" 2>&1 < /dev/null
status=$?
secs=$(awk "BEGIN { printf \"%.1f\", $(date +%s.%N) - $start }")
marker=$(grep -m1 -a 'VMLAB-LINUX-UP' "$log" | tr -d '\r')
say "vmlab --backend $backend -smp $cpus: exit status $status after ${secs}s; marker: ${marker:-none}"
grep -a 'VMLAB-CHECK\|VMLAB-WORKLOAD' "$log" | tr -d '\r'

if [ "$MODE" = kvm ] && ! grep -q -a 'VMLAB-CHECK-DONE all passed' "$log"; then
  # kvm-pvm (docs/kvm.md) runs guest ring-0 code in its own software emulator (about 1 M
  # instructions/s), which also lacks 32-bit paging: this kernel is still in its decompressor
  # when the short run ends (it used to stop there at RDRAND, which the host shows in CPUID but
  # its emulator cannot run; vmlab's interpreter fallback now runs it). Measured, not assumed:
  # report what this run did, and skip only on kvm-pvm; on a hardware KVM a failed boot is a
  # failure.
  last=$(grep -a -v '^\s*$' "$log" | tail -n1 | tr -d '\r' | cut -c1-120)
  why=$(grep -v '^ \|^vmlab statistics' "$work/stderr" | head -n1 | cut -c1-160)
  ring0=$(awk '/kvm.guest_seconds/ {g=$2} /kvm.exits.emulation_fallback/ {f=$2}
               END {if (g != "") printf "%s s in KVM_RUN, %s emulation failures completed by the interpreter", g, f}' "$work/stderr")
  eip=$(grep -o 'EIP=[0-9a-f]*' "$work/stderr" | head -n1)
  cr0=$(grep -o 'CR0=[0-9a-f]*' "$work/stderr" | head -n1)
  if [ -d /sys/module/kvm_pvm ]; then
    say "SKIP: this host's KVM is kvm-pvm, whose software ring-0 emulation (about 1 M instructions/s," \
        "no 32-bit paging) cannot boot this kernel in a test's time (docs/kvm.md); measured: exit status" \
        "$status after ${secs}s (${ring0:-no stats}), ${why:-no message} $eip $cr0," \
        "last serial line: '${last}'"
    exit 77
  fi
  say "FAIL: the kernel did not finish its check on --backend kvm; stderr: $why $eip; last serial line: '$last'"
  exit 1
fi

fail=0
[ "$status" -eq 0 ] || { say "FAIL: exit status $status (want 0: poweroff -f through ACPI S5)"; sed -n 1,20p "$work/stderr"; fail=1; }
[ -n "$marker" ] || { say "FAIL: no VMLAB-LINUX-UP marker"; fail=1; }
grep -q -a 'VMLAB-CHECK FAIL' "$log" && { say "FAIL: the guest's check reported failures"; fail=1; }
# Every item the guest checks must have passed, not just "no FAIL line".
for item in 'cpuinfo model' 'dmesg: no oops' 'device interrupt-controller' 'device clocksource' \
    'device serial' 'device i8042' 'device rtc' 'device pci' 'device ata' 'device disk' 'device acpi' \
    'mount /dev/' 'ext2 write, sync, umount, remount, read back' 'md5sum 64MiB zero' "nproc $cpus"; do
  grep -q -a "VMLAB-CHECK PASS $item" "$log" || { say "FAIL: no PASS line for '$item'"; fail=1; }
done
grep -q -a 'VMLAB-CHECK-DONE all passed' "$log" || { say "FAIL: the check did not finish"; fail=1; }
if [ $fail -ne 0 ]; then
  say "last 30 serial lines:"; tail -n 30 "$log"
  exit 1
fi

# The host's view of the disk the guest wrote and unmounted.
if ! e2fsck -fn "$disk" > "$work/fsck" 2>&1; then
  say "FAIL: e2fsck -fn reports the image not clean:"; cat "$work/fsck"; exit 1
fi
content=$(debugfs -R "cat /file" "$disk" 2>/dev/null)
case "$content" in
  "written by vmlab guest"*) say "host: e2fsck -fn clean; /file = '$content'" ;;
  *) say "FAIL: /file on the image is '$content'"; exit 1 ;;
esac
say "PASS: booted, checked and powered off in ${secs}s"
