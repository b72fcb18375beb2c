// PAM decoding and the shadow-RAM window (see pam.h).
#include "devices/pci/pam.h"

namespace vmlab::devices::pci {

std::array<PamRegion, kPamRegions> pam_regions(std::span<const uint8_t, kPamRegisters> pam) {
  std::array<PamRegion, kPamRegions> out{};
  const uint8_t bios = pam[0] >> 4;  // PAM0's low nibble is reserved
  out[0] = PamRegion{0xF0000, 0x10000, (bios & kPamRe) != 0, (bios & kPamWe) != 0};
  for (unsigned seg = 0; seg < kPamRegions - 1; ++seg) {
    const uint8_t nibble = uint8_t(pam[1 + seg / 2] >> (4 * (seg % 2))) & 0xF;
    out[1 + seg] = PamRegion{0xC0000 + seg * 0x4000u, 0x4000, (nibble & kPamRe) != 0,
                             (nibble & kPamWe) != 0};
  }
  return out;
}

void apply_pam(machine::GuestMemory& mem, const std::array<PamRegion, kPamRegions>& regions) {
  for (const PamRegion& r : regions) mem.set_shadow(r.base, r.size, r.read_ram, r.write_ram);
}

uint32_t ShadowWindow::read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) {
    const uint64_t pa = kBase + offset + i;
    uint8_t b = 0xFF;  // nothing on the PCI bus answers: all-ones, as an unclaimed address
    if (pa < kBase + kSize) {
      if (mem_.shadow_reads_ram(pa))
        b = mem_.ram_base()[pa];  // RAM is at least 1 MiB, so the shadow bytes exist
      else if (const uint8_t* rom = mem_.rom_ptr(pa, 1))
        b = *rom;
    }
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void ShadowWindow::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width && i < 4; ++i) {
    const uint64_t pa = kBase + offset + i;
    if (pa < kBase + kSize && mem_.shadow_writes_ram(pa)) {
      mem_.ram_base()[pa] = uint8_t(value >> (8 * i));
      mem_.note_write(pa, 1);
    } else {
      ++dropped_writes_;  // ROM, or no memory behind the PCI bus: the write is lost
    }
  }
}

}  // namespace vmlab::devices::pci
