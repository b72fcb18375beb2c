#!/usr/bin/env python3
"""Issue #10, item 1 on the VGA: Debian's kernel booted with `console=tty0` shows its boot and
the busybox prompt on the VGA text console. vmlab runs with the monitor on a pipe; every few
seconds the monitor's `screendump` writes the screen, and the screen is read back as text by
matching each 9x16 character cell against vmlab's own font (devices/vga/vga_font.cpp's pixel
art), so the test checks the pixels the user would see, not the guest's idea of them.

  vga_console.py VMLAB REPO_DIR
Exit status 0 pass, 1 fail, 77 skip (packages cannot be had).
"""
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time

VMLAB, REPO = sys.argv[1], pathlib.Path(sys.argv[2])
LIMIT = 420  # seconds; the boot to the prompt takes about 50 s


def say(msg):
    print(f"linux_boot_vga: {msg}", flush=True)


def load_font():
    """{glyph rows (16-tuple of 8-bit ints): character} from the font's pixel art."""
    src = (REPO / "devices/vga/vga_font.cpp").read_text()
    art = src[src.index('kAsciiArt = R"(') + len('kAsciiArt = R"('):]
    art = art[:art.index(')"')]
    top = int(re.search(r"kArtTop = (\d+)", src).group(1))
    glyphs, ch, rows = {}, None, []

    def flush():
        if ch is not None:
            g = [0] * 16
            for i, r in enumerate(rows):
                g[top + i] = int(r.replace("#", "1").replace(".", "0"), 2)
            glyphs[tuple(g)] = ch

    for line in art.split("\n"):
        m = re.fullmatch(r"\[(.)\]", line)
        if m:
            flush()
            ch, rows = m.group(1), []
        elif ch is not None and re.fullmatch(r"[#.]{8}", line):
            rows.append(line)
    flush()
    return glyphs


def read_ppm(path):
    data = pathlib.Path(path).read_bytes()
    parts = data.split(maxsplit=4)  # P6 W H MAX pixels
    assert parts[0] == b"P6", "not a binary PPM"
    w, h = int(parts[1]), int(parts[2])
    return w, h, parts[4][: w * h * 3]


def screen_text(path, glyphs):
    """The text mode screen (80x25 cells of 9x16 pixels) as lines; '?' for unknown cells."""
    w, h, px = read_ppm(path)
    if (w, h) != (720, 400):
        return None
    lines = []
    for row in range(25):
        text = ""
        for col in range(80):
            x0, y0 = col * 9, row * 16
            cell = [[px[((y0 + y) * w + x0 + x) * 3:((y0 + y) * w + x0 + x) * 3 + 3] for x in range(8)]
                    for y in range(16)]
            # Background = the colour of the cell's top-left pixel (no glyph draws row 0 col 0).
            bg = cell[0][0]
            g = tuple(sum(1 << (7 - x) for x in range(8) if cell[y][x] != bg) for y in range(16))
            text += glyphs.get(g, " " if not any(g) else "?")
        lines.append(text.rstrip())
    return lines


def main():
    p = subprocess.run(["bash", str(REPO / "scripts/linux-guest.sh")], stdout=subprocess.PIPE, text=True)
    if p.returncode == 77:
        say("SKIP: the Debian i386 packages cannot be had (see above)")
        return 77
    if p.returncode != 0:
        say(f"FAIL: scripts/linux-guest.sh exited with {p.returncode}")
        return 1
    g = dict(l.split("=", 1) for l in p.stdout.split() if "=" in l)
    glyphs = load_font()
    if len(glyphs) < 90:
        say(f"FAIL: read only {len(glyphs)} glyphs from devices/vga/vga_font.cpp")
        return 1
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="vmlab-linux-vga."))
    shot = tmp / "screen.ppm"
    cmd = [VMLAB, "--backend", "interp", "-m", "256", "-kernel", g["KERNEL"], "-initrd", g["INITRD"],
           "-append", "console=tty0", "-display", "none", "-serial", "null", "-monitor", "stdio", "-no-reboot"]
    vm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start, lines, ok = time.monotonic(), None, False
    try:
        while time.monotonic() - start < LIMIT and vm.poll() is None:
            time.sleep(5)
            shot.unlink(missing_ok=True)
            vm.stdin.write(f"screendump {shot}\n".encode())
            vm.stdin.flush()
            for _ in range(50):
                if shot.exists() and shot.stat().st_size >= 720 * 400 * 3:
                    break
                time.sleep(0.1)
            if not shot.exists():
                continue
            time.sleep(0.2)
            lines = screen_text(shot, glyphs)
            if not lines:
                continue
            marker = any(l.startswith("VMLAB-LINUX-UP") for l in lines)
            prompt = any(re.fullmatch(r"/ # ?.?", l) for l in lines)
            if marker and prompt:
                ok = True
                break
        elapsed = time.monotonic() - start
        if vm.poll() is None:
            vm.stdin.write(b"quit\n")
            vm.stdin.flush()
            try:
                vm.wait(timeout=20)
            except subprocess.TimeoutExpired:
                vm.kill()
    finally:
        if vm.poll() is None:
            vm.kill()
    if lines:
        say("the screen, read back from vmlab's screendump:")
        for l in lines:
            print("  | " + l)
    if not ok:
        say(f"FAIL: no VMLAB-LINUX-UP line and '/ # ' prompt on the VGA screen after {elapsed:.0f}s")
        return 1
    say(f"PASS: the VGA text console shows the marker and the busybox prompt after {elapsed:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
