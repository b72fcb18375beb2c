// The Intel 82371SB (PIIX3) PCI-to-ISA bridge as PCI device 1 of the i440FX board: function 0
// (ISA bridge, with the PIRQ routing registers) and function 1 (IDE controller, configuration
// space only).
//
//   Piix3Isa isa;  Piix3Ide ide;
//   bus.add(1, 0, "piix3-isa", isa);
//   bus.add(1, 1, "piix3-ide", ide);
//   auto irq = isa.isa_irq_for(dev, Piix3Isa::kIntA);  // std::nullopt: not routed
//
// PIRQRC[A-D] at 0x60-0x63: bit 7 set = routing disabled (the power-on value 0x80), bits 3-0 the
// ISA IRQ. IRQs 0, 1, 2, 8 and 13 are reserved values in the datasheet: a PIRQ programmed with one
// of them is treated as not routed. Bits 6-4 are reserved and read zero.
//
// NOT implemented yet in function 0: the other ISA-bridge registers (ISA clock, XBCS, top of
// memory, MBIRQ, APIC base...) read zero; ELCR lives in pic8259.
// Function 1: legacy mode only (prog-if 0x80: bus-master capable, both channels in compatibility
// mode at 0x1F0/0x3F6 and 0x170/0x376, IRQ 14/15, so no interrupt pin). BAR4 is the 16-byte
// bus-master I/O block; IDETIM (0x40-0x43) and SIDETIM (0x44) are storage. The ATA and
// bus-master registers themselves are a separate device.
#pragma once
#include <cstdint>
#include <optional>

#include "devices/pci/pci_device.h"

namespace vmlab::devices::pci {

class Piix3Isa : public PciDevice {
 public:
  static constexpr unsigned kPirqRoute = 0x60;  // PIRQRC[A] .. [D] at 0x60-0x63
  static constexpr uint8_t kPirqDisabled = 0x80;
  static constexpr unsigned kIntA = 0, kIntB = 1, kIntC = 2, kIntD = 3;
  Piix3Isa();
  // The ISA IRQ PIRQ `pirq` (0-3 = A-D) is routed to, or nullopt if disabled/reserved.
  std::optional<unsigned> pirq_irq(unsigned pirq) const;
  // Board wiring (the i440FX/PIIX3 reference board, as QEMU's): INTx# of the device in slot
  // `dev` drives PIRQ (intx + dev - 1) mod 4.
  static unsigned pirq_for(unsigned dev, unsigned intx) { return (intx + dev + 3) & 3; }
  std::optional<unsigned> isa_irq_for(unsigned dev, unsigned intx) const {
    return pirq_irq(pirq_for(dev, intx));
  }
};

class Piix3Ide : public PciDevice {
 public:
  static constexpr unsigned kIdeTim = 0x40, kSideTim = 0x44, kBmBar = 4;
  static constexpr uint32_t kBmSize = 16;
  Piix3Ide();
};

}  // namespace vmlab::devices::pci
