// PCI bus 0: function registry and configuration cycle routing (see pci_bus.h).
#include "devices/pci/pci_bus.h"

#include <stdexcept>

namespace vmlab::devices::pci {

namespace {
uint32_t all_ones(unsigned width) { return width >= 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1; }
const std::string kEmpty;
}  // namespace

void PciBus::add(unsigned dev, unsigned fn, std::string name, PciFunction& f) {
  if (dev >= kDevices || fn >= kFunctions)
    throw std::invalid_argument("PciBus::add: device/function out of range for " + name);
  Slot& s = slots_[dev * kFunctions + fn];
  if (s.fn)
    throw std::invalid_argument("PciBus::add: " + name + " overlaps " + s.name);
  s.fn = &f;
  s.name = std::move(name);
}

const PciBus::Slot* PciBus::slot(unsigned dev, unsigned fn) const {
  if (dev >= kDevices || fn >= kFunctions) return nullptr;
  const Slot& s = slots_[dev * kFunctions + fn];
  return s.fn ? &s : nullptr;
}

PciFunction* PciBus::find(unsigned dev, unsigned fn) const {
  const Slot* s = slot(dev, fn);
  return s ? s->fn : nullptr;
}

const std::string& PciBus::name(unsigned dev, unsigned fn) const {
  const Slot* s = slot(dev, fn);
  return s ? s->name : kEmpty;
}

uint32_t PciBus::read(unsigned dev, unsigned fn, unsigned offset, unsigned width) const {
  PciFunction* f = find(dev, fn);
  if (!f || offset > 0xFF || (offset & 3) + width > 4) {
    ++master_aborts_;
    return all_ones(width);
  }
  return f->config_read(offset, width);
}

void PciBus::write(unsigned dev, unsigned fn, unsigned offset, unsigned width, uint32_t value) const {
  PciFunction* f = find(dev, fn);
  if (!f || offset > 0xFF || (offset & 3) + width > 4) {
    ++master_aborts_;
    return;
  }
  f->config_write(offset, width, value);
}

}  // namespace vmlab::devices::pci
