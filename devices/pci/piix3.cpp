// PIIX3 functions 0 and 1 (see piix3.h).
#include "devices/pci/piix3.h"

#include <cstdio>
#include <stdexcept>

namespace vmlab::devices::pci {

namespace {
PciDevice::Identity isa_identity() {
  PciDevice::Identity id;
  id.vendor = 0x8086;
  id.device = 0x7000;
  id.class_code = 0x06;  // bridge
  id.subclass = 0x01;    // PCI-to-ISA
  id.header_type = kHeaderMultifunction;  // function 1 (IDE) exists
  // The bridge always claims I/O and memory cycles and masters for ISA DMA: hard-wired.
  id.command = kCmdIo | kCmdMemory | kCmdBusMaster;
  id.command_mask = kCmdSerr;
  id.status = 0x0200;  // DEVSEL medium
  return id;
}

PciDevice::Identity ide_identity() {
  PciDevice::Identity id;
  id.vendor = 0x8086;
  id.device = 0x7010;
  id.class_code = 0x01;  // mass storage
  id.subclass = 0x01;    // IDE
  id.prog_if = 0x80;     // bus master; both channels fixed in compatibility mode
  id.command_mask = kCmdIo | kCmdBusMaster;
  id.status = 0x0280;    // fast back-to-back, DEVSEL medium
  return id;
}

PciDevice::BarSpecs ide_bars() {
  PciDevice::BarSpecs b{};
  b[Piix3Ide::kBmBar] = PciBarSpec{Piix3Ide::kBmSize, true};
  return b;
}

bool valid_isa_irq(unsigned irq) {
  return irq >= 3 && irq <= 15 && irq != 8 && irq != 13;
}
}  // namespace

Piix3Isa::Piix3Isa() : PciDevice(isa_identity()) {
  for (unsigned i = 0; i < 4; ++i) define_register(kPirqRoute + i, 1, kPirqDisabled, 0x8F);
}

std::optional<unsigned> Piix3Isa::pirq_irq(unsigned pirq) const {
  if (pirq > 3) return std::nullopt;
  uint8_t r = byte(kPirqRoute + pirq);
  if (r & kPirqDisabled) return std::nullopt;
  unsigned irq = r & 0x0F;
  if (!valid_isa_irq(irq)) return std::nullopt;
  return irq;
}

Piix3Ide::Piix3Ide() : PciDevice(ide_identity(), ide_bars()) {
  define_register(kIdeTim, 2, 0, 0xFFFF);      // primary channel timing
  define_register(kIdeTim + 2, 2, 0, 0xFFFF);  // secondary channel timing
  define_register(kSideTim, 1, 0, 0xFF);       // slave timing
}

void Piix3Ide::config_write(unsigned offset, unsigned width, uint32_t value) {
  const bool before = bus_master_enabled();
  PciDevice::config_write(offset, width, value);
  if (!before && bus_master_enabled() && on_master_enable_) on_master_enable_();
}

void Piix3Ide::attach_bus_master(machine::IoBus& io, machine::BusDevice& bm) {
  auto remap = [this, &io, &bm](const BarMapping& now) {
    if (bm_mapped_) io.remove(bm_base_);
    bm_mapped_ = false;
    if (!now.enabled) return;
    try {
      io.add(now.base, kBmSize, "ide-busmaster", bm);
      bm_mapped_ = true;
      bm_base_ = now.base;
    } catch (const std::invalid_argument& e) {
      if (bar_conflicts_++ == 0)
        std::fprintf(stderr, "vmlab: piix3-ide: BAR4 at %#x not mapped: %s\n", now.base, e.what());
    }
  };
  on_bar_change([remap](int bar, const BarMapping& now) {
    if (bar == int(kBmBar)) remap(now);
  });
  remap(bar(kBmBar));
}

}  // namespace vmlab::devices::pci
