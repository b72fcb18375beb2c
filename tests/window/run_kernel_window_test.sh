#!/bin/bash
# run_kernel_window_test.sh VMLAB KERNEL SCREEN_TEXT: the teaching kernel in an SDL window under
# Xvfb, driven through a TCP monitor: wait for the shell, type "hello window" + Enter with
# sendkey, then take the monitor's screendump and an X screenshot. Passes when the screen text
# (read back against the font) shows the prompt, the typed command and its output, and the
# window shows the screendump's picture (up to the blinking cursor's cell).
# Exit 77 = skipped, reason printed.
set -u
VMLAB=$1 KERNEL=$2 SCREEN_TEXT=$3
for tool in xvfb-run import compare convert python3; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh installs it)"; exit 77; }
done
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
PORT=$(( 30000 + ($$ % 20000) ))

cat >"$WORK/inner.sh" <<INNER
set -u
"$VMLAB" -kernel "$KERNEL" -display sdl -monitor tcp::$PORT,server,nowait -serial file:$WORK/serial.log >"$WORK/vm.out" 2>&1 &
VM=\$!
python3 - "$PORT" "$WORK" <<'PY'
import socket, sys, time, os
port, work = int(sys.argv[1]), sys.argv[2]
def wait_for(text, secs):
    end = time.time() + secs
    while time.time() < end:
        p = work + "/serial.log"
        if os.path.exists(p) and text in open(p, errors="replace").read():
            return True
        time.sleep(0.1)
    return False
if not wait_for("type 'help' for commands", 30):
    sys.exit("the shell did not start")
s = None
for _ in range(50):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.1)
if s is None:
    sys.exit("no monitor")
names = {" ": "spc"}
for c in "hello window":
    s.sendall(("sendkey %s\n" % names.get(c, c)).encode())
    time.sleep(0.02)
s.sendall(b"sendkey ret\n")
if not wait_for("argument 'window'", 20):
    sys.exit("the typed command did not run")
time.sleep(0.5)
s.sendall(("screendump %s/dump.png\n" % work).encode())
time.sleep(0.3)
os.system("import -window root %s/shot.png" % work)
s.sendall(b"quit\n")
PY
echo "driver status \$?"
wait \$VM
echo "vmlab status \$?"
INNER
xvfb-run -a -s "-screen 0 1024x768x24" bash "$WORK/inner.sh" | tee "$WORK/inner.out"
fail() { echo "--- serial:"; cat "$WORK/serial.log" 2>/dev/null; echo "--- vmlab:"; cat "$WORK/vm.out"; echo "FAIL: $*"; exit 1; }
grep -q "driver status 0" "$WORK/inner.out" || fail "the test driver failed"
grep -q "vmlab status 0" "$WORK/inner.out" || fail "vmlab did not quit cleanly"
"$SCREEN_TEXT" "$WORK/dump.png" >"$WORK/screen.txt" || fail "screen_text could not read the screendump"
echo "--- the screen, read back against the font:"; cat "$WORK/screen.txt"
grep -q "vmlab teaching kernel" "$WORK/screen.txt" || fail "no banner on screen"
grep -q '^\$ hello window' "$WORK/screen.txt" || fail "the typed command is not on the prompt line"
grep -q "hello from pid [0-9]*, argument 'window'" "$WORK/screen.txt" || fail "the command's output is not on screen"
# The window is centred on the 1024x768 screen: 720x400 at (152, 184).
convert "$WORK/shot.png" -crop 720x400+152+184 +repage "$WORK/window.png"
DIFF=$(compare -metric AE "$WORK/window.png" "$WORK/dump.png" null: 2>&1)
echo "pixels differing between the window and the screendump: $DIFF (the cursor cell may blink)"
[ "$DIFF" -le 144 ] 2>/dev/null || fail "the window does not show what the VGA renders"
echo PASS
