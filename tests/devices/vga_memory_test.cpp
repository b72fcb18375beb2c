// VGA display memory through the legacy window: odd/even text writes, chain-4, the planar
// write modes 0-3 with set/reset, logical functions and the bit mask, read modes 0 and 1,
// memory map select, and random traffic that never escapes video memory.
#include <doctest/doctest.h>

#include <random>

#include "devices/vga/vga.h"
#include "devices/vga/vga_render.h"
#include "tests/devices/vga_test_util.h"

using namespace vmlab::devices::vga;
using namespace vga_test;

namespace {
uint8_t plane(const Vga& v, unsigned p, uint32_t addr) { return v.state().vram[addr * 4 + p]; }
void gr(Vga& v, uint8_t index, uint8_t value) { out8(v, 0x3CE, index); out8(v, 0x3CF, value); }
void sr(Vga& v, uint8_t index, uint8_t value) { out8(v, 0x3C4, index); out8(v, 0x3C5, value); }
}  // namespace

TEST_CASE("vga: odd/even text writes put characters in plane 0 and attributes in plane 1") {
  Vga v;
  mem8(v, 0xB8000, 'H');
  mem8(v, 0xB8001, 0x1F);
  mem8(v, 0xB8002, 'i');
  mem8(v, 0xB8003, 0x2E);
  CHECK(plane(v, 0, 0) == 'H');
  CHECK(plane(v, 1, 0) == 0x1F);
  CHECK(plane(v, 0, 1) == 'i');
  CHECK(plane(v, 1, 1) == 0x2E);
  CHECK(plane(v, 2, 0) == 0);  // font plane untouched by text writes ('\0' glyph is blank)
  CHECK(rd8(v, 0xB8002) == 'i');
  CHECK(rd8(v, 0xB8003) == 0x2E);
  // A 16-bit store (char + attribute) and a 32-bit load.
  v.legacy_window().write(0x18000 + 160, 2, 0x4F41);
  CHECK(plane(v, 0, 80) == 'A');
  CHECK(plane(v, 1, 80) == 0x4F);
  CHECK(v.legacy_window().read(0x18000, 4) == 0x2E691F48u);
  // Memory map select B8000: the A0000 and B0000 windows float.
  CHECK(rd8(v, 0xA0000) == 0xFF);
  CHECK(rd8(v, 0xB0000) == 0xFF);
  mem8(v, 0xA0000, 0x55);
  CHECK(plane(v, 0, 0) == 'H');
}

TEST_CASE("vga: chain-4 maps address bits 0-1 to the plane (mode 13h)") {
  Vga v;
  set_mode(v, kMode13);
  for (uint32_t i = 0; i < 8; ++i) mem8(v, 0xA0000 + i, uint8_t(0x10 + i));
  CHECK(plane(v, 0, 0) == 0x10);
  CHECK(plane(v, 1, 0) == 0x11);
  CHECK(plane(v, 3, 0) == 0x13);
  CHECK(plane(v, 0, 1) == 0x14);
  CHECK(rd8(v, 0xA0005) == 0x15);
  // The map mask still gates planes.
  sr(v, 2, 0x01);
  mem8(v, 0xA0001, 0x99);
  mem8(v, 0xA0004, 0x77);
  CHECK(plane(v, 1, 0) == 0x11);
  CHECK(plane(v, 0, 1) == 0x77);
  CHECK(rd8(v, 0xB8000) == 0xFF);  // GR6 = A0000 64K
}

TEST_CASE("vga: write mode 0 with set/reset and bit mask, read mode 0 by plane") {
  Vga v;
  set_mode(v, kMode12);
  gr(v, 1, 0x05);  // set/reset enabled for planes 0 and 2
  gr(v, 0, 0x01);  // plane 0 -> ones, plane 2 -> zeros
  gr(v, 8, 0xF0);  // only the left nibble
  (void)rd8(v, 0xA0010);  // latches all zero
  mem8(v, 0xA0010, 0x3C);  // CPU data goes to planes 1 and 3
  CHECK(plane(v, 0, 0x10) == 0xF0);
  CHECK(plane(v, 1, 0x10) == 0x30);
  CHECK(plane(v, 2, 0x10) == 0x00);
  CHECK(plane(v, 3, 0x10) == 0x30);
  gr(v, 4, 1);  // read map select
  CHECK(rd8(v, 0xA0010) == 0x30);
  gr(v, 4, 0);
  CHECK(rd8(v, 0xA0010) == 0xF0);
  // Rotate and XOR: data rotated right by 4, XORed with the latches.
  gr(v, 1, 0);
  gr(v, 8, 0xFF);
  gr(v, 3, 0x18 | 4);
  (void)rd8(v, 0xA0010);
  mem8(v, 0xA0010, 0x0F);  // rotated: 0xF0
  CHECK(plane(v, 0, 0x10) == 0x00);
  CHECK(plane(v, 1, 0x10) == 0xC0);
}

