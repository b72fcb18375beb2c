// Rendering the VGA screen to RGB: text with the font, attributes and cursor; mode 12h planar;
// mode 13h with a programmed palette; VBE at every depth with panning; and the PNG/PPM writer.
#include <doctest/doctest.h>

#include <cstring>

#include "devices/vga/image_file.h"
#include "devices/vga/vga.h"
#include "devices/vga/vga_font.h"
#include "devices/vga/vga_render.h"
#include "tests/devices/vga_test_util.h"

using namespace vmlab::devices::vga;
using namespace vga_test;

namespace {
void gr(Vga& v, uint8_t index, uint8_t value) { out8(v, 0x3CE, index); out8(v, 0x3CF, value); }
void crtc(Vga& v, uint8_t index, uint8_t value) { out8(v, 0x3D4, index); out8(v, 0x3D5, value); }
void text_cell(Vga& v, unsigned row, unsigned col, char ch, uint8_t attr) {
  uint32_t a = 0xB8000 + (row * 80 + col) * 2;
  mem8(v, a, uint8_t(ch));
  mem8(v, a + 1, attr);
}
constexpr uint32_t kBlue = 0x0000AA, kYellow = 0xFFFF55, kGrey = 0xAAAAAA, kBlack = 0;
}  // namespace

TEST_CASE("vga: text mode renders glyphs from plane 2 in the attribute colours") {
  Vga v;
  text_cell(v, 1, 2, 'A', 0x1E);  // yellow on blue
  RgbImage img;
  render(v, img);
  REQUIRE(img.width == 720);
  REQUIRE(img.height == 400);
  CHECK(display_mode(v).kind == DisplayKind::Text);
  // Every pixel of the cell follows the font: foreground where the glyph has a bit.
  const auto& font = default_font_8x16();
  unsigned fg = 0;
  for (unsigned y = 0; y < 16; ++y)
    for (unsigned x = 0; x < 9; ++x) {
      bool on = x < 8 && (font['A' * 16 + y] >> (7 - x)) & 1;
      uint32_t px = img.pixel(2 * 9 + x, 16 + y);
      CHECK(px == (on ? kYellow : kBlue));
      fg += on;
    }
  CHECK(fg > 20);
  CHECK(img.pixel(2 * 9 + 3, 16 + 3) == kYellow);  // the apex of the 'A'
  CHECK(img.pixel(0, 20) == kBlack);                // an empty cell with attribute 0
}

TEST_CASE("vga: the text cursor covers lines CR0A-CR0B of its cell in the foreground colour") {
  Vga v;
  text_cell(v, 0, 0, ' ', 0x07);
  text_cell(v, 1, 1, ' ', 0x1E);
  RgbImage img;
  render(v, img);
  CHECK(img.pixel(0, 13) == kGrey);  // cursor at 0 after power-on, lines 13-14
  CHECK(img.pixel(8, 14) == kGrey);
  CHECK(img.pixel(0, 12) == kBlack);
  crtc(v, 0x0E, 0);
  crtc(v, 0x0F, 81);
  render(v, img);
  CHECK(img.pixel(0, 13) == kBlack);
  CHECK(img.pixel(9, 16 + 13) == kYellow);
  CHECK(img.pixel(9, 16 + 12) == kBlue);
  crtc(v, 0x0A, 0x20);  // cursor off
  render(v, img);
  CHECK(img.pixel(9, 16 + 13) == kBlue);
}

TEST_CASE("vga: the CRTC start address scrolls text") {
  Vga v;
  text_cell(v, 1, 0, 'A', 0x1E);
  crtc(v, 0x0C, 0);
  crtc(v, 0x0D, 80);  // start one row down
  RgbImage img;
  render(v, img);
  CHECK(img.pixel(3, 3) == kYellow);
  CHECK(img.pixel(0, 0) == kBlue);
}

TEST_CASE("vga: mode 13h renders chain-4 bytes through the DAC") {
  Vga v;
  set_mode(v, kMode13);
  out8(v, 0x3C8, 7);
  out8(v, 0x3C9, 63);
  out8(v, 0x3C9, 0);
  out8(v, 0x3C9, 32);
  mem8(v, 0xA0000 + 20 * 320 + 10, 7);
  RgbImage img;
  render(v, img);
  REQUIRE(img.width == 320);
  REQUIRE(img.height == 200);
  CHECK(display_mode(v).kind == DisplayKind::Packed256);
  CHECK(img.pixel(10, 20) == 0xFF0082u);
  CHECK(img.pixel(11, 20) == kBlack);
  out8(v, 0x3C6, 0x03);  // PEL mask: index 7 -> 3 (cyan)
  render(v, img);
  CHECK(img.pixel(10, 20) == 0x00AAAAu);
}

