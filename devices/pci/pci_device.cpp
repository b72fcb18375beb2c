// Generic PCI type-0 configuration space (see pci_device.h).
#include "devices/pci/pci_device.h"

#include <stdexcept>

namespace vmlab::devices::pci {

namespace {
void put(std::array<uint8_t, 256>& a, unsigned offset, unsigned width, uint32_t v) {
  for (unsigned i = 0; i < width; ++i) a[(offset + i) & 0xFF] = uint8_t(v >> (8 * i));
}
bool power_of_two(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }
}  // namespace

PciDevice::PciDevice(const Identity& id, const BarSpecs& bars) : bars_(bars) {
  auto& c = power_on_.config;
  put(c, kVendorId, 2, id.vendor);
  put(c, kDeviceId, 2, id.device);
  put(c, kCommand, 2, id.command);  // bits outside the mask are hard-wired
  put(c, kStatus, 2, id.status);
  c[kRevision] = id.revision;
  c[kProgIf] = id.prog_if;
  c[kSubclass] = id.subclass;
  c[kClassCode] = id.class_code;
  c[kHeaderType] = id.header_type;
  c[kInterruptPin] = id.interrupt_pin;
  put(wmask_, kCommand, 2, id.command_mask);
  put(w1c_, kStatus, 2, kStatusW1c);
  wmask_[kInterruptLine] = 0xFF;
  for (int i = 0; i < 6; ++i) {
    const PciBarSpec& b = bars_[i];
    if (b.size == 0) continue;
    if (!power_of_two(b.size) || b.size < (b.io ? 4u : 16u))
      throw std::invalid_argument("PciDevice: BAR size must be a power of two >= 4 (I/O) or 16");
    unsigned off = kBar0 + 4 * unsigned(i);
    // Address bits below the size are hard-wired to zero; bit 0 tells I/O (1) from memory (0),
    // memory bits 1-3 (type 32-bit, not prefetchable) are zero.
    put(wmask_, off, 4, ~(b.size - 1) & (b.io ? 0xFFFFFFFCu : 0xFFFFFFF0u));
    put(c, off, 4, b.io ? 1u : 0u);
  }
  state_ = power_on_;
}

void PciDevice::define_register(unsigned offset, unsigned width, uint32_t reset_value,
                                uint32_t write_mask) {
  put(power_on_.config, offset, width, reset_value);
  put(wmask_, offset, width, write_mask);
  put(state_.config, offset, width, reset_value);
}

uint32_t PciDevice::config_read(unsigned offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) v |= uint32_t(state_.config[(offset + i) & 0xFF]) << (8 * i);
  return v;
}

void PciDevice::config_write(unsigned offset, unsigned width, uint32_t value) {
  auto before = mappings();
  for (unsigned i = 0; i < width && i < 4; ++i) {
    unsigned o = (offset + i) & 0xFF;
    uint8_t v = uint8_t(value >> (8 * i));
    uint8_t& b = state_.config[o];
    b = uint8_t((b & ~wmask_[o]) | (v & wmask_[o]));
    b = uint8_t(b & ~(v & w1c_[o]));
  }
  notify_bar_changes(before);
}

BarMapping PciDevice::bar(int i) const {
  BarMapping m;
  if (i < 0 || i >= 6 || bars_[i].size == 0) return m;
  unsigned off = kBar0 + 4 * unsigned(i);
  uint32_t raw = config_read_const(off);
  m.io = bars_[i].io;
  m.size = bars_[i].size;
  m.base = raw & ~(m.size - 1) & (m.io ? 0xFFFFFFFCu : 0xFFFFFFF0u);
  bool decode = command() & (m.io ? kCmdIo : kCmdMemory);
  m.enabled = decode && m.base != 0;
  return m;
}

uint32_t PciDevice::config_read_const(unsigned offset) const {
  uint32_t v = 0;
  for (unsigned i = 0; i < 4; ++i) v |= uint32_t(state_.config[(offset + i) & 0xFF]) << (8 * i);
  return v;
}

std::array<BarMapping, 6> PciDevice::mappings() const {
  std::array<BarMapping, 6> m;
  for (int i = 0; i < 6; ++i) m[i] = bar(i);
  return m;
}

void PciDevice::notify_bar_changes(const std::array<BarMapping, 6>& before) {
  if (!bar_cb_) return;
  for (int i = 0; i < 6; ++i) {
    // While a BAR does not decode, its base is not visible on the bus: a sizing probe with
    // decode off moves nothing.
    BarMapping now = bar(i);
    bool moved = now.enabled != before[i].enabled || (now.enabled && now.base != before[i].base);
    if (moved) bar_cb_(i, now);
  }
}

void PciDevice::reset() {
  auto before = mappings();
  state_ = power_on_;
  notify_bar_changes(before);
}

void PciDevice::restore(const State& s) {
  auto before = mappings();
  for (unsigned o = 0; o < 256; ++o)
    state_.config[o] = uint8_t((power_on_.config[o] & ~wmask_[o]) | (s.config[o] & wmask_[o]));
  // Status error bits are not writable but are live state: keep what the snapshot had.
  for (unsigned o = 0; o < 256; ++o)
    state_.config[o] = uint8_t((state_.config[o] & ~w1c_[o]) | (s.config[o] & w1c_[o]));
  notify_bar_changes(before);
}

}  // namespace vmlab::devices::pci
