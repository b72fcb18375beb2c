// The 8x16 font a VGA BIOS loads into plane 2 for the text modes. vmlab's own, drawn for this
// project (vga_font.cpp): printable ASCII, the CP437 box-drawing and block characters; the
// other code points (CP437 symbols, accented letters) are blank.
#pragma once
#include <array>
#include <cstdint>

namespace vmlab::devices::vga {

inline constexpr unsigned kFontHeight = 16;
// 256 glyphs, 16 bytes each, top row first, bit 7 = leftmost pixel.
const std::array<uint8_t, 256 * kFontHeight>& default_font_8x16();

}  // namespace vmlab::devices::vga
