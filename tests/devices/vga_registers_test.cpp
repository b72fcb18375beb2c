// VGA register file through the ports, driven as drivers and BIOSes drive it: the attribute
// controller's flip-flop, DAC auto-increment, CRTC at 0x3Bx/0x3Dx and its protect bit,
// word-wide index/data writes, retrace bits in virtual time, reset and save/restore.
#include <doctest/doctest.h>

#include <random>

#include "devices/vga/vga.h"
#include "devices/vga/vga_font.h"
#include "machine/clock.h"
#include "tests/devices/vga_test_util.h"

using namespace vmlab::devices::vga;
using namespace vga_test;

TEST_CASE("vga: power-on state is mode 3 text with the font in plane 2") {
  Vga v;
  CHECK(in8(v, 0x3CC) == 0x67);
  out8(v, 0x3D4, 0x0A);
  CHECK(in8(v, 0x3D5) == 0x0D);  // cursor start line 13
  out8(v, 0x3CE, 6);
  CHECK(in8(v, 0x3CF) == 0x0E);  // text, odd/even, B8000
  const auto& font = default_font_8x16();
  for (unsigned line = 0; line < 16; ++line)
    CHECK(v.state().vram[('A' * 32 + line) * 4 + 2] == font['A' * 16 + line]);
  // The glyph for 'A' has pixels; a space has none.
  unsigned a_bits = 0, space_bits = 0;
  for (unsigned line = 0; line < 16; ++line) {
    a_bits += font['A' * 16 + line] != 0;
    space_bits += font[' ' * 16 + line] != 0;
  }
  CHECK(a_bits >= 8);
  CHECK(space_bits == 0);
}

TEST_CASE("vga: attribute controller flip-flop alternates index and data, status 1 read resets it") {
  Vga v;
  (void)in8(v, 0x3DA);
  out8(v, 0x3C0, 0x01);  // index 1
  out8(v, 0x3C0, 0x15);  // data
  out8(v, 0x3C0, 0x01);  // index again
  CHECK(in8(v, 0x3C1) == 0x15);
  CHECK(in8(v, 0x3C0) == 0x01);
  // Half-way through a pair, a status read puts the flip-flop back to "index".
  out8(v, 0x3C0, 0x02);  // index 2, flip-flop now expects data
  (void)in8(v, 0x3DA);
  out8(v, 0x3C0, 0x23);  // taken as an index: 3 with the palette source bit
  out8(v, 0x3C0, 0x3F);  // data for AR3
  out8(v, 0x3C0, 0x03);
  CHECK(in8(v, 0x3C1) == 0x3F);
  out8(v, 0x3C0, 0x02);
  CHECK(in8(v, 0x3C1) == 0x02);  // unchanged from power-on
  // With the colour map selected, 0x3BA does not answer and so does not reset the flip-flop.
  (void)in8(v, 0x3DA);
  out8(v, 0x3C0, 0x04);
  CHECK(in8(v, 0x3BA) == 0xFF);
  out8(v, 0x3C0, 0x2A);  // still data
  out8(v, 0x3C0, 0x04);
  CHECK(in8(v, 0x3C1) == 0x2A);
}

TEST_CASE("vga: DAC writes auto-increment after blue and reads follow their own index") {
  Vga v;
  out8(v, 0x3C8, 5);
  out8(v, 0x3C9, 0x3F);
  out8(v, 0x3C9, 0x20);
  CHECK(v.state().palette[5 * 3] != 0x3F);  // not committed until blue
  out8(v, 0x3C9, 0x41);                      // 6-bit DAC: bit 6 dropped
  out8(v, 0x3C9, 1);
  out8(v, 0x3C9, 2);
  out8(v, 0x3C9, 3);
  CHECK(in8(v, 0x3C8) == 7);
  CHECK(in8(v, 0x3C7) == 0x00);  // DAC state: write mode
  out8(v, 0x3C7, 5);
  CHECK(in8(v, 0x3C7) == 0x03);  // read mode
  CHECK(in8(v, 0x3C9) == 0x3F);
  CHECK(in8(v, 0x3C9) == 0x20);
  CHECK(in8(v, 0x3C9) == 0x01);
  CHECK(in8(v, 0x3C9) == 1);  // entry 6
  CHECK(in8(v, 0x3C9) == 2);
  CHECK(in8(v, 0x3C9) == 3);
  // The write index wraps at 255.
  out8(v, 0x3C8, 255);
  for (int i = 0; i < 6; ++i) out8(v, 0x3C9, 0x11);
  CHECK(in8(v, 0x3C8) == 1);
  CHECK(v.state().palette[0] == 0x11);
  CHECK(v.dac_rgb(0)[0] == uint8_t(0x11 << 2 | 0x11 >> 4));
}

