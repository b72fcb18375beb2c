#!/usr/bin/env python3
"""keyboard.py VMLAB KERNEL: the PS/2 keyboard path end to end. Boots the kernel with the
monitor on stdin (COM1's output stays on stdout, its input off), waits for the shell prompt,
types `hello kbd` + Enter and `poweroff` + Enter with the monitor's sendkey, and passes when
the shell ran the command and vmlab exited 0."""
import subprocess
import sys
import threading
import time

vmlab, kernel = sys.argv[1], sys.argv[2]
output = []


def reader(stream):
    for chunk in iter(lambda: stream.read(1), ""):
        output.append(chunk)


def wait_for(text, seconds=20):
    end = time.time() + seconds
    while time.time() < end:
        if text in "".join(output):
            return True
        time.sleep(0.05)
    return False


def typed(line):
    names = {" ": "spc"}
    return "".join(f"sendkey {names.get(c, c)}\n" for c in line) + "sendkey ret\n"


p = subprocess.Popen([vmlab, "-kernel", kernel, "-display", "none", "-monitor", "stdio", "-no-reboot"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
t = threading.Thread(target=reader, args=(p.stdout,), daemon=True)
t.start()
ok = wait_for("type 'help' for commands")
if ok:
    p.stdin.write(typed("hello kbd"))
    p.stdin.flush()
    ok = wait_for("hello from pid")
if ok:
    p.stdin.write(typed("poweroff"))
    p.stdin.flush()
try:
    status = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    status = "timeout"
t.join(timeout=5)
out = "".join(output)
print(out)
if not ok or status != 0 or "argument 'kbd'" not in out or "kernel: power off" not in out:
    print(f"FAILED: exit status {status}; expected the typed command's output and status 0")
    sys.exit(1)
print("keyboard: ok")
