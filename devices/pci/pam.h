// The i440FX's Programmable Attribute Map (PAM, configuration registers 0x59-0x5F): how the
// BIOS area 0xF0000-0xFFFFF and the twelve 16 KiB segments 0xC0000-0xEFFFF decode. Each region
// has a read-enable and a write-enable bit; an enabled direction goes to the DRAM behind the
// region ("shadow RAM"), a disabled one to the PCI bus, where the BIOS ROM answers (82441FX
// datasheet, section 3.2.13):
//
//   RE WE  mode        reads           writes
//    0  0  disabled    ROM / PCI       ROM (dropped) / PCI
//    1  0  read-only   shadow RAM      ROM (dropped) / PCI
//    0  1  write-only  ROM / PCI       shadow RAM
//    1  1  read/write  shadow RAM      shadow RAM
//
// PAM0 holds only the BIOS area, in its high nibble; PAM1-PAM6 hold two segments each, the
// lower address in the low nibble. Bit 0 (4) of a nibble is RE, bit 1 (5) WE. The power-on value
// of every register is 0: everything goes to the ROM, as before any firmware touches the chipset.
//
//   std::array<PamRegion, kPamRegions> r = pam_regions(pam_bytes);    // pure, unit-tested
//   ShadowWindow window(mem);   mmio.add(0xC0000, 0x40000, "pam-shadow", window);
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "machine/guest_memory.h"
#include "machine/io_bus.h"

namespace vmlab::devices::pci {

inline constexpr unsigned kPamRegisters = 7;   // PAM0-PAM6, configuration offsets 0x59-0x5F
inline constexpr unsigned kPamRegions = 13;    // the BIOS area + 12 segments
inline constexpr uint8_t kPamRe = 0x1, kPamWe = 0x2;  // in each nibble

struct PamRegion {
  uint32_t base = 0;
  uint32_t size = 0;
  bool read_ram = false;   // RE: reads come from shadow RAM
  bool write_ram = false;  // WE: writes go to shadow RAM
  bool operator==(const PamRegion&) const = default;
};

// The regions PAM0..PAM6 describe, BIOS area first, then 0xC0000, 0xC4000, ... 0xEC000.
std::array<PamRegion, kPamRegions> pam_regions(std::span<const uint8_t, kPamRegisters> pam);

// Applies the regions to guest memory (GuestMemory::set_shadow).
void apply_pam(machine::GuestMemory& mem, const std::array<PamRegion, kPamRegions>& regions);

// What the CPU reaches at 0xC0000-0xFFFFF when GuestMemory gives it no pointer: a page whose
// reads go to the PCI bus reads the BIOS ROM (or all-ones where no ROM is), a page whose writes
// go to shadow RAM gets them (write-only mode), any other write is dropped and counted.
// Registered on the MmioBus at 0xC0000 (offsets are from there).
class ShadowWindow : public machine::BusDevice {
 public:
  static constexpr uint32_t kBase = 0xC0000, kSize = 0x40000;
  explicit ShadowWindow(machine::GuestMemory& mem) : mem_(mem) {}
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  uint64_t dropped_writes() const { return dropped_writes_; }  // host-side statistic

 private:
  machine::GuestMemory& mem_;
  uint64_t dropped_writes_ = 0;
};

}  // namespace vmlab::devices::pci
