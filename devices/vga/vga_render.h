// Renders what a VGA monitor would show now into a packed RGB image: text modes (font from
// plane 2, attribute colours, cursor), 16-colour planar graphics (mode 12h and friends),
// 256-colour modes (mode 13h, mode X), and the Bochs VBE modes at 8/15/16/24/32 bpp. The
// window, the monitor's `screendump` and `--screendump-at-exit` use it.
//
//   RgbImage img;
//   render(vga, img);                 // img.width x img.height, 3 bytes per pixel
//   write_image_file(img, "s.png");   // image_file.h
//
// Character blink is ignored (blinking characters are drawn on); the cursor is drawn unless
// disabled in CR0A or RenderOptions says the blink phase is off. Underline, smooth scrolling and
// the split screen are ignored.
#pragma once
#include <cstdint>
#include <vector>

#include "devices/vga/vga.h"

namespace vmlab::devices::vga {

struct RgbImage {
  unsigned width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, R G B per pixel
  uint32_t pixel(unsigned x, unsigned y) const {  // 0xRRGGBB (tests)
    const uint8_t* p = &rgb[(size_t(y) * width + x) * 3];
    return uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2];
  }
};

// What the screen shows: used for the image and for the window's title / status line.
enum class DisplayKind : uint8_t { Text, Planar16, Packed256, Vbe, Off };
struct DisplayMode {
  DisplayKind kind = DisplayKind::Off;
  unsigned width = 0, height = 0;  // in pixels
  unsigned bpp = 0;                // VBE only
};
DisplayMode display_mode(const Vga& vga);

// What only a display in time shows: the window blinks the text cursor (every 16 frames on a
// real VGA); images for files always show it.
struct RenderOptions {
  bool cursor_phase_on = true;
};
void render(const Vga& vga, RgbImage& out, RenderOptions opts = {});

}  // namespace vmlab::devices::vga
