// PciBus: the functions on PCI bus 0, keyed by device (0-31) and function (0-7). The host bridge
// routes configuration cycles here; a slot nobody registered answers as an empty slot does on a
// real bus (master abort): reads all-ones, writes dropped. Only bus 0 exists (no PCI-to-PCI
// bridges).
//
//   PciBus bus;
//   bus.add(0, 0, "i440fx", host_bridge);
//   bus.add(1, 0, "piix3-isa", isa);
//   bus.add(1, 1, "piix3-ide", ide);
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "devices/pci/pci_device.h"

namespace vmlab::devices::pci {

class PciBus {
 public:
  static constexpr unsigned kDevices = 32, kFunctions = 8;
  // Throws std::invalid_argument if dev/fn is out of range or already taken (a wiring bug).
  void add(unsigned dev, unsigned fn, std::string name, PciFunction& f);
  PciFunction* find(unsigned dev, unsigned fn) const;
  const std::string& name(unsigned dev, unsigned fn) const;
  // Configuration cycles; `offset` 0-255, `width` 1/2/4 within one dword.
  uint32_t read(unsigned dev, unsigned fn, unsigned offset, unsigned width) const;
  void write(unsigned dev, unsigned fn, unsigned offset, unsigned width, uint32_t value) const;
  uint64_t master_aborts() const { return master_aborts_; }  // accesses to empty slots

 private:
  struct Slot { PciFunction* fn = nullptr; std::string name; };
  const Slot* slot(unsigned dev, unsigned fn) const;
  std::array<Slot, kDevices * kFunctions> slots_{};
  mutable uint64_t master_aborts_ = 0;
};

}  // namespace vmlab::devices::pci
