// Screen rendering (see vga_render.h). The CRTC registers give the geometry: CR01 horizontal
// display end (characters), CR12 + CR07 bits 1/6 vertical display end (scan lines), CR09 maximum
// scan line and double scan, CR0C/CR0D start address and CR13 the line offset, both in planar
// addresses (vram / 4) as vga.h lays memory out.
#include "devices/vga/vga_render.h"

#include <algorithm>

namespace vmlab::devices::vga {

namespace {

using Palette = std::array<std::array<uint8_t, 3>, 256>;

unsigned vertical_display_end(const Vga::State& s) {
  return s.crtc[0x12] | (s.crtc[7] & 0x02) << 7 | (s.crtc[7] & 0x40) << 3;
}
unsigned start_address(const Vga::State& s) { return s.crtc[0x0C] << 8 | s.crtc[0x0D]; }
unsigned line_stride(const Vga::State& s) { return s.crtc[0x13] * 2u; }  // planar bytes per row
unsigned scan_repeat(const Vga::State& s) {
  return ((s.crtc[9] & 0x1F) + 1u) * ((s.crtc[9] & 0x80) ? 2u : 1u);
}

// The attribute controller's path from a 4-bit colour to a DAC index (AR00-AR0F, AR10 bit 7
// "P5-P4 select", AR14 colour select).
uint8_t attribute_to_dac(const Vga::State& s, unsigned colour) {
  uint8_t v = s.ar[colour & 0x0F];
  if (s.ar[0x10] & 0x80) v = uint8_t((v & 0x0F) | (s.ar[0x14] & 0x03) << 4);
  return uint8_t((v & 0x3F) | (s.ar[0x14] & 0x0C) << 4);
}

Palette dac_palette(const Vga& vga) {
  Palette p;
  for (unsigned i = 0; i < 256; ++i) p[i] = vga.dac_rgb(uint8_t(i & vga.state().pel_mask));
  return p;
}

void put(RgbImage& img, unsigned x, unsigned y, const std::array<uint8_t, 3>& c) {
  uint8_t* d = &img.rgb[(size_t(y) * img.width + x) * 3];
  d[0] = c[0];
  d[1] = c[1];
  d[2] = c[2];
}

void render_text(const Vga& vga, RgbImage& img, bool cursor_phase_on) {
  const Vga::State& s = vga.state();
  const Palette pal = dac_palette(vga);
  const unsigned cw = (s.seq[1] & 1) ? 8 : 9, ch_h = (s.crtc[9] & 0x1F) + 1u;
  const unsigned cols = img.width / cw, rows = img.height / ch_h;
  // SR3: character map A (attribute bit 3 set) and B; their offsets in plane 2.
  static constexpr uint32_t kMapOffset[8] = {0x0000, 0x4000, 0x8000, 0xC000,
                                             0x2000, 0x6000, 0xA000, 0xE000};
  const uint32_t map_a = kMapOffset[((s.seq[3] >> 5) & 1) << 2 | ((s.seq[3] >> 2) & 3)];
  const uint32_t map_b = kMapOffset[((s.seq[3] >> 4) & 1) << 2 | (s.seq[3] & 3)];
  const unsigned cursor = s.crtc[0x0E] << 8 | s.crtc[0x0F];
  const bool cursor_on = !(s.crtc[0x0A] & 0x20) && cursor_phase_on;
  const unsigned cs = s.crtc[0x0A] & 0x1F, ce = s.crtc[0x0B] & 0x1F;
  const bool line_graphics = s.ar[0x10] & 0x04;
  const bool blink_mode = s.ar[0x10] & 0x08;  // attribute bit 7 blinks instead of brightening
  for (unsigned r = 0; r < rows; ++r) {
    for (unsigned c = 0; c < cols; ++c) {
      const uint32_t addr = (start_address(s) + r * line_stride(s) + c) & 0xFFFF;
      const uint8_t code = s.vram[addr * 4], attr = s.vram[addr * 4 + 1];
      const auto fg = pal[attribute_to_dac(s, attr & 0x0F)];
      const auto bg = pal[attribute_to_dac(s, blink_mode ? (attr >> 4) & 7 : attr >> 4)];
      const uint32_t glyph = ((attr & 0x08) ? map_a : map_b) + code * 32u;
      const bool box = line_graphics && code >= 0xC0 && code <= 0xDF;
      for (unsigned y = 0; y < ch_h; ++y) {
        unsigned bits = y < 32 ? s.vram[((glyph + y) & 0xFFFF) * 4 + 2] : 0;
        bits = bits << 1 | (cw == 9 && box ? bits & 1 : 0);  // the 9th dot
        if (cursor_on && addr == cursor && cs <= ce && y >= cs && y <= ce) bits = 0x1FF;
        for (unsigned x = 0; x < cw; ++x) {
          const bool on = (bits >> (8 - x)) & 1;
          put(img, c * cw + x, r * ch_h + y, on ? fg : bg);
        }
      }
    }
  }
}

void render_planar16(const Vga& vga, RgbImage& img) {
  const Vga::State& s = vga.state();
  const Palette pal = dac_palette(vga);
  const uint8_t plane_enable = s.ar[0x12] & 0x0F;
  for (unsigned y = 0; y < img.height; ++y) {
    const uint32_t line = start_address(s) + y * line_stride(s);
    for (unsigned x = 0; x < img.width; ++x) {
      const uint32_t addr = ((line + x / 8) & 0xFFFF) * 4;
      const unsigned bit = 7 - x % 8;
      unsigned colour = 0;
      for (unsigned p = 0; p < 4; ++p) colour |= ((s.vram[addr + p] >> bit) & 1u) << p;
      put(img, x, y, pal[attribute_to_dac(s, colour & plane_enable)]);
    }
  }
}

void render_packed256(const Vga& vga, RgbImage& img) {
  // Chain-4 (mode 13h) and unchained (mode X) both place pixel x of a line at vram byte
  // line * 4 + x: plane x & 3, planar address x / 4.
  const Vga::State& s = vga.state();
  const Palette pal = dac_palette(vga);
  for (unsigned y = 0; y < img.height; ++y) {
    const uint32_t line = (start_address(s) + y * line_stride(s)) * 4;
    for (unsigned x = 0; x < img.width; ++x) put(img, x, y, pal[s.vram[(line + x) & 0x3FFFF]]);
  }
}

uint8_t scale5(unsigned v) { return uint8_t(v << 3 | v >> 2); }
uint8_t scale6(unsigned v) { return uint8_t(v << 2 | v >> 4); }

void render_vbe(const Vga& vga, RgbImage& img) {
  const Vga::State& s = vga.state();
  const Palette pal = dac_palette(vga);
  const unsigned bpp = s.dispi[kDispiBpp], bytes = vga.vbe_bytes_per_pixel();
  const uint64_t stride = uint64_t(s.dispi[kDispiVirtWidth]) * bytes;
  const uint64_t base = s.dispi[kDispiYOffset] * stride + uint64_t(s.dispi[kDispiXOffset]) * bytes;
  const std::array<uint8_t, 3> black{};
  for (unsigned y = 0; y < img.height; ++y) {
    for (unsigned x = 0; x < img.width; ++x) {
      const uint64_t off = base + y * stride + uint64_t(x) * bytes;
      if (off + bytes > kVramSize) {  // panned past the end of video memory
        put(img, x, y, black);
        continue;
      }
      const uint8_t* p = &s.vram[off];
      const unsigned v16 = p[0] | (bytes > 1 ? p[1] << 8 : 0);
      switch (bpp) {
        case 8: put(img, x, y, pal[p[0]]); break;
        case 15: put(img, x, y, {scale5(v16 >> 10 & 31), scale5(v16 >> 5 & 31), scale5(v16 & 31)}); break;
        case 16: put(img, x, y, {scale5(v16 >> 11 & 31), scale6(v16 >> 5 & 63), scale5(v16 & 31)}); break;
        default: put(img, x, y, {p[2], p[1], p[0]}); break;  // 24 and 32: B, G, R (, X)
      }
    }
  }
}

}  // namespace

DisplayMode display_mode(const Vga& vga) {
  const Vga::State& s = vga.state();
  DisplayMode m;
  if (vga.vbe_enabled()) {
    m.kind = DisplayKind::Vbe;
    m.width = s.dispi[kDispiXres];
    m.height = s.dispi[kDispiYres];
    m.bpp = s.dispi[kDispiBpp];
    return m;
  }
  const unsigned chars = s.crtc[1] + 1u, lines = vertical_display_end(s) + 1;
  if (!(s.gr[6] & 1)) {
    m.kind = DisplayKind::Text;
    const unsigned cw = (s.seq[1] & 1) ? 8 : 9, ch_h = (s.crtc[9] & 0x1F) + 1u;
    m.width = chars * cw;
    m.height = lines / ch_h * ch_h;
  } else {
    m.kind = (s.gr[5] & 0x40) ? DisplayKind::Packed256 : DisplayKind::Planar16;
    m.width = chars * (m.kind == DisplayKind::Packed256 ? 4 : 8);
    m.height = lines / scan_repeat(s);
  }
  if (m.width == 0 || m.height == 0) m.kind = DisplayKind::Off;
  return m;
}

void render(const Vga& vga, RgbImage& out, RenderOptions opts) {
  const DisplayMode m = display_mode(vga);
  out.width = m.width;
  out.height = m.height;
  out.rgb.assign(size_t(m.width) * m.height * 3, 0);
  const Vga::State& s = vga.state();
  // The attribute controller blanks the screen while its palette is being loaded (AR index
  // bit 5 clear), and SR1 bit 5 turns the screen off; both show black.
  const bool blanked = !(s.ar_index & 0x20) || (s.seq[1] & 0x20);
  switch (m.kind) {
    case DisplayKind::Vbe: render_vbe(vga, out); break;
    case DisplayKind::Text: if (!blanked) render_text(vga, out, opts.cursor_phase_on); break;
    case DisplayKind::Planar16: if (!blanked) render_planar16(vga, out); break;
    case DisplayKind::Packed256: if (!blanked) render_packed256(vga, out); break;
    case DisplayKind::Off: break;
  }
}

}  // namespace vmlab::devices::vga
