// Intel 82093AA I/O APIC: 24 interrupt input pins, each routed by a 64-bit redirection entry to
// an interrupt message (ApicMessage) for the local APICs. The device knows only its MMIO window
// and a message sink; the machine connects the sink to the local APICs and devices' IRQ lines
// to set_irq().
//
//   Ioapic ioapic;
//   ioapic.set_sink([&](const ApicMessage& m) { for (auto& l : lapics) l.accept(m); });
//   mmio.add(0xFEC00000, 0x1000, "ioapic", ioapic);
//   irq4.connect([&](bool level) { ioapic.set_irq(4, level); });
//   lapic EOI of a level interrupt -> ioapic.end_of_interrupt(vector);
//
// Indirect register access (82093AA datasheet, section 3.0): write the register index to
// IOREGSEL (offset 0x00), then read or write it through IOWIN (offset 0x10). Registers:
//   0x00 ID (bits 27:24, R/W)   0x01 VER (0x00170011, RO)   0x02 ARB (bits 27:24, RO)
//   0x10 + 2n / 0x11 + 2n: redirection entry n, low / high dword (n = 0..23)
// Only aligned 32-bit accesses to IOREGSEL and IOWIN are defined; anything else reads all-ones
// and writes are dropped (counted in bad_accesses()). Unknown register indices read 0 and
// ignore writes (what QEMU does; the datasheet leaves them undefined).
//
// Not modelled: the APIC bus itself (messages are delivered at once, so Delivery Status is
// always 0), rotating arbitration priority (ARB just follows ID), the IRQ pin assertion register
// of later IOAPICs (version 0x20 EOI register).
#pragma once
#include <cstdint>
#include <functional>
#include <type_traits>
#include "devices/apic_message.h"
#include "machine/io_bus.h"

namespace vmlab::devices {

class Ioapic : public machine::BusDevice {
 public:
  static constexpr unsigned kPins = 24;
  static constexpr uint64_t kDefaultBase = 0xFEC00000;
  static constexpr uint64_t kWindowSize = 0x1000;
  static constexpr uint64_t kRegSel = 0x00, kWindow = 0x10;
  static constexpr uint8_t kRegId = 0x00, kRegVer = 0x01, kRegArb = 0x02, kRegRedirBase = 0x10;
  static constexpr uint32_t kVersion = 0x00170011;  // max redirection entry 23, version 0x11

  // Redirection entry bits (datasheet 3.2.4).
  static constexpr uint64_t kVectorMask = 0xFF;
  static constexpr unsigned kDeliveryModeShift = 8;          // bits 10:8
  static constexpr uint64_t kDestLogical = 1ull << 11;
  static constexpr uint64_t kDeliveryStatus = 1ull << 12;    // RO
  static constexpr uint64_t kPolarityLow = 1ull << 13;
  static constexpr uint64_t kRemoteIrr = 1ull << 14;         // RO
  static constexpr uint64_t kLevelTrigger = 1ull << 15;
  static constexpr uint64_t kMasked = 1ull << 16;
  static constexpr unsigned kDestShift = 56;                 // bits 63:56
  // Bits software can write; bits 55:17 are reserved (read 0), 12 and 14 are read-only.
  static constexpr uint64_t kWritableMask = 0xFF000000'0001AFFFull;

  struct State {
    uint64_t redir[kPins] = {kMasked, kMasked, kMasked, kMasked, kMasked, kMasked,
                             kMasked, kMasked, kMasked, kMasked, kMasked, kMasked,
                             kMasked, kMasked, kMasked, kMasked, kMasked, kMasked,
                             kMasked, kMasked, kMasked, kMasked, kMasked, kMasked};  // masked at reset
    uint32_t pin_levels = 0;  // electrical level on each input pin (bit n = pin n is high)
    uint32_t regsel = 0;      // IOREGSEL: bits 7:0 select the register
    uint32_t id = 0;          // IOAPICID bits 27:24 (stored shifted down, 0..15)
    uint32_t arb = 0;         // IOAPICARB bits 27:24 (stored shifted down, 0..15)
    bool operator==(const State&) const = default;
  };
  static_assert(std::is_trivially_copyable_v<State>);
  static_assert(std::has_unique_object_representations_v<State>);  // no padding: byte-stable saves

  using Sink = std::function<void(const ApicMessage&)>;

  Ioapic() = default;
  explicit Ioapic(Sink sink) : sink_(std::move(sink)) {}
  // The sink must not call end_of_interrupt() for a level message from inside the call (a local
  // APIC EOIs later, from the CPU): a still-asserted pin would be re-sent recursively.
  void set_sink(Sink sink) { sink_ = std::move(sink); }

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;

  // Input pin `pin` (0-23) now has electrical level `level` (true = high).
  void set_irq(unsigned pin, bool level);
  // The EOI broadcast from a local APIC for `vector`.
  void end_of_interrupt(uint8_t vector);

  // Reset is a power-on of the chip; the input pin levels are wires driven by other devices, so
  // they survive (a device holding its line up keeps it up).
  void reset();
  State save() const { return state_; }
  void restore(const State& s);

  uint64_t bad_accesses() const { return bad_accesses_; }    // misaligned/odd-width/bad offset
  uint64_t dropped_messages() const { return dropped_; }     // reserved delivery mode 3
  uint64_t messages_sent() const { return sent_; }

 private:
  uint32_t read_reg(uint8_t index) const;
  void write_reg(uint8_t index, uint32_t value);
  bool asserted(unsigned pin) const;
  void send(unsigned pin);
  void service_level(unsigned pin);

  State state_;
  Sink sink_;
  uint64_t bad_accesses_ = 0;  // host-side statistics, not device state
  uint64_t dropped_ = 0;
  uint64_t sent_ = 0;
};

}  // namespace vmlab::devices
