#!/usr/bin/env python3
"""serial_echo over -serial tcp:127.0.0.1:PORT,server (no nowait): vmlab must wait for the
client before the guest starts (so the banner is not lost), pass the client's bytes to COM1 and
COM1's output back to the client.   usage: tcp_echo.py VMLAB GUEST"""
import socket
import subprocess
import sys
import time

vmlab, guest = sys.argv[1], sys.argv[2]
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()

proc = subprocess.Popen(
    [vmlab, "-kernel", guest, "-append", "echo=1", "-display", "none", "-debugcon", "null",
     "-serial", f"tcp:127.0.0.1:{port},server", "-no-reboot",
     "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

client = None
deadline = time.time() + 10
while client is None and time.time() < deadline:
    try:
        client = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        time.sleep(0.05)
if client is None:
    proc.kill()
    sys.exit(f"could not connect to vmlab on port {port}")

received = b""
client.settimeout(0.5)
deadline = time.time() + 20
sent = False
while time.time() < deadline and b"bye" not in received:
    if not sent and b"'q' quits" in received:
        client.sendall(b"tcp echo q")
        sent = True
    try:
        chunk = client.recv(4096)
    except socket.timeout:
        continue
    if not chunk:
        break
    received += chunk
client.close()
try:
    out, err = proc.communicate(timeout=20)
except subprocess.TimeoutExpired:
    proc.kill()
    out, err = proc.communicate()
text = received.decode(errors="replace")
print("client received:", repr(text))
print("stderr:", err.decode(errors="replace"))
ok = True
if "serial_echo: type" not in text:
    print("FAIL: the guest's first line did not reach the client (vmlab did not wait?)")
    ok = False
if "TCP ECHO Q" not in text:
    print("FAIL: the echoed bytes did not come back")
    ok = False
if proc.returncode != 1:
    print(f"FAIL: exit status {proc.returncode}, expected 1 (guest passed)")
    ok = False
sys.exit(0 if ok else 1)
