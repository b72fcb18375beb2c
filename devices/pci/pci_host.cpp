// PCI configuration mechanism #1, reset control and the i440FX host bridge (see pci_host.h).
#include "devices/pci/pci_host.h"

#include <stdexcept>

namespace vmlab::devices::pci {

uint32_t PciHost::read(uint64_t offset, unsigned width) {
  if (offset == 0 && width == 4) return state_.config_address;
  if (offset >= 4 && offset < 8 && (offset & 3) + width <= 4) return data_read(unsigned(offset & 3), width);
  // Anything else (partial CONFIG_ADDRESS, an access straddling the data dword) is byte cycles.
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i) v |= uint32_t(read_byte(unsigned(offset + i))) << (8 * i);
  return v;
}

void PciHost::write(uint64_t offset, unsigned width, uint32_t value) {
  if (offset == 0 && width == 4) {
    state_.config_address = value & kAddressMask;
    return;
  }
  if (offset >= 4 && offset < 8 && (offset & 3) + width <= 4) {
    data_write(unsigned(offset & 3), width, value);
    return;
  }
  for (unsigned i = 0; i < width && i < 4; ++i) write_byte(unsigned(offset + i), uint8_t(value >> (8 * i)));
}

uint8_t PciHost::read_byte(unsigned offset) {
  if (offset == 1) return state_.reset_control;
  if (offset >= 4 && offset < 8) return uint8_t(data_read(offset & 3, 1));
  return 0xFF;  // 0xCF8, 0xCFA, 0xCFB as bytes: nobody answers
}

void PciHost::write_byte(unsigned offset, uint8_t v) {
  if (offset == 1) {
    state_.reset_control = v & kRcrHard;
    if (v & kRcrResetCpu) {
      ++reset_requests_;
      if (on_reset_) on_reset_(v & kRcrHard);
    }
    return;
  }
  if (offset >= 4 && offset < 8) data_write(offset & 3, 1, v);
}

uint32_t PciHost::data_read(unsigned lane, unsigned width) {
  uint32_t a = state_.config_address;
  if (!(a & kEnable)) return width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1;
  unsigned bus = (a >> 16) & 0xFF, dev = (a >> 11) & 0x1F, fn = (a >> 8) & 7;
  unsigned reg = (a & 0xFC) + lane;
  if (bus != 0) return width == 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1;
  return bus_.read(dev, fn, reg, width);
}

void PciHost::data_write(unsigned lane, unsigned width, uint32_t value) {
  uint32_t a = state_.config_address;
  if (!(a & kEnable)) return;
  unsigned bus = (a >> 16) & 0xFF, dev = (a >> 11) & 0x1F, fn = (a >> 8) & 7;
  if (bus != 0) return;
  bus_.write(dev, fn, (a & 0xFC) + lane, width, value);
}

void PciHost::restore(const State& s) {
  state_.config_address = s.config_address & kAddressMask;
  state_.reset_control = s.reset_control & kRcrHard;
}

namespace {
PciDevice::Identity i440fx_identity() {
  PciDevice::Identity id;
  id.vendor = 0x8086;
  id.device = 0x1237;
  id.class_code = 0x06;  // bridge
  id.subclass = 0x00;    // host bridge
  id.revision = 0x02;
  id.command = kCmdMemory | kCmdBusMaster;  // the host bridge always decodes and masters
  id.command_mask = kCmdParity | kCmdSerr;  // memory/bus master are hard-wired on
  id.status = 0x0280;                       // fast back-to-back capable, DEVSEL medium
  return id;
}
}  // namespace

I440fxHostBridge::I440fxHostBridge(machine::GuestMemory* mem)
    : PciDevice(i440fx_identity()), mem_(mem) {
  // PAM0 (0x59) has only the high nibble (BIOS area 0xF0000); PAM1-6 two nibbles of RE/WE bits.
  define_register(kPam0, 1, 0x00, 0x30);
  for (unsigned o = kPam0 + 1; o <= kPam0 + 6; ++o) define_register(o, 1, 0x00, 0x33);
  define_register(kSmram, 1, 0x02, 0x78);  // C_BASE_SEG reads 010 (0xA0000); open/close/lock bits
  if (mem_) {
    window_ = std::make_unique<ShadowWindow>(*mem_);
    applied_ = pam();
    apply_pam(*mem_, applied_);
  }
}

std::array<PamRegion, kPamRegions> I440fxHostBridge::pam() const {
  std::array<uint8_t, kPamRegisters> regs{};
  for (unsigned i = 0; i < kPamRegisters; ++i) regs[i] = byte(kPam0 + i);
  return pam_regions(regs);
}

ShadowWindow& I440fxHostBridge::shadow_window() {
  if (!window_) throw std::logic_error("i440fx: shadow_window() needs a bridge built with guest memory");
  return *window_;
}

void I440fxHostBridge::update_pam() {
  const std::array<PamRegion, kPamRegions> now = pam();
  if (!mem_ || now == applied_) return;
  applied_ = now;
  apply_pam(*mem_, now);
  if (map_cb_) map_cb_();
}

void I440fxHostBridge::config_write(unsigned offset, unsigned width, uint32_t value) {
  PciDevice::config_write(offset, width, value);
  if (offset < kPam0 + kPamRegisters && offset + width > kPam0) update_pam();
}

void I440fxHostBridge::reset() {
  PciDevice::reset();
  update_pam();
}

void I440fxHostBridge::restore(const State& s) {
  PciDevice::restore(s);
  update_pam();
}

}  // namespace vmlab::devices::pci
