// Vga: the Bochs VBE "dispi" interface, index port 0x1CE and data port 0x1CF (16-bit), as the
// Bochs VGA BIOS, SeaBIOS's vgabios and Linux's bochs-drm drive it: negotiate an ID
// (0xB0C0-0xB0C5), write XRES/YRES/BPP while disabled, set ENABLE (optionally with LFB and
// NOCLEARMEM), then pan with VIRT_WIDTH and X/Y_OFFSET. Nonsense values are ignored as Bochs
// ignores them, so the registers always describe a mode that fits in video memory.
#include "devices/vga/vga.h"

#include <algorithm>
#include <cstring>

namespace vmlab::devices::vga {

namespace {
bool valid_bpp(uint16_t bpp) { return bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32; }
}  // namespace

uint32_t Vga::vbe_max_virt_height(uint16_t virt_width) const {
  uint64_t line = uint64_t(virt_width) * vbe_bytes_per_pixel();
  return line ? uint32_t(std::min<uint64_t>(kVramSize / line, 0xFFFF)) : 0;
}

uint16_t Vga::dispi_read(uint16_t index) const {
  const auto& d = state_.dispi;
  const bool caps = d[kDispiEnable] & kDispiGetCaps;  // XRES/YRES/BPP then read the maxima
  switch (index) {
    case kDispiXres: return caps ? kVbeMaxXres : d[kDispiXres];
    case kDispiYres: return caps ? kVbeMaxYres : d[kDispiYres];
    case kDispiBpp: return caps ? kVbeMaxBpp : d[kDispiBpp];
    default: return index < kDispiRegs ? d[index] : 0;
  }
}

void Vga::dispi_write(uint16_t index, uint16_t v) {
  auto& d = state_.dispi;
  const bool enabled = vbe_enabled();
  switch (index) {
    case kDispiId:
      if (v >= kDispiIdMin && v <= kDispiIdMax) d[kDispiId] = v;
      else ++ignored_writes_;
      return;
    case kDispiXres:  // the geometry only changes while the mode is off (Bochs)
      if (!enabled && v <= kVbeMaxXres) d[kDispiXres] = uint16_t(v & ~7u);
      else ++ignored_writes_;
      return;
    case kDispiYres:
      if (!enabled && v <= kVbeMaxYres) d[kDispiYres] = v;
      else ++ignored_writes_;
      return;
    case kDispiBpp:
      if (v == 0) v = 8;  // Bochs: 0 means 8
      if (!enabled && valid_bpp(v)) d[kDispiBpp] = v;
      else ++ignored_writes_;
      return;
    case kDispiEnable: vbe_enable(v); return;
    case kDispiBank:
      if (v < (kVramSize >> 16)) d[kDispiBank] = v;
      else ++ignored_writes_;
      return;
    case kDispiVirtWidth:
      // A wider virtual screen for panning; it must hold a visible line and the visible rows.
      if (v >= d[kDispiXres] && vbe_max_virt_height(v) >= d[kDispiYres]) {
        d[kDispiVirtWidth] = v;
        d[kDispiVirtHeight] = uint16_t(vbe_max_virt_height(v));
      } else {
        ++ignored_writes_;
      }
      return;
    case kDispiVirtHeight:
      d[kDispiVirtHeight] =
          uint16_t(std::clamp<uint32_t>(v, d[kDispiYres], vbe_max_virt_height(d[kDispiVirtWidth])));
      return;
    case kDispiXOffset: d[kDispiXOffset] = v; return;  // the renderer bounds-checks the panning
    case kDispiYOffset: d[kDispiYOffset] = v; return;
    default: ++ignored_writes_; return;  // VIDEO_MEMORY_64K is read-only; others don't exist
  }
}

void Vga::vbe_enable(uint16_t v) {
  auto& d = state_.dispi;
  constexpr uint16_t kStored =
      kDispiEnabled | kDispiGetCaps | kDispi8BitDac | kDispiLfbEnabled | kDispiNoClearMem;
  v &= kStored;
  if ((v & kDispiEnabled) && !vbe_enabled()) {
    const uint64_t frame = uint64_t(d[kDispiXres]) * d[kDispiYres] * vbe_bytes_per_pixel();
    if (d[kDispiXres] == 0 || d[kDispiYres] == 0 || frame > kVramSize) {
      ++ignored_writes_;  // a mode that does not fit: stay in VGA mode
      v &= uint16_t(~kDispiEnabled);
    } else {
      d[kDispiVirtWidth] = d[kDispiXres];
      d[kDispiVirtHeight] = uint16_t(vbe_max_virt_height(d[kDispiXres]));
      d[kDispiXOffset] = d[kDispiYOffset] = 0;
      d[kDispiBank] = 0;
      if (!(v & kDispiNoClearMem)) std::memset(state_.vram.data(), 0, size_t(frame));
    }
  }
  d[kDispiEnable] = v;
}

uint32_t Vga::dispi_bus_read(uint64_t offset, unsigned width) {
  // Offset 0: index (0x1CE), 1: data (0x1CF), 2: the data's high byte when read as a word.
  if (offset == 0) return width >= 2 ? state_.dispi_index : state_.dispi_index & 0xFF;
  uint16_t data = dispi_read(state_.dispi_index);
  if (offset == 1) return width >= 2 ? data : data & 0xFF;
  return data >> 8;
}

void Vga::dispi_bus_write(uint64_t offset, unsigned width, uint32_t value) {
  ++changes_;
  if (offset == 0) {
    state_.dispi_index = uint16_t(width >= 2 ? value & 0xFFFF : value & 0xFF);
  } else if (offset == 1) {
    dispi_write(state_.dispi_index, uint16_t(width >= 2 ? value & 0xFFFF : value & 0xFF));
  } else {
    ++ignored_writes_;  // a lone byte write to 0x1D0
  }
}

}  // namespace vmlab::devices::vga
