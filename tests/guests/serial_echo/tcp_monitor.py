#!/usr/bin/env python3
"""The monitor on -monitor tcp:127.0.0.1:PORT,server,nowait: a client gets the banner and the
prompt, `stop` pauses the guest (info status says so), `cont` resumes it, `q` ends vmlab with
status 0.   usage: tcp_monitor.py VMLAB GUEST"""
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
    [vmlab, "-kernel", guest, "-append", "echo=1", "-display", "none", "-serial", "null",
     "-debugcon", "null", "-monitor", f"tcp:127.0.0.1:{port},server,nowait"],
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
    sys.exit(f"could not connect to the monitor on port {port}")
client.settimeout(0.2)


def until_prompt():
    out = b""
    end = time.time() + 10
    while time.time() < end and not out.endswith(b"(vmlab) "):
        try:
            chunk = client.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            break
        out += chunk
    return out.decode(errors="replace")


transcript = until_prompt()
for cmd in ["stop", "info status", "cont", "info status", "info mtree", "q"]:
    client.sendall(cmd.encode() + b"\n")
    transcript += until_prompt() if cmd != "q" else ""
try:
    status = proc.wait(timeout=10)
except subprocess.TimeoutExpired:
    proc.kill()
    status = None
print(transcript)
ok = True
for want in ["vmlab monitor - type 'help'", "VM status: paused", "VM status: running",
             "03f8-03ff (prio 0, i/o): com1"]:
    if want not in transcript:
        print(f"FAIL: '{want}' missing")
        ok = False
if transcript.find("VM status: paused") > transcript.find("VM status: running"):
    print("FAIL: expected paused, then running")
    ok = False
if status != 0:
    print(f"FAIL: exit status {status}, expected 0 after q")
    ok = False
sys.exit(0 if ok else 1)
