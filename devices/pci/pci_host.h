// The PCI host bridge: configuration mechanism #1 at ports 0xCF8-0xCFF, the PIIX3 reset control
// register at 0xCF9, and the i440FX's own configuration space (function 00:00.0).
//
//   PciHost host(pci_bus, [&](bool hard) { machine.request_reset(hard); });
//   io.add(0xCF8, 8, "pci-host", host);
//
// CONFIG_ADDRESS (0xCF8, dword accesses only): bit 31 enable, 23-16 bus, 15-11 device, 10-8
// function, 7-2 dword register. Bits 30-24 and 1-0 are reserved and read back zero. A dword
// access to 0xCFC-0xCFF (CONFIG_DATA) with bit 31 set becomes a configuration cycle; byte and
// word accesses at 0xCFD-0xCFF reach the matching byte lanes of the selected dword. With bit 31
// clear, CONFIG_DATA is ordinary unclaimed I/O: reads all-ones, writes dropped.
//
// A byte or word access to 0xCF8-0xCFB is NOT a CONFIG_ADDRESS access on real chipsets (only a
// full dword is): it goes to whatever else lives there, which on PIIX3 is the reset control
// register at 0xCF9 alone. So 0xCF8, 0xCFA and 0xCFB answer byte-wise as unclaimed ports (0xFF,
// writes dropped) and never disturb CONFIG_ADDRESS.
//
// Reset control (0xCF9, PIIX3 RC register): bit 1 selects a hard (system) reset, bit 2 going to
// 1 requests the reset; bit 1 reads back, bit 2 reads zero. The reset itself is the machine's
// job, through the callback.
//
// Bus numbers other than 0 (type-1 cycles to a bridge that does not exist) master-abort.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>

#include "devices/pci/pam.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"
#include "machine/io_bus.h"

namespace vmlab::devices::pci {

class PciHost : public machine::BusDevice {
 public:
  static constexpr uint16_t kBasePort = 0xCF8;
  static constexpr uint32_t kEnable = 0x80000000u;
  static constexpr uint32_t kAddressMask = 0x80FFFFFCu;  // implemented CONFIG_ADDRESS bits
  static constexpr uint8_t kRcrHard = 0x02, kRcrResetCpu = 0x04;

  struct State {
    uint32_t config_address = 0;
    uint8_t reset_control = 0;  // 0xCF9, only bit 1 is stored
    bool operator==(const State&) const = default;
  };
  using ResetRequest = std::function<void(bool hard)>;

  explicit PciHost(PciBus& bus, ResetRequest on_reset = {}) : bus_(bus), on_reset_(std::move(on_reset)) {}
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; }
  State save() const { return state_; }
  void restore(const State& s);
  uint64_t reset_requests() const { return reset_requests_; }

 private:
  uint8_t read_byte(unsigned offset);
  void write_byte(unsigned offset, uint8_t v);
  uint32_t data_read(unsigned lane, unsigned width);
  void data_write(unsigned lane, unsigned width, uint32_t value);

  State state_;
  PciBus& bus_;
  ResetRequest on_reset_;
  uint64_t reset_requests_ = 0;  // host-side statistic
};

// The i440FX PCI and memory controller as function 00:00.0: identity, command/status, the PAM
// registers (0x59-0x5F, pam.h) and SMRAM (0x72). Given the guest memory, the bridge applies PAM
// to it after every configuration write, reset and restore that changes a region, then calls
// the memory-map callback (the machine drops cached translations and decodes, and re-plans KVM's
// memory slots). `shadow_window()` is what the machine registers at 0xC0000 on the MmioBus.
// NOT implemented yet: SMRAM decoding (0x72 is storage only), DRB/DRT (0x60-0x67, 0x68 read 0).
class I440fxHostBridge : public PciDevice {
 public:
  static constexpr unsigned kPam0 = 0x59, kSmram = 0x72;
  explicit I440fxHostBridge(machine::GuestMemory* mem = nullptr);

  void config_write(unsigned offset, unsigned width, uint32_t value) override;
  // PciDevice's, then PAM applied again (call them on the bridge's own type).
  void reset();
  void restore(const State& s);
  void on_memory_map_change(std::function<void()> cb) { map_cb_ = std::move(cb); }
  // The regions the PAM registers describe now.
  std::array<PamRegion, kPamRegions> pam() const;
  ShadowWindow& shadow_window();  // only with guest memory (std::logic_error otherwise)

 private:
  void update_pam();
  machine::GuestMemory* mem_;
  std::unique_ptr<ShadowWindow> window_;
  std::array<PamRegion, kPamRegions> applied_{};
  std::function<void()> map_cb_;
};

}  // namespace vmlab::devices::pci
