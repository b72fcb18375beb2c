// screen_text FILE.png: prints the text an 80x25 VGA text screen shows (9x16 cells, 720x400),
// read back by comparing each cell's pixels with vmlab's 8x16 font: a cell is split into the
// pixels of its background colour (the colour of the 9th column, which is blank for all but the
// line-drawing characters) and the rest, and the 8x16 bit pattern must equal one glyph exactly.
// Unknown cells print as '?'. Exit 1 if the file is not a readable 720x400 PNG.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "devices/vga/image_file.h"
#include "devices/vga/vga_font.h"

using namespace vmlab::devices::vga;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: screen_text FILE.png\n");
    return 2;
  }
  std::ifstream f(argv[1], std::ios::binary);
  std::vector<uint8_t> png((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  RgbImage img;
  if (!decode_png(png, img) || img.width != 720 || img.height != 400) {
    std::fprintf(stderr, "screen_text: %s is not a 720x400 PNG\n", argv[1]);
    return 1;
  }
  const auto& font = default_font_8x16();
  for (unsigned row = 0; row < 25; ++row) {
    std::string line;
    for (unsigned col = 0; col < 80; ++col) {
      const unsigned x0 = col * 9, y0 = row * 16;
      uint8_t bits[16];
      for (unsigned y = 0; y < 16; ++y) {
        const uint32_t bg = img.pixel(x0 + 8, y0 + y);
        bits[y] = 0;
        for (unsigned x = 0; x < 8; ++x)
          if (img.pixel(x0 + x, y0 + y) != bg) bits[y] |= uint8_t(0x80 >> x);
      }
      char c = '?';
      for (unsigned g = 32; g < 127; ++g) {
        bool same = true;
        for (unsigned y = 0; y < 16 && same; ++y) same = font[g * 16 + y] == bits[y];
        if (same) {
          c = char(g);
          break;
        }
      }
      line.push_back(c);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
  return 0;
}