TEST_CASE("vga: write mode 1 copies the latches, write mode 2 expands a colour") {
  Vga v;
  set_mode(v, kMode12);
  gr(v, 5, 0x02);  // write mode 2
  gr(v, 8, 0x81);
  mem8(v, 0xA0000, 0x0B);  // colour 11 = planes 0, 1, 3 at pixels 0 and 7
  CHECK(plane(v, 0, 0) == 0x81);
  CHECK(plane(v, 1, 0) == 0x81);
  CHECK(plane(v, 2, 0) == 0x00);
  CHECK(plane(v, 3, 0) == 0x81);
  gr(v, 5, 0x01);  // write mode 1: screen-to-screen copy
  (void)rd8(v, 0xA0000);
  mem8(v, 0xA1234, 0x00);
  for (unsigned p = 0; p < 4; ++p) CHECK(plane(v, p, 0x1234) == plane(v, p, 0));
}

TEST_CASE("vga: write mode 3 uses the rotated data as bit mask over set/reset") {
  Vga v;
  set_mode(v, kMode12);
  gr(v, 5, 0x03);
  gr(v, 0, 0x0C);  // colour 12
  gr(v, 8, 0xFF);
  (void)rd8(v, 0xA0020);
  mem8(v, 0xA0020, 0x18);
  CHECK(plane(v, 0, 0x20) == 0x00);
  CHECK(plane(v, 2, 0x20) == 0x18);
  CHECK(plane(v, 3, 0x20) == 0x18);
  gr(v, 8, 0x10);  // GR8 also limits it
  gr(v, 0, 0x01);
  (void)rd8(v, 0xA0020);
  mem8(v, 0xA0020, 0xFF);
  CHECK(plane(v, 0, 0x20) == 0x10);
  CHECK(plane(v, 2, 0x20) == 0x08);  // bit 4 cleared, bit 3 kept from the latch
}

TEST_CASE("vga: read mode 1 compares every pixel with the colour compare register") {
  Vga v;
  set_mode(v, kMode12);
  gr(v, 5, 0x02);
  gr(v, 8, 0x80); mem8(v, 0xA0030, 5);   // pixel 0 colour 5
  (void)rd8(v, 0xA0030);                // latch pixel 0 so the bit mask keeps it
  gr(v, 8, 0x01); mem8(v, 0xA0030, 13);  // pixel 7 colour 13
  gr(v, 8, 0xFF);
  gr(v, 5, 0x08);  // read mode 1
  gr(v, 2, 5);
  gr(v, 7, 0x0F);
  CHECK(rd8(v, 0xA0030) == 0x80);
  gr(v, 7, 0x07);  // plane 3 "don't care": 13 matches 5 too
  CHECK(rd8(v, 0xA0030) == 0x81);
  gr(v, 2, 0);
  CHECK(rd8(v, 0xA0030) == 0x7E);
}

TEST_CASE("vga: random memory and port traffic stays inside video memory") {
  Vga v;
  std::mt19937 rng(1234);
  RgbImage img;
  for (int i = 0; i < 200000; ++i) {
    if (i % 25000 == 0) {
      render(v, img);  // whatever the registers say, the image is as big as it claims
      CHECK(img.rgb.size() == size_t(img.width) * img.height * 3);
    }
    unsigned what = rng() % 6;
    unsigned width = 1u << (rng() % 3);
    uint32_t value = rng();
    switch (what) {
      case 0: v.write(rng() % 0x30, width, value); break;
      case 1: (void)v.read(rng() % 0x30, width); break;
      case 2: v.legacy_window().write(rng() % (0x20000 - 3), width, value); break;
      case 3: (void)v.legacy_window().read(rng() % (0x20000 - 3), width); break;
      case 4: {
        uint32_t off = rng() % 2 ? rng() % kVramSize : kVramSize - 1 - rng() % 8;
        if (rng() % 2) v.framebuffer().write(off, width, value);
        else (void)v.framebuffer().read(off, width);
        break;
      }
      default:
        v.dispi_ports().write(rng() % 2, 2, rng() % 3 ? rng() % 12 : value);
        (void)v.dispi_ports().read(rng() % 3, 1);
        break;
    }
  }
  CHECK(v.state().vram.size() == kVramSize);
  CHECK(v.state().dac_sub < 3);
}
