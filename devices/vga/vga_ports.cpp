// Vga: the I/O ports 0x3B0-0x3DF (IBM VGA Technical Reference; FreeVGA's register pages).
// Indexed register files keep the index until the next index write, as drivers assume: a
// driver writes 0x3C4 once and then reads/writes 0x3C5 repeatedly.
#include "devices/vga/vga.h"

namespace vmlab::devices::vga {

namespace {
constexpr unsigned kBase = 0x3B0;
// Implemented bits of each register; the rest read as 0.
constexpr uint8_t kSeqMask[5] = {0x03, 0x3D, 0x0F, 0x3F, 0x0E};
constexpr uint8_t kGrMask[9] = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};
uint8_t ar_mask(unsigned index) {
  if (index < 0x10) return 0x3F;
  constexpr uint8_t m[5] = {0xEF, 0xFF, 0x3F, 0x0F, 0x0F};  // AR10-AR14
  return m[index - 0x10];
}
}  // namespace

uint32_t Vga::read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i)
    v |= uint32_t(read_port(unsigned(kBase + offset + i))) << (8 * i);
  return v;
}

void Vga::write(uint64_t offset, unsigned width, uint32_t value) {
  ++changes_;
  for (unsigned i = 0; i < width && i < 4; ++i)
    write_port(unsigned(kBase + offset + i), uint8_t(value >> (8 * i)));
}

uint8_t Vga::read_port(unsigned port) {
  State& s = state_;
  // The CRTC and input status 1 answer at 0x3Bx (mono) or 0x3Dx (colour), per misc bit 0.
  const unsigned io_base = color_io() ? 0x3D0 : 0x3B0;
  switch (port) {
    case 0x3C0: return s.ar_index;
    case 0x3C1: {
      unsigned i = s.ar_index & 0x1F;
      return i < s.ar.size() ? s.ar[i] : 0;
    }
    case 0x3C2: return 0x00;  // input status 0: no CRT interrupt, switch sense 0
    case 0x3C3: return s.vga_enable;
    case 0x3C4: return s.seq_index;
    case 0x3C5: return s.seq_index < s.seq.size() ? s.seq[s.seq_index] : 0xFF;
    case 0x3C6: return s.pel_mask;
    case 0x3C7: return s.dac_reading ? 0x03 : 0x00;  // DAC state
    case 0x3C8: return s.dac_write_index;
    case 0x3C9: return read_dac_data();
    case 0x3CA: return s.feature;
    case 0x3CC: return s.misc;
    case 0x3CE: return s.gr_index;
    case 0x3CF: return s.gr_index < s.gr.size() ? s.gr[s.gr_index] : 0xFF;
    default: break;
  }
  if (port == io_base + 4) return s.crtc_index;
  if (port == io_base + 5) return s.crtc_index < s.crtc.size() ? s.crtc[s.crtc_index] : 0xFF;
  if (port == io_base + 0xA) {
    // Reading input status 1 also resets the attribute controller's flip-flop to "index":
    // that is how every driver gets the flip-flop into a known state.
    uint8_t v = input_status1();
    ++status_reads_;
    s.ar_flip_flop = false;
    return v;
  }
  return 0xFF;  // the other pair, and ports no VGA register answers
}

void Vga::write_port(unsigned port, uint8_t v) {
  State& s = state_;
  const unsigned io_base = color_io() ? 0x3D0 : 0x3B0;
  switch (port) {
    case 0x3C0:
      if (!s.ar_flip_flop) {
        s.ar_index = v & 0x3F;
      } else {
        unsigned i = s.ar_index & 0x1F;
        if (i < s.ar.size()) s.ar[i] = v & ar_mask(i);
        else ++ignored_writes_;
      }
      s.ar_flip_flop = !s.ar_flip_flop;
      return;
    case 0x3C2: s.misc = v; return;
    case 0x3C3: s.vga_enable = v & 1; return;
    case 0x3C4: s.seq_index = v & 7; return;
    case 0x3C5:
      if (s.seq_index < s.seq.size()) s.seq[s.seq_index] = v & kSeqMask[s.seq_index];
      else ++ignored_writes_;
      return;
    case 0x3C6: s.pel_mask = v; return;
    case 0x3C7: s.dac_read_index = v; s.dac_sub = 0; s.dac_reading = true; return;
    case 0x3C8: s.dac_write_index = v; s.dac_sub = 0; s.dac_reading = false; return;
    case 0x3C9: write_dac_data(v); return;
    case 0x3CE: s.gr_index = v & 0x0F; return;
    case 0x3CF:
      if (s.gr_index < s.gr.size()) s.gr[s.gr_index] = v & kGrMask[s.gr_index];
      else ++ignored_writes_;
      return;
    default: break;
  }
  if (port == io_base + 4) { s.crtc_index = v & 0x3F; return; }
  if (port == io_base + 5) { write_crtc(v); return; }
  if (port == io_base + 0xA) { s.feature = v & 0x03; return; }
  ++ignored_writes_;  // read-only ports (0x3C1, 0x3CA, 0x3CC) and the other I/O pair
}

void Vga::write_crtc(uint8_t v) {
  State& s = state_;
  unsigned i = s.crtc_index;
  if (i >= s.crtc.size()) { ++ignored_writes_; return; }
  // CR11 bit 7 write-protects CR00-CR07, except the line-compare bit 8 in CR07 (bit 4).
  if ((s.crtc[0x11] & 0x80) && i <= 7) {
    if (i == 7) s.crtc[7] = uint8_t((s.crtc[7] & ~0x10) | (v & 0x10));
    else ++ignored_writes_;
    return;
  }
  s.crtc[i] = v;
}

uint8_t Vga::read_dac_data() {
  State& s = state_;
  uint8_t v = s.palette[s.dac_read_index * 3 + s.dac_sub];
  if (++s.dac_sub == 3) {
    s.dac_sub = 0;
    ++s.dac_read_index;  // wraps at 256, as the 8-bit index register does
  }
  return v;
}

void Vga::write_dac_data(uint8_t v) {
  State& s = state_;
  const bool eight_bit = s.dispi[kDispiEnable] & kDispi8BitDac;
  s.dac_cache[s.dac_sub] = eight_bit ? v : v & 0x3F;
  if (++s.dac_sub == 3) {
    // The entry changes only once all three components are in, so the display never shows a
    // half-written colour.
    for (unsigned c = 0; c < 3; ++c) s.palette[s.dac_write_index * 3 + c] = s.dac_cache[c];
    s.dac_sub = 0;
    ++s.dac_write_index;
  }
}

}  // namespace vmlab::devices::vga
