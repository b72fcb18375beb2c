// Vga: display memory as the CPU sees it. The legacy window 0xA0000-0xBFFFF goes through the
// graphics controller (memory map select, chain-4, odd/even, read modes 0/1, write modes 0-3
// with rotate, set/reset, logical function and bit mask; IBM VGA TRM "Graphics Controller"),
// or, with VBE on, shows a 64 KiB bank of video memory; the linear framebuffer is plain bytes.
#include "devices/vga/vga.h"

#include <cstring>

namespace vmlab::devices::vga {

namespace {
uint8_t rotate_right(uint8_t v, unsigned n) {
  n &= 7;
  return n ? uint8_t(v >> n | v << (8 - n)) : v;
}
uint8_t expand(unsigned bit) { return bit ? 0xFF : 0x00; }
}  // namespace

uint8_t Vga::window_read(uint32_t offset) {
  const State& s = state_;
  if (vbe_enabled()) {
    if (offset >= 0x10000) return 0xFF;
    uint32_t a = uint32_t(s.dispi[kDispiBank]) * 0x10000 + offset;
    return a < kVramSize ? s.vram[a] : 0xFF;
  }
  if (!(s.misc & 0x02)) return 0xFF;  // misc bit 1: display memory disabled
  // GR6 bits 2-3: 0 = A0000 128K, 1 = A0000 64K, 2 = B0000 32K, 3 = B8000 32K.
  static constexpr uint32_t kStart[4] = {0, 0, 0x10000, 0x18000};
  static constexpr uint32_t kSize[4] = {0x20000, 0x10000, 0x8000, 0x8000};
  unsigned map = (s.gr[6] >> 2) & 3;
  if (offset < kStart[map] || offset - kStart[map] >= kSize[map]) return 0xFF;
  return planar_read(offset - kStart[map]);
}

void Vga::window_write(uint32_t offset, uint8_t v) {
  State& s = state_;
  if (vbe_enabled()) {
    uint32_t a = uint32_t(s.dispi[kDispiBank]) * 0x10000 + offset;
    if (offset < 0x10000 && a < kVramSize) s.vram[a] = v;
    else ++ignored_writes_;
    return;
  }
  static constexpr uint32_t kStart[4] = {0, 0, 0x10000, 0x18000};
  static constexpr uint32_t kSize[4] = {0x20000, 0x10000, 0x8000, 0x8000};
  unsigned map = (s.gr[6] >> 2) & 3;
  if (!(s.misc & 0x02) || offset < kStart[map] || offset - kStart[map] >= kSize[map]) {
    ++ignored_writes_;
    return;
  }
  planar_write(offset - kStart[map], v);
}

uint8_t Vga::planar_read(uint32_t addr) {
  State& s = state_;
  if (s.seq[4] & 0x08) return s.vram[addr & 0x3FFFF];  // chain-4: plane = address bits 0-1
  if (s.gr[5] & 0x10) {
    // Host odd/even: A0 picks plane 0/1 (2/3 with GR4 bit 1), the rest is the plane offset.
    unsigned plane = (s.gr[4] & 2) | (addr & 1);
    return s.vram[((addr >> 1) & 0xFFFF) * 4 + plane];
  }
  const uint32_t pa = addr & 0xFFFF;
  for (unsigned p = 0; p < 4; ++p) s.latch[p] = s.vram[pa * 4 + p];
  if (!(s.gr[5] & 0x08)) return s.latch[s.gr[4] & 3];  // read mode 0: one plane
  // Read mode 1 (colour compare): a 1 where every plane that GR7 cares about matches GR2.
  uint8_t differ = 0;
  for (unsigned p = 0; p < 4; ++p)
    if ((s.gr[7] >> p) & 1) differ |= s.latch[p] ^ expand((s.gr[2] >> p) & 1);
  return uint8_t(~differ);
}

void Vga::planar_write(uint32_t addr, uint8_t v) {
  State& s = state_;
  const uint8_t map_mask = s.seq[2] & 0x0F;
  if (s.seq[4] & 0x08) {
    if ((map_mask >> (addr & 3)) & 1) s.vram[addr & 0x3FFFF] = v;
    return;
  }
  if (!(s.seq[4] & 0x04)) {  // SR4 bit 2 clear: odd/even (text modes)
    unsigned plane = (s.gr[4] & 2) | (addr & 1);
    if ((map_mask >> plane) & 1) s.vram[((addr >> 1) & 0xFFFF) * 4 + plane] = v;
    return;
  }
  const uint32_t pa = addr & 0xFFFF;
  std::array<uint8_t, 4> data;
  uint8_t bit_mask = s.gr[8];
  const uint8_t set_reset = s.gr[0], enable_sr = s.gr[1];
  switch (s.gr[5] & 3) {
    case 0: {
      uint8_t r = rotate_right(v, s.gr[3]);
      for (unsigned p = 0; p < 4; ++p)
        data[p] = ((enable_sr >> p) & 1) ? expand((set_reset >> p) & 1) : r;
      break;
    }
    case 1:  // the latches as they are (a fast plane-to-plane copy)
      for (unsigned p = 0; p < 4; ++p)
        if ((map_mask >> p) & 1) s.vram[pa * 4 + p] = s.latch[p];
      return;
    case 2:
      for (unsigned p = 0; p < 4; ++p) data[p] = expand((v >> p) & 1);
      break;
    default: {  // 3: the rotated byte ANDed with the bit mask selects set/reset bits
      bit_mask &= rotate_right(v, s.gr[3]);
      for (unsigned p = 0; p < 4; ++p) data[p] = expand((set_reset >> p) & 1);
      break;
    }
  }
  const unsigned function = (s.gr[3] >> 3) & 3;  // 0 replace, 1 AND, 2 OR, 3 XOR with latch
  for (unsigned p = 0; p < 4; ++p) {
    uint8_t d = data[p];
    if (function == 1) d &= s.latch[p];
    else if (function == 2) d |= s.latch[p];
    else if (function == 3) d ^= s.latch[p];
    d = uint8_t((d & bit_mask) | (s.latch[p] & ~bit_mask));
    if ((map_mask >> p) & 1) s.vram[pa * 4 + p] = d;
  }
}

// Wider CPU accesses to the window are byte cycles, lowest address first (the VGA's data path
// is 8 bits wide for planar work).
uint32_t Vga::window_bus_read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i)
    v |= uint32_t(window_read(uint32_t(offset + i))) << (8 * i);
  return v;
}

void Vga::window_bus_write(uint64_t offset, unsigned width, uint32_t value) {
  ++changes_;
  for (unsigned i = 0; i < width && i < 4; ++i)
    window_write(uint32_t(offset + i), uint8_t(value >> (8 * i)));
}

uint32_t Vga::lfb_bus_read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) {
    uint64_t a = offset + i;
    v |= uint32_t(a < kVramSize ? state_.vram[a] : 0xFF) << (8 * i);
  }
  return v;
}

void Vga::lfb_bus_write(uint64_t offset, unsigned width, uint32_t value) {
  ++changes_;
  if (width <= 4 && offset + width <= kVramSize) {
    uint8_t bytes[4] = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16),
                        uint8_t(value >> 24)};
    std::memcpy(&state_.vram[offset], bytes, width);
    return;
  }
  ++ignored_writes_;
}

}  // namespace vmlab::devices::vga
