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
// mode at 0x1F0/0x3F6 and 0x170/0x376, IRQ 14/15, so no interrupt pin). BAR4 (BMIBA) is the
// 16-byte bus-master I/O block (a base above 0xFFFF decodes nothing reachable); IDETIM (0x40-0x43) and SIDETIM (0x44) are storage. The ATA channels and the
// bus-master engine are devices/ide; attach_bus_master() keeps the engine mapped at BAR4.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "devices/pci/pci_device.h"
#include "machine/io_bus.h"

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
  // Maps `bm` on `io` at BAR4 while the BAR decodes (I/O enable set, base non-zero) and moves
  // it when the driver moves the BAR. A base that overlaps another device's ports is left
  // unmapped (counted, logged once) rather than stealing them. Both must outlive this.
  void attach_bus_master(machine::IoBus& io, machine::BusDevice& bm);
  bool bus_master_enabled() const { return command() & kCmdBusMaster; }
  uint64_t bar_conflicts() const { return bar_conflicts_; }
  // Called when the command register's bus-master bit turns on: a DMA the engine was started
  // for can run now.
  void on_bus_master_enable(std::function<void()> fn) { on_master_enable_ = std::move(fn); }
  void config_write(unsigned offset, unsigned width, uint32_t value) override;

 private:
  std::function<void()> on_master_enable_;
  bool bm_mapped_ = false;
  uint32_t bm_base_ = 0;
  uint64_t bar_conflicts_ = 0;
};

}  // namespace vmlab::devices::pci