TEST_CASE("vga: CRTC answers at 0x3Dx or 0x3Bx by misc bit 0, and CR11 bit 7 protects CR00-CR07") {
  Vga v;
  out8(v, 0x3D4, 0x0E);
  out8(v, 0x3D5, 0x01);
  out8(v, 0x3D4, 0x0F);
  out8(v, 0x3D5, 0x2C);
  CHECK(in8(v, 0x3B4) == 0xFF);
  out8(v, 0x3B5, 0x99);  // ignored: mono pair not selected
  out8(v, 0x3C2, 0x66);  // mono I/O
  CHECK(in8(v, 0x3D4) == 0xFF);
  CHECK(in8(v, 0x3B4) == 0x0F);
  CHECK(in8(v, 0x3B5) == 0x2C);
  out8(v, 0x3C2, 0x67);
  out8(v, 0x3D4, 0x0E);
  CHECK(in8(v, 0x3D5) == 0x01);
  // Protected (power-on CR11 = 0x8E): CR01 stays, CR07 bit 4 still changes.
  out8(v, 0x3D4, 0x01);
  out8(v, 0x3D5, 0x27);
  CHECK(in8(v, 0x3D5) == 0x4F);
  out8(v, 0x3D4, 0x07);
  out8(v, 0x3D5, 0x00);
  CHECK(in8(v, 0x3D5) == 0x0F);  // 0x1F with bit 4 cleared
  out8(v, 0x3D4, 0x11);
  out8(v, 0x3D5, 0x0E);          // unprotect
  out8(v, 0x3D4, 0x01);
  out8(v, 0x3D5, 0x27);
  CHECK(in8(v, 0x3D5) == 0x27);
}

TEST_CASE("vga: a word write to an index port writes index then data") {
  Vga v;
  v.write(0x3C4 - 0x3B0, 2, 0x0702);  // OUT DX,AX: SR2 = 7
  CHECK(in8(v, 0x3C4) == 2);
  CHECK(in8(v, 0x3C5) == 0x07);
  v.write(0x3CE - 0x3B0, 2, 0xFF05);  // GR5: unimplemented bits read 0
  CHECK(in8(v, 0x3CF) == 0x7B);
  v.write(0x3D4 - 0x3B0, 2, 0x200A);  // cursor off
  CHECK(v.read(0x3D4 - 0x3B0, 2) == 0x200A);
}

TEST_CASE("vga: input status 1 shows display-disabled and vertical retrace in virtual time") {
  using vmlab::machine::Clock;
  Clock clock(Clock::Mode::Deterministic);
  Vga v(&clock);
  CHECK((in8(v, 0x3DA) & 0x09) == 0x00);  // t=0: first visible dot
  // Line 490 of the 525-line frame (31.778 us per line) is in the retrace pulse.
  clock.advance_instructions(490ull * 31'778 / Clock::kNsPerInstruction + 10);
  CHECK((in8(v, 0x3DA) & 0x09) == 0x09);
  // Line 500: blanked, retrace over.
  clock.advance_instructions(10ull * 31'778 / Clock::kNsPerInstruction);
  CHECK((in8(v, 0x3DA) & 0x09) == 0x01);
  // Next frame, line 0 again after the last line: visible.
  clock.advance_instructions(25ull * 31'778 / Clock::kNsPerInstruction + 5);
  CHECK((in8(v, 0x3DA) & 0x09) == 0x00);
  // A driver's "wait for retrace start, then end" loop terminates without a clock too.
  Vga free_running;
  int spins = 0;
  while (!(in8(free_running, 0x3DA) & 0x08) && spins < 100) ++spins;
  while ((in8(free_running, 0x3DA) & 0x08) && spins < 100) ++spins;
  CHECK(spins < 100);
}

TEST_CASE("vga: fresh equals reset, and save/restore round-trips identical state") {
  Vga a, fresh;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {
    a.write(rng() % 0x30, 1, rng() & 0xFF);
    a.legacy_window().write(rng() % 0x20000, 1, rng() & 0xFF);
  }
  out_dispi(a, kDispiBpp, 32);
  const Vga::State snap = a.save();
  Vga b;
  b.restore(snap);
  CHECK(b.save() == snap);
  a.reset();
  CHECK(a.save() == fresh.save());
}

TEST_CASE("vga: restore clamps a snapshot the hardware could not hold") {
  Vga v;
  Vga::State s = v.save();
  s.vram.resize(100);
  s.dispi[kDispiBpp] = 7;
  s.dispi[kDispiEnable] = kDispiEnabled;
  s.dac_sub = 9;
  s.seq_index = 0xFF;
  v.restore(s);
  CHECK(v.state().vram.size() == kVramSize);
  CHECK_FALSE(v.vbe_enabled());
  CHECK(v.state().dac_sub < 3);
  CHECK(v.state().seq_index < 8);
  out8(v, 0x3C9, 1);  // and the device keeps working
  (void)in8(v, 0x3C5);
}