TEST_CASE("vga: mode 12h renders four planes through the attribute palette") {
  Vga v;
  set_mode(v, kMode12);
  gr(v, 5, 0x02);
  gr(v, 8, 0x40);
  mem8(v, 0xA0000 + 80 + 1, 4);  // pixel (9, 1) colour 4
  RgbImage img;
  render(v, img);
  REQUIRE(img.width == 640);
  REQUIRE(img.height == 480);
  CHECK(img.pixel(9, 1) == 0xAA0000u);
  CHECK(img.pixel(8, 1) == kBlack);
  CHECK(img.pixel(9, 0) == kBlack);
  // Palette register 4 -> colour 0x3E: yellow.
  (void)in8(v, 0x3DA);
  out8(v, 0x3C0, 0x24);
  out8(v, 0x3C0, 0x3E);
  render(v, img);
  CHECK(img.pixel(9, 1) == kYellow);
}

TEST_CASE("vga: a blanked attribute controller shows a black screen") {
  Vga v;
  text_cell(v, 0, 0, 'A', 0x1E);
  (void)in8(v, 0x3DA);
  out8(v, 0x3C0, 0x00);  // palette address source off
  RgbImage img;
  render(v, img);
  CHECK(img.pixel(3, 3) == kBlack);
  CHECK(img.width == 720);
}

TEST_CASE("vga: VBE modes render at 32, 24, 16, 15 and 8 bpp with panning") {
  Vga v;
  auto set = [&](unsigned bpp, uint16_t enable_extra = 0) {
    out_dispi(v, kDispiEnable, 0);
    out_dispi(v, kDispiXres, 64);
    out_dispi(v, kDispiYres, 32);
    out_dispi(v, kDispiBpp, uint16_t(bpp));
    out_dispi(v, kDispiEnable, kDispiEnabled | kDispiLfbEnabled | enable_extra);
  };
  RgbImage img;
  set(32);
  v.framebuffer().write((2 * 64 + 3) * 4, 4, 0x00112233);
  render(v, img);
  REQUIRE(img.width == 64);
  REQUIRE(img.height == 32);
  CHECK(img.pixel(3, 2) == 0x112233u);
  CHECK(img.pixel(4, 2) == kBlack);
  out_dispi(v, kDispiYOffset, 2);  // pan down two lines
  render(v, img);
  CHECK(img.pixel(3, 0) == 0x112233u);
  out_dispi(v, kDispiYOffset, 0xFFFF);  // past video memory: black, no crash
  render(v, img);
  CHECK(img.pixel(0, 0) == kBlack);

  set(24);
  v.framebuffer().write((1 * 64 + 1) * 3, 1, 0x33);
  v.framebuffer().write((1 * 64 + 1) * 3 + 1, 2, 0x1122);
  render(v, img);
  CHECK(img.pixel(1, 1) == 0x112233u);

  set(16);
  v.framebuffer().write(0, 2, 0xF800);
  v.framebuffer().write(2, 2, 0x07E0);
  render(v, img);
  CHECK(img.pixel(0, 0) == 0xFF0000u);
  CHECK(img.pixel(1, 0) == 0x00FF00u);

  set(15);
  v.framebuffer().write(0, 2, 0x7C00);
  v.framebuffer().write(2, 2, 0x001F);
  render(v, img);
  CHECK(img.pixel(0, 0) == 0xFF0000u);
  CHECK(img.pixel(1, 0) == 0x0000FFu);

  set(8, kDispi8BitDac);
  out8(v, 0x3C8, 9);
  out8(v, 0x3C9, 200);
  out8(v, 0x3C9, 100);
  out8(v, 0x3C9, 50);
  v.framebuffer().write(5, 1, 9);
  render(v, img);
  CHECK(img.pixel(5, 0) == 0xC86432u);
  CHECK(display_mode(v).bpp == 8);
}

TEST_CASE("vga: PNG and PPM encodings of a screen") {
  RgbImage img;
  img.width = 2;
  img.height = 2;
  img.rgb = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  std::vector<uint8_t> ppm = encode_ppm(img);
  const char header[] = "P6\n2 2\n255\n";
  REQUIRE(ppm.size() == sizeof(header) - 1 + 12);
  CHECK(std::memcmp(ppm.data(), header, sizeof(header) - 1) == 0);
  CHECK(ppm.back() == 12);

  std::vector<uint8_t> png = encode_png(img);
  const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  REQUIRE(png.size() > 57);
  CHECK(std::memcmp(png.data(), sig, 8) == 0);
  CHECK(std::memcmp(&png[12], "IHDR", 4) == 0);
  CHECK(png[19] == 2);  // width (big-endian, low byte)
  CHECK(png[23] == 2);  // height
  CHECK(png[24] == 8);  // bit depth
  CHECK(png[25] == 2);  // RGB
  // Whatever libpng compressed, it decodes back to the same pixels.
  RgbImage back;
  REQUIRE(decode_png(png, back));
  CHECK(back.width == 2);
  CHECK(back.height == 2);
  CHECK(back.rgb == img.rgb);
  CHECK(encode_png(RgbImage{}).empty());
  CHECK_FALSE(decode_png({1, 2, 3}, back));
}

TEST_CASE("vga: write_image_file reports an unwritable path") {
  RgbImage img;
  img.width = 1;
  img.height = 1;
  img.rgb = {0, 0, 0};
  std::string err = write_image_file(img, "/nonexistent-dir/x.png");
  CHECK(err.find("/nonexistent-dir/x.png") != std::string::npos);
}
