// The VGA's PCI display function, as QEMU's `-vga std` shows it: 1234:1111, class 0x030000
// (VGA-compatible controller), BAR0 = the 16 MiB linear framebuffer, a 32-bit prefetchable
// memory BAR. The function keeps the MmioBus registration of the framebuffer in step with BAR0:
// mapped while memory decoding is on and the BAR is non-zero, moved when the BAR moves.
//
//   Vga vga(&clock);
//   VgaPci pci_vga(vga, mmio);
//   pci_bus.add(2, 0, "vga", pci_vga);     // 00:02.0, as QEMU places it
//
// The legacy resources (0x3B0-0x3DF, 0xA0000-0xBFFFF, 0x1CE-0x1D0) are decoded regardless of
// the command register, as on a PC's primary VGA. No expansion ROM, no MMIO BAR2 (QEMU's
// "stdvga mmio" registers), no interrupt pin.
#pragma once
#include <cstdint>
#include <optional>

#include "devices/pci/pci_device.h"
#include "devices/vga/vga.h"
#include "machine/io_bus.h"

namespace vmlab::devices::vga {

class VgaPci : public pci::PciDevice {
 public:
  static constexpr uint16_t kVendor = 0x1234, kDevice = 0x1111;
  VgaPci(Vga& vga, machine::MmioBus& mmio);
  ~VgaPci() override;
  VgaPci(const VgaPci&) = delete;
  VgaPci& operator=(const VgaPci&) = delete;

  // Where the framebuffer is mapped on the MmioBus now, if anywhere.
  std::optional<uint32_t> lfb_base() const { return mapped_; }
  // BAR placements the bus refused because they overlapped another region (guest nonsense).
  uint64_t refused_mappings() const { return refused_; }

 private:
  void remap(const pci::BarMapping& now);

  Vga& vga_;
  machine::MmioBus& mmio_;
  std::optional<uint32_t> mapped_;
  uint64_t refused_ = 0;
};

}  // namespace vmlab::devices::vga
