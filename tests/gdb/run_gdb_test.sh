#!/bin/bash
# run_gdb_test.sh VMLAB GUEST BACKEND: vmlab -S -gdb tcp::PORT, then gdb -batch attaches, breaks
# in gdb_work, reads registers and variables, steps, hits a watchpoint and detaches; the guest
# must then finish normally. Then random bytes on a fresh gdb socket must not hurt vmlab.
# Exit 77 = skipped (ctest SKIP_RETURN_CODE), with the reason printed.
set -u
VMLAB=$1 GUEST=$2 BACKEND=$3
if ! command -v gdb >/dev/null; then echo "SKIP: gdb is not installed (apt-get install gdb)"; exit 77; fi
if [ "$BACKEND" != interp ]; then
  out=$("$VMLAB" --backend "$BACKEND" -gdb tcp::0 -kernel "$GUEST" --max-instructions 1 -serial null -display none 2>&1)
  if [ $? = 2 ]; then echo "SKIP: $out"; exit 77; fi
fi
WORK=$(mktemp -d)
trap 'kill $VM 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=$(( 20000 + ($$ % 20000) ))

"$VMLAB" --backend "$BACKEND" -kernel "$GUEST" -S -gdb tcp::$PORT -display none -serial file:$WORK/serial.log \
  -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot >"$WORK/vm.out" 2>&1 &
VM=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

timeout 40 gdb -batch -nx \
  -ex "set architecture i386" \
  -ex "target remote :$PORT" \
  -ex "info registers eip" \
  -ex "break gdb_work" \
  -ex "continue" \
  -ex "info registers eip" \
  -ex "print/x gdb_marker" \
  -ex "stepi" \
  -ex "info registers eip" \
  -ex "watch gdb_counter" \
  -ex "continue" \
  -ex "print gdb_counter" \
  -ex "detach" \
  "$GUEST" >"$WORK/gdb.out" 2>&1
wait $VM
STATUS=$?
cat "$WORK/gdb.out"
echo "--- vmlab (status $STATUS):"; cat "$WORK/vm.out"; cat "$WORK/serial.log"
fail() { echo "FAIL: $*"; exit 1; }
grep -q "eip *0x10000c" "$WORK/gdb.out" || fail "not stopped at the entry point (-S)"
grep -q "Breakpoint 1, gdb_work" "$WORK/gdb.out" || fail "breakpoint in gdb_work not hit"
grep -q '\$1 = 0x5eed1234' "$WORK/gdb.out" || fail "variable gdb_marker not read"
grep -q "Hardware watchpoint 2: gdb_counter" "$WORK/gdb.out" || fail "watchpoint not set"
grep -q "New value = 14850" "$WORK/gdb.out" || fail "watchpoint did not report the write"
grep -q '\$2 = 14850' "$WORK/gdb.out" || fail "gdb_counter not read after the watchpoint"
grep -q "Detaching" "$WORK/gdb.out" || grep -q "detached" "$WORK/gdb.out" || fail "no detach"
[ "$STATUS" = 1 ] || fail "guest did not finish normally after detach (status $STATUS, want 1)"
# stepi moved EIP forward from the breakpoint: two different eip lines inside gdb_work.
[ "$(grep -c '^eip .*gdb_work' "$WORK/gdb.out")" -ge 2 ] || fail "stepi did not move within gdb_work"

# Garbage on the gdb socket: vmlab keeps running and answers a well-formed packet afterwards.
PORT2=$((PORT + 1))
"$VMLAB" --backend "$BACKEND" -kernel "$GUEST" -S -gdb tcp::$PORT2 -display none -serial null \
  -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot >"$WORK/vm2.out" 2>&1 &
VM=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT2) 2>/dev/null && break; sleep 0.1; done
python3 - "$PORT2" <<'PY'
import random, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
rng = random.Random(7)
try:
    for i in range(3000):
        n = rng.randrange(1, 200)
        data = bytes(rng.randrange(256) for _ in range(n))
        if rng.random() < 0.3:  # well-framed packets with random bodies
            body = bytes(rng.choice(b"gGmMXzZpPqQHT?0123456789abcdef,:;}") for _ in range(n))
            data = b"$" + body + b"#" + b"%02x" % (sum(body) & 0xFF)
        s.sendall(data)
        s.setblocking(False)  # read the replies, as a client does
        try:
            while s.recv(65536): pass
        except BlockingIOError:
            pass
        s.setblocking(True)
    s.sendall(b"#00$k#6b")
    # Read until vmlab closes: closing with unread replies would reset the connection and
    # throw away the k packet still in flight.
    s.settimeout(10)
    while s.recv(65536):
        pass
except OSError:
    pass  # vmlab may have ended the run (a random k): its exit status says whether it crashed
PY
wait $VM
STATUS=$?
cat "$WORK/vm2.out"
case $STATUS in 0|1) ;; *) fail "vmlab ended with status $STATUS after random gdb packets";; esac
echo "PASS"
