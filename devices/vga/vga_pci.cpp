// The VGA PCI function and its framebuffer mapping (see vga_pci.h).
#include "devices/vga/vga_pci.h"

#include <fmt/format.h>

#include <stdexcept>

namespace vmlab::devices::vga {

namespace {
pci::PciDevice::Identity identity() {
  pci::PciDevice::Identity id;
  id.vendor = VgaPci::kVendor;
  id.device = VgaPci::kDevice;
  id.class_code = 0x03;  // display controller
  id.subclass = 0x00;    // VGA-compatible
  id.revision = 0x02;    // as QEMU's stdvga
  id.command_mask = pci::kCmdIo | pci::kCmdMemory;  // no bus mastering, no interrupt
  return id;
}

pci::PciDevice::BarSpecs bars() {
  pci::PciDevice::BarSpecs b{};
  b[0] = pci::PciBarSpec{kVramSize, false};
  return b;
}
}  // namespace

VgaPci::VgaPci(Vga& vga, machine::MmioBus& mmio) : PciDevice(identity(), bars()), vga_(vga), mmio_(mmio) {
  // BAR0 type bits: memory, 32-bit, prefetchable (bit 3) - a framebuffer may be write-combined.
  define_register(pci::kBar0, 4, 0x08, ~(kVramSize - 1));
  define_register(0x2C, 4, 0x11001AF4, 0);  // subsystem vendor/device, as QEMU reports them
  on_bar_change([this](int bar, const pci::BarMapping& now) {
    if (bar == 0) remap(now);
  });
}

VgaPci::~VgaPci() {
  if (mapped_) mmio_.remove(*mapped_);
}

void VgaPci::remap(const pci::BarMapping& now) {
  if (mapped_) {
    mmio_.remove(*mapped_);
    mapped_.reset();
  }
  if (!now.enabled) return;
  try {
    mmio_.add(now.base, now.size, "vga-lfb", vga_.framebuffer());
    mapped_ = now.base;
  } catch (const std::invalid_argument& e) {
    // The guest put BAR0 over another device: the framebuffer stays unmapped until it moves.
    if (refused_++ == 0) fmt::print(stderr, "vga: BAR0 at {:#x} not mapped: {}\n", now.base, e.what());
  }
}

}  // namespace vmlab::devices::vga
