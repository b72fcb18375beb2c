#!/bin/bash
# run_window_test.sh VMLAB GUEST: vmlab -display sdl under Xvfb with a TCP monitor; the monitor
# types "hi" with sendkey, then the X screen is captured with ImageMagick's import and compared
# with the monitor's screendump: the window must show exactly what the VGA renders, with the
# typed keys on it. Exit 77 = skipped, reason printed.
set -u
VMLAB=$1 GUEST=$2
for tool in xvfb-run import compare convert python3; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup.sh installs it)"; exit 77; }
done
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
PORT=$(( 30000 + ($$ % 20000) ))

cat >"$WORK/inner.sh" <<INNER
set -u
"$VMLAB" -kernel "$GUEST" -display sdl -monitor tcp::$PORT,server,nowait -serial file:$WORK/serial.log >"$WORK/vm.out" 2>&1 &
VM=\$!
python3 - "$PORT" "$WORK" <<'PY'
import socket, sys, time, os
port, work = int(sys.argv[1]), sys.argv[2]
def wait_for(path, text, secs):
    end = time.time() + secs
    while time.time() < end:
        if os.path.exists(path) and text in open(path, errors="replace").read():
            return True
        time.sleep(0.1)
    return False
if not wait_for(work + "/serial.log", "window guest ready", 20):
    sys.exit("guest did not start")
s = None
for _ in range(50):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.1)
if s is None:
    sys.exit("no monitor")
s.sendall(b"sendkey h\nsendkey i\n")
if not wait_for(work + "/serial.log", "key i", 10):
    sys.exit("keys did not reach the guest")
time.sleep(0.5)  # the window redraws within 16 ms; give the X server time too
os.system("import -window root %s/shot.png" % work)
s.sendall(("screendump %s/dump.png\n" % work).encode())
time.sleep(0.5)
s.sendall(b"quit\n")
PY
echo "driver status \$?"
wait \$VM
echo "vmlab status \$?"
INNER
xvfb-run -a -s "-screen 0 1024x768x24" bash "$WORK/inner.sh" | tee "$WORK/inner.out"
cat "$WORK/vm.out" "$WORK/serial.log" 2>/dev/null
fail() { echo "FAIL: $*"; exit 1; }
grep -q "driver status 0" "$WORK/inner.out" || fail "the test driver failed"
grep -q "vmlab status 0" "$WORK/inner.out" || fail "vmlab did not quit cleanly"
[ -f "$WORK/shot.png" ] || fail "no X screenshot"
[ -f "$WORK/dump.png" ] || fail "no screendump"
SIZE=$(identify -format "%wx%h" "$WORK/dump.png")
[ "$SIZE" = 720x400 ] || fail "screendump is $SIZE, expected 720x400 (80x25 text, 9x16 cells)"
# The window opens centred (SDL_WINDOWPOS_CENTERED) on the bare 1024x768 X screen (no window
# manager), unscaled: 720x400 at (152, 184).
convert "$WORK/shot.png" -crop ${SIZE}+152+184 +repage "$WORK/window.png"
DIFF=$(compare -metric AE "$WORK/window.png" "$WORK/dump.png" null: 2>&1)
echo "pixels differing between the window and the screendump: $DIFF"
[ "$DIFF" = 0 ] || fail "the window does not show what the VGA renders"
# The typed keys are on screen: row 2 (pixels 32-47), columns 6-7 ("hi") are not all black.
LIT=$(convert "$WORK/window.png" -crop 18x16+54+32 +repage -format "%[fx:mean]" info:)
python3 -c "import sys; sys.exit(0 if float('$LIT') > 0.02 else 1)" || fail "no typed text at row 2, column 6"
echo PASS
