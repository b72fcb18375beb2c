// Intel 82093AA I/O APIC (see ioapic.h for what is modelled).
#include "devices/ioapic.h"

#include <cstdio>

namespace vmlab::devices {

namespace {

DeliveryMode mode_of(uint64_t entry) { return DeliveryMode((entry >> Ioapic::kDeliveryModeShift) & 7); }

// Only fixed and lowest-priority interrupts are EOI'd by the local APIC; SMI, NMI, INIT and
// ExtINT are always edge there (SDM 10.8.4), so Remote IRR is only tracked for the first two.
bool uses_remote_irr(uint64_t entry) {
  DeliveryMode m = mode_of(entry);
  return (entry & Ioapic::kLevelTrigger) && (m == DeliveryMode::Fixed || m == DeliveryMode::LowestPriority);
}

}  // namespace

uint32_t Ioapic::read(uint64_t offset, unsigned width) {
  // The 82093AA only decodes aligned 32-bit cycles to IOREGSEL and IOWIN.
  if (width != 4) { ++bad_accesses_; return 0xFFFFFFFF; }
  if (offset == kRegSel) return state_.regsel;
  if (offset == kWindow) return read_reg(uint8_t(state_.regsel));
  ++bad_accesses_;
  return 0xFFFFFFFF;
}

void Ioapic::write(uint64_t offset, unsigned width, uint32_t value) {
  if (width != 4) { ++bad_accesses_; return; }
  if (offset == kRegSel) { state_.regsel = value & 0xFF; return; }  // bits 31:8 reserved
  if (offset == kWindow) { write_reg(uint8_t(state_.regsel), value); return; }
  ++bad_accesses_;
}

uint32_t Ioapic::read_reg(uint8_t index) const {
  switch (index) {
    case kRegId: return (state_.id & 0xF) << 24;
    case kRegVer: return kVersion;
    case kRegArb: return (state_.arb & 0xF) << 24;
    default: break;
  }
  if (index >= kRegRedirBase && index < kRegRedirBase + 2 * kPins) {
    uint64_t e = state_.redir[(index - kRegRedirBase) / 2];
    return (index & 1) ? uint32_t(e >> 32) : uint32_t(e);
  }
  return 0;  // undefined register: reads 0, as QEMU
}

void Ioapic::write_reg(uint8_t index, uint32_t value) {
  if (index == kRegId) {
    state_.id = (value >> 24) & 0xF;
    state_.arb = state_.id;  // the arbitration ID is loaded from the APIC ID
    return;
  }
  if (index < kRegRedirBase || index >= kRegRedirBase + 2 * kPins) return;  // VER, ARB, unknown: RO
  unsigned pin = (index - kRegRedirBase) / 2;
  uint64_t& e = state_.redir[pin];
  uint64_t half_mask = (index & 1) ? 0xFFFFFFFF'00000000ull : 0x00000000'FFFFFFFFull;
  uint64_t shifted = (index & 1) ? uint64_t(value) << 32 : uint64_t(value);
  e = (e & ~(half_mask & kWritableMask)) | (shifted & half_mask & kWritableMask);
  // Remote IRR means nothing for an edge entry; switching to edge clears it, which is how
  // drivers (Linux's __eoi_ioapic_pin on version 0x11 parts) unstick a level pin.
  if (!uses_remote_irr(e)) e &= ~kRemoteIrr;
  // A level pin that is asserted and was masked (or had its mode changed) is delivered now.
  service_level(pin);
}

bool Ioapic::asserted(unsigned pin) const {
  bool high = (state_.pin_levels >> pin) & 1;
  return (state_.redir[pin] & kPolarityLow) ? !high : high;
}

void Ioapic::send(unsigned pin) {
  uint64_t e = state_.redir[pin];
  unsigned raw_mode = unsigned(e >> kDeliveryModeShift) & 7;
  if (raw_mode == 3) {  // reserved: the chip's behaviour is undefined; drop and say so once
    if (dropped_++ == 0)
      std::fprintf(stderr, "ioapic: pin %u uses reserved delivery mode 3; interrupt dropped\n", pin);
    return;
  }
  ApicMessage m;
  m.vector = uint8_t(e & kVectorMask);
  m.mode = DeliveryMode(raw_mode);
  m.logical = e & kDestLogical;
  m.destination = uint8_t(e >> kDestShift);
  m.level_triggered = e & kLevelTrigger;
  m.assert_level = true;
  m.source_pin = int(pin);
  if (uses_remote_irr(e)) state_.redir[pin] |= kRemoteIrr;  // set before the sink can EOI
  ++sent_;
  if (sink_) sink_(m);
}

// Delivers a level pin that is asserted, unmasked and not waiting for an EOI.
void Ioapic::service_level(unsigned pin) {
  uint64_t e = state_.redir[pin];
  if (!(e & kLevelTrigger) || (e & kMasked) || (e & kRemoteIrr) || !asserted(pin)) return;
  // A level entry in a mode without Remote IRR (NMI, INIT, ...) fires once per assertion, from
  // set_irq; re-servicing it here on every register write would flood the CPU.
  if (!uses_remote_irr(e)) return;
  send(pin);
}

void Ioapic::set_irq(unsigned pin, bool level) {
  if (pin >= kPins) return;  // a wiring bug would show up as a missing interrupt, not a crash
  bool was = asserted(pin);
  uint32_t bit = 1u << pin;
  state_.pin_levels = level ? (state_.pin_levels | bit) : (state_.pin_levels & ~bit);
  bool now = asserted(pin);
  uint64_t e = state_.redir[pin];
  if (e & kMasked) return;  // edges on a masked pin are lost (datasheet 3.2.4, bit 16)
  if (!(e & kLevelTrigger) || !uses_remote_irr(e)) {
    if (now && !was) send(pin);  // the asserting edge
    return;
  }
  service_level(pin);
}

void Ioapic::end_of_interrupt(uint8_t vector) {
  for (unsigned pin = 0; pin < kPins; ++pin) {
    uint64_t& e = state_.redir[pin];
    if (!(e & kRemoteIrr) || uint8_t(e & kVectorMask) != vector) continue;
    e &= ~kRemoteIrr;
    service_level(pin);  // still asserted: the device wants service again
  }
}

void Ioapic::reset() {
  uint32_t pins = state_.pin_levels;
  state_ = State{};
  state_.pin_levels = pins;  // every entry is masked after reset, so nothing is delivered
}

void Ioapic::restore(const State& s) {
  // Validate: keep only bits the chip can hold; Delivery Status is always 0 here, Remote IRR only
  // exists for level fixed/lowest-priority entries.
  state_ = s;
  for (uint64_t& e : state_.redir) {
    bool remote = e & kRemoteIrr;
    e &= kWritableMask;
    if (remote && uses_remote_irr(e)) e |= kRemoteIrr;
  }
  state_.pin_levels &= (1u << kPins) - 1;
  state_.regsel &= 0xFF;
  state_.id &= 0xF;
  state_.arb &= 0xF;
  // Nothing to recompute: pending level pins wait for an EOI or a register write, as they would
  // on the chip after the snapshot point.
}

}  // namespace vmlab::devices
