#!/usr/bin/env python3
"""Issue #10, item 1: `-append console=ttyS0` reaches the busybox prompt on the serial console,
and commands typed there run: the test types a shell arithmetic expansion (so the answer must
come from the guest's shell, not from the echo of what was typed), then `poweroff -f`, which
must end vmlab with status 0.

  serial_shell.py VMLAB REPO_DIR
Exit status 0 pass, 1 fail, 77 skip (packages cannot be had).
"""
import os
import pathlib
import select
import subprocess
import sys
import time

VMLAB, REPO = sys.argv[1], pathlib.Path(sys.argv[2])
LIMIT = 420


def say(msg):
    print(f"linux_boot_serial_shell: {msg}", flush=True)


def main():
    p = subprocess.run(["bash", str(REPO / "scripts/linux-guest.sh")], stdout=subprocess.PIPE, text=True)
    if p.returncode == 77:
        say("SKIP: the Debian i386 packages cannot be had (see above)")
        return 77
    if p.returncode != 0:
        say(f"FAIL: scripts/linux-guest.sh exited with {p.returncode}")
        return 1
    g = dict(l.split("=", 1) for l in p.stdout.split() if "=" in l)
    cmd = [VMLAB, "--backend", "interp", "-m", "256", "-kernel", g["KERNEL"], "-initrd", g["INITRD"],
           "-append", "console=ttyS0", "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    vm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start, out, typed = time.monotonic(), b"", False
    while time.monotonic() - start < LIMIT:
        r, _, _ = select.select([vm.stdout], [], [], 1.0)
        if r:
            d = os.read(vm.stdout.fileno(), 4096)
            if not d:
                break
            out += d
        # The prompt: "/ # ", possibly followed by busybox's cursor-position query (ESC [6n).
        if not typed and b"/ # " in out.split(b"built-in commands")[-1] and b"built-in commands" in out:
            time.sleep(0.5)
            vm.stdin.write(b"echo VMLAB-TYPED-$((6 * 7))\n")
            vm.stdin.flush()
            typed = True
        if typed and b"VMLAB-TYPED-42" in out and b"poweroff" not in out.split(b"VMLAB-TYPED-42")[-1]:
            vm.stdin.write(b"poweroff -f\n")
            vm.stdin.flush()
    if vm.poll() is None:
        vm.kill()
    status = vm.wait()
    text = out.decode(errors="replace")
    for line in text.splitlines()[-8:]:
        print("  | " + line.rstrip("\r"))
    elapsed = time.monotonic() - start
    if not typed:
        say(f"FAIL: no busybox prompt on the serial console after {elapsed:.0f}s; vmlab exit status "
            f"{status}, stderr: {vm.stderr.read().decode(errors='replace')[:300]}")
        return 1
    if "VMLAB-TYPED-42" not in text:
        say("FAIL: the typed command's output (VMLAB-TYPED-42) did not come back")
        return 1
    if status != 0:
        say(f"FAIL: vmlab exit status {status} after poweroff -f (want 0); stderr: "
            f"{vm.stderr.read().decode(errors='replace')[:300]}")
        return 1
    say(f"PASS: prompt, typed command answered, poweroff -f gave status 0, in {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
