// Vga: construction, reset, save/restore and the derived views (see vga.h). The port, memory
// and dispi sides are in vga_ports.cpp, vga_memory.cpp and vga_dispi.cpp.
#include "devices/vga/vga.h"

#include <algorithm>

#include "devices/vga/vga_font.h"

namespace vmlab::devices::vga {

std::array<uint8_t, 768> ega_palette() {
  // EGA colour i: bits 2/1/0 give R/G/B at 2/3 intensity, bits 5/4/3 add 1/3 (IBM EGA TRM).
  std::array<uint8_t, 768> p{};
  for (unsigned i = 0; i < 64; ++i) {
    p[i * 3 + 0] = uint8_t(((i >> 2) & 1) * 0x2A + ((i >> 5) & 1) * 0x15);
    p[i * 3 + 1] = uint8_t(((i >> 1) & 1) * 0x2A + ((i >> 4) & 1) * 0x15);
    p[i * 3 + 2] = uint8_t((i & 1) * 0x2A + ((i >> 3) & 1) * 0x15);
  }
  return p;
}

Vga::Vga(const machine::Clock* clock) : clock_(clock) { reset(); }

void Vga::reset() {
  ++changes_;
  state_ = State{};
  load_default_font();
}

void Vga::load_default_font() {
  // Character map 0 of plane 2: 32 bytes per character, 16 used (as INT 10h AX=1104h loads).
  const std::array<uint8_t, 256 * 16>& font = default_font_8x16();
  for (unsigned ch = 0; ch < 256; ++ch)
    for (unsigned line = 0; line < 16; ++line)
      state_.vram[(ch * 32 + line) * 4 + 2] = font[ch * 16 + line];
}

void Vga::restore(const State& s) {
  ++changes_;
  state_ = s;
  State& t = state_;
  t.vram.resize(kVramSize);
  t.seq_index &= 7;
  t.crtc_index &= 0x3F;
  t.gr_index &= 0x0F;
  t.ar_index &= 0x3F;
  t.dac_sub = uint8_t(t.dac_sub % 3);
  t.dispi_index &= 0x0F;
  // The dispi registers must describe a mode that fits; otherwise fall back to VGA.
  uint16_t bpp = t.dispi[kDispiBpp];
  bool bpp_ok = bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
  if (!bpp_ok) t.dispi[kDispiBpp] = 8;
  t.dispi[kDispiId] = std::clamp(t.dispi[kDispiId], kDispiIdMin, kDispiIdMax);
  t.dispi[kDispiVideoMemory64k] = uint16_t(kVramSize >> 16);
  t.dispi[kDispiBank] = uint16_t(t.dispi[kDispiBank] % (kVramSize >> 16));
  uint64_t need = uint64_t(t.dispi[kDispiVirtWidth]) * vbe_bytes_per_pixel() *
                  std::max(t.dispi[kDispiYres], t.dispi[kDispiVirtHeight]);
  if (!bpp_ok || t.dispi[kDispiXres] > kVbeMaxXres || t.dispi[kDispiYres] > kVbeMaxYres ||
      t.dispi[kDispiVirtWidth] < t.dispi[kDispiXres] || need > kVramSize)
    t.dispi[kDispiEnable] &= uint16_t(~kDispiEnabled);
}

std::array<uint8_t, 3> Vga::dac_rgb(uint8_t index) const {
  std::array<uint8_t, 3> rgb;
  const bool eight_bit = state_.dispi[kDispiEnable] & kDispi8BitDac;
  for (unsigned c = 0; c < 3; ++c) {
    uint8_t v = state_.palette[index * 3 + c];
    rgb[c] = eight_bit ? v : uint8_t((v & 0x3F) << 2 | (v & 0x3F) >> 4);
  }
  return rgb;
}

uint8_t Vga::input_status1() const {
  // A 640x480@60 frame: 525 lines of 31.778 us (800 dots at 25.175 MHz). Lines 480-524 are the
  // vertical blank, 490-491 the retrace pulse; the last 160 dots of each line are the
  // horizontal blank. Bit 0 = display disabled (either blank), bit 3 = vertical retrace.
  constexpr uint64_t kLineNs = 31'778, kLines = 525;
  uint64_t line, dot_ns;
  if (clock_) {
    uint64_t t = clock_->now_ns() % (kLineNs * kLines);
    line = t / kLineNs;
    dot_ns = t % kLineNs;
  } else {
    // No clock (unit tests): every read moves to the next of four phases so pollers finish.
    static constexpr uint64_t kPhaseLine[4] = {0, 0, 490, 500};
    static constexpr uint64_t kPhaseDot[4] = {0, 30'000, 0, 0};
    line = kPhaseLine[status_reads_ & 3];
    dot_ns = kPhaseDot[status_reads_ & 3];
  }
  bool vretrace = line >= 490 && line < 492;
  bool blank = line >= 480 || dot_ns >= kLineNs * 640 / 800;
  return uint8_t((blank ? 0x01 : 0) | (vretrace ? 0x08 : 0));
}

}  // namespace vmlab::devices::vga
