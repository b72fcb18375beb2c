// A generic PCI type-0 configuration space (256 bytes) and the interface the host bridge uses to
// reach a function.
//
//   PciDevice nic(PciDevice::Identity{.vendor = 0x10EC, .device = 0x8029, .class_code = 0x02},
//                 {PciBarSpec{.size = 32, .io = true}});
//   nic.on_bar_change([&](int bar, const BarMapping& m) { /* move the bus registration */ });
//   bus.add(3, 0, "ne2k", nic);
//
// Every byte has a write mask: bits outside it are read-only, so a driver that writes a whole
// dword (vendor/device, class, header type, interrupt pin) changes only what hardware lets it
// change. The status register's error bits are write-one-to-clear (PCI 2.2 section 6.2.3).
// BARs are 32-bit, non-prefetchable; their low address bits are hard-wired to zero, so writing
// all-ones and reading back gives ~(size-1) plus the type bits: the driver's size probe.
// No capability list, no expansion ROM, no 64-bit BARs (those bits read zero).
#pragma once
#include <array>
#include <cstdint>
#include <functional>

namespace vmlab::devices::pci {

// Offsets in the type-0 header (PCI Local Bus 2.2, figure 6-1).
inline constexpr unsigned kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06,
                          kRevision = 0x08, kProgIf = 0x09, kSubclass = 0x0A, kClassCode = 0x0B,
                          kHeaderType = 0x0E, kBar0 = 0x10, kInterruptLine = 0x3C,
                          kInterruptPin = 0x3D;
inline constexpr uint8_t kHeaderMultifunction = 0x80;
// Command register bits.
inline constexpr uint16_t kCmdIo = 0x0001, kCmdMemory = 0x0002, kCmdBusMaster = 0x0004,
                          kCmdParity = 0x0040, kCmdSerr = 0x0100, kCmdIntxDisable = 0x0400;
// Status bits that are write-one-to-clear: parity, SERR, master/target abort, data parity.
inline constexpr uint16_t kStatusW1c = 0xF900;

// What the host bridge calls. `offset` is 0-255, `width` 1, 2 or 4 and the access never crosses
// a dword (the host splits such accesses before they get here).
class PciFunction {
 public:
  virtual ~PciFunction() = default;
  virtual uint32_t config_read(unsigned offset, unsigned width) = 0;
  virtual void config_write(unsigned offset, unsigned width, uint32_t value) = 0;
};

struct PciBarSpec {
  uint32_t size = 0;  // 0: BAR not implemented (reads zero); else a power of two
  bool io = false;    // I/O space (size >= 4) rather than memory (size >= 16)
};

// Where a BAR decodes now: `enabled` needs the matching command bit and a non-zero base.
struct BarMapping {
  bool io = false;
  bool enabled = false;
  uint32_t base = 0;
  uint32_t size = 0;
  bool operator==(const BarMapping&) const = default;
};

class PciDevice : public PciFunction {
 public:
  struct Identity {
    uint16_t vendor = 0xFFFF, device = 0xFFFF;
    uint8_t class_code = 0, subclass = 0, prog_if = 0, revision = 0;
    uint8_t header_type = 0;      // bit 7: multifunction (set on function 0 only)
    uint8_t interrupt_pin = 0;    // 0 none, 1-4 INTA#-INTD#
    uint16_t command = 0;         // power-on command register (bits outside the mask: hard-wired)
    uint16_t status = 0;          // power-on status register (read-only bits: DEVSEL timing...)
    uint16_t command_mask = kCmdIo | kCmdMemory | kCmdBusMaster | kCmdParity | kCmdSerr |
                            kCmdIntxDisable;  // which command bits the function implements
  };
  using BarSpecs = std::array<PciBarSpec, 6>;
  using BarCallback = std::function<void(int bar, const BarMapping& now)>;

  // The whole device state is the configuration image. Unlike the other devices, its power-on
  // value depends on the identity, so `reset()` copies the image built by the constructor.
  struct State {
    std::array<uint8_t, 256> config{};
    bool operator==(const State&) const = default;
  };

  // Throws std::invalid_argument for an impossible BAR spec (not a power of two, too small).
  PciDevice(const Identity& id, const BarSpecs& bars = {});

  uint32_t config_read(unsigned offset, unsigned width) override;
  void config_write(unsigned offset, unsigned width, uint32_t value) override;

  void reset();
  State save() const { return state_; }
  // Keeps only the writable bits of `s` and the live status error bits (everything else comes
  // from the identity), then reports any BAR whose mapping moved.
  void restore(const State& s);

  // Called after any config write, reset or restore that changes a BAR's effective mapping
  // (decoding switched on or off, or the base moved while decoding), so the machine can move
  // the bus registration. A BAR decodes when its command bit is set and its base is non-zero.
  void on_bar_change(BarCallback cb) { bar_cb_ = std::move(cb); }
  BarMapping bar(int i) const;
  uint16_t command() const { return uint16_t(state_.config[kCommand] | state_.config[kCommand + 1] << 8); }
  uint8_t interrupt_line() const { return state_.config[kInterruptLine]; }
  uint8_t byte(unsigned offset) const { return state_.config[offset & 0xFF]; }

 protected:
  // For models of specific chips (call from the constructor only): a device-specific register
  // of `width` bytes at `offset` with its power-on value and writable bits.
  void define_register(unsigned offset, unsigned width, uint32_t reset_value, uint32_t write_mask);

 private:
  void notify_bar_changes(const std::array<BarMapping, 6>& before);
  std::array<BarMapping, 6> mappings() const;
  uint32_t config_read_const(unsigned offset) const;

  State state_;
  State power_on_;
  std::array<uint8_t, 256> wmask_{};  // writable bits
  std::array<uint8_t, 256> w1c_{};    // write-one-to-clear bits
  BarSpecs bars_;
  BarCallback bar_cb_;
};

}  // namespace vmlab::devices::pci
