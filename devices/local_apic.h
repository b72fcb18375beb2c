// P6-class local APIC (xAPIC MMIO page at 0xFEE00000), one per vCPU: the register page of SDM
// Vol. 3 chapter 10 (Table 10-1), fixed-interrupt acceptance and priority (IRR/ISR/TMR, TPR/PPR),
// EOI with the broadcast to the IOAPIC for level interrupts, IPIs through the ICR, LINT0 in
// ExtINT mode (virtual wire) and the timer on the virtual Clock.
//
//   LocalApic lapic(/*apic_id=*/0, clock);
//   lapic.set_sink([&](const ApicMessage& m) { for (auto& l : lapics) l.accept(m); });
//   lapic.set_eoi_broadcast([&](uint8_t vector) { ioapic.end_of_interrupt(vector); });
//   mmio.add(0xFEE00000, 0x1000, "lapic", lapic);
//   if (lapic.interrupt_pending()) deliver(lapic.acknowledge());
//
// Model choices (documented in docs/devices/local_apic.md):
//   - Version register 0x00040011: integrated APIC version 0x11, max LVT entry 4 (timer,
//     performance counter, LINT0, LINT1, error; as a Pentium II/III). The performance-counter
//     LVT (0x340) is storage only: nothing drives it.
//   - APIC ID is 4 bits (ID register bits 24-27), physical broadcast is ID 0xF.
//   - Bus clock 100 MHz (10 ns per bus tick), so a timer tick is 10 * divisor ns.
//   - Delivery is instantaneous: ICR / LVT delivery-status bits always read 0.
//   - Registers are 32-bit; narrower reads return the addressed bytes, narrower writes are
//     ignored (the SDM leaves them undefined). Bytes 4-15 of each 16-byte slot read 0.
// Not implemented: SMI and ExtINT messages arriving through accept() (ignored; the PIC reaches
// the CPU through LINT0, see pic_intr_reaches_cpu()), LINT1 pin input, focus-processor
// checking, the lowest-priority arbitration among APICs (the router must pick one target:
// accept() treats LowestPriority as Fixed).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include "devices/apic_message.h"
#include "machine/clock.h"
#include "machine/io_bus.h"

namespace vmlab::devices {

class LocalApic : public machine::BusDevice {
 public:
  static constexpr uint64_t kDefaultBase = 0xFEE00000;
  static constexpr uint32_t kVersion = 0x00040011;
  static constexpr uint64_t kBusHz = 100'000'000;
  static constexpr uint64_t kNsPerBusTick = 1'000'000'000 / kBusHz;  // 10

  // Register offsets (SDM Table 10-1).
  enum Reg : uint32_t {
    kId = 0x20, kVer = 0x30, kTpr = 0x80, kApr = 0x90, kPpr = 0xA0, kEoi = 0xB0, kLdr = 0xD0,
    kDfr = 0xE0, kSvr = 0xF0, kIsr = 0x100, kTmr = 0x180, kIrr = 0x200, kEsr = 0x280,
    kIcrLow = 0x300, kIcrHigh = 0x310, kLvtTimer = 0x320, kLvtPerf = 0x340, kLvtLint0 = 0x350,
    kLvtLint1 = 0x360, kLvtError = 0x370, kTimerInitial = 0x380, kTimerCurrent = 0x390,
    kTimerDivide = 0x3E0,
  };
  static constexpr uint32_t kLvtMasked = 1u << 16, kLvtPeriodic = 1u << 17;
  static constexpr uint32_t kSvrEnable = 1u << 8;
  // ESR bits (P6).
  static constexpr uint32_t kEsrSendIllegalVector = 0x20, kEsrReceiveIllegalVector = 0x40,
                            kEsrIllegalRegister = 0x80;

  struct State {
    uint32_t id = 0;              // bits 24-27; set from the constructor's APIC ID at reset
    uint32_t tpr = 0;
    uint32_t ldr = 0;
    uint32_t dfr = 0xFFFFFFFF;    // flat model
    uint32_t svr = 0xFF;          // software-disabled, spurious vector 0xFF
    std::array<uint32_t, 8> isr{}, tmr{}, irr{};
    uint32_t esr = 0;             // what a read returns (latched by the last ESR write)
    uint32_t esr_pending = 0;     // errors seen since the last ESR write
    uint32_t icr_low = 0, icr_high = 0;
    uint32_t lvt_timer = kLvtMasked, lvt_perf = kLvtMasked, lvt_lint0 = kLvtMasked,
             lvt_lint1 = kLvtMasked, lvt_error = kLvtMasked;
    uint32_t timer_initial = 0;
    uint32_t timer_divide = 0;    // divide-by-2
    // Timer: counting started at timer_ref_ns (absolute virtual time) from timer_ref_count;
    // a periodic timer reloads timer_initial after reaching 0. Not armed = current count 0.
    bool timer_armed = false;
    uint64_t timer_ref_ns = 0;
    uint32_t timer_ref_count = 0;
    // Messages the machine must act on (the CPU's INIT / SIPI / NMI inputs).
    bool pending_init = false, pending_sipi = false, pending_nmi = false;
    uint8_t sipi_vector = 0;
    bool operator==(const State&) const = default;
  };

  LocalApic(uint8_t apic_id, machine::Clock& clock);
  ~LocalApic() override;
  LocalApic(const LocalApic&) = delete;  // the scheduled timer points at this instance
  LocalApic& operator=(const LocalApic&) = delete;

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset();
  // What an INIT (IPI or pin) does to the APIC: as reset, but the APIC ID register is kept
  // (SDM 10.4.7.3). The machine calls it when it acts on take_pending_init().
  void init_reset();
  State save() const { return state_; }
  void restore(const State& s);  // restore the Clock first: timer times are absolute

  void set_sink(std::function<void(const ApicMessage&)> sink) { sink_ = std::move(sink); }
  void set_eoi_broadcast(std::function<void(uint8_t)> fn) { eoi_broadcast_ = std::move(fn); }

  // Bus side: a message from the IOAPIC or another local APIC. Ignored if not addressed here.
  void accept(const ApicMessage& m);
  bool matches_destination(uint8_t destination, bool logical) const;
  bool take_pending_init();
  bool take_pending_sipi(uint8_t& vector);
  bool take_pending_nmi();

  // CPU side.
  // Highest IRR's class above PPR's, APIC software-enabled. The run loop asks between every two
  // blocks while IF=1 and the IRR is almost always empty: that answer is inline, one OR over
  // the eight words, without a call.
  bool interrupt_pending() const {
    if (!software_enabled()) return false;
    uint32_t any = 0;
    for (uint32_t w : state_.irr) any |= w;
    return any != 0 && irr_above_ppr();
  }
  uint8_t acknowledge();           // IRR -> ISR, returns the vector (spurious vector if none)
  void eoi();                      // same as a write to the EOI register
  bool software_enabled() const { return state_.svr & kSvrEnable; }
  // LINT0 unmasked in ExtINT mode: the PIC's INTR passes through (virtual wire mode).
  bool lint0_extint() const {
    return !(state_.lvt_lint0 & kLvtMasked) && ((state_.lvt_lint0 >> 8) & 7) == 7;
  }
  // Whether the 8259's INTR reaches the CPU, given the APIC_BASE MSR global-enable bit (the
  // machine owns that MSR): a globally or software-disabled APIC is out of the way; an enabled
  // one passes INTR only through LINT0 in ExtINT mode. The vector then comes from the PIC.
  bool pic_intr_reaches_cpu(bool globally_enabled) const {
    return !globally_enabled || !software_enabled() || lint0_extint();
  }

  uint8_t apic_id() const { return uint8_t((state_.id >> 24) & 0x0F); }
  uint8_t ppr() const;
  uint32_t timer_current_count() const;
  uint64_t timer_tick_ns() const;  // nanoseconds per timer count at the current divisor

 private:
  bool irr_above_ppr() const;  // the IRR is not empty: is its highest class above PPR's?
  uint32_t read_reg(uint32_t reg);
  void write_reg(uint32_t reg, uint32_t v);
  bool legal(uint32_t reg) const;
  uint8_t apr() const;
  void send_ipi();
  void deliver_local(uint32_t lvt);  // an LVT entry fires (fixed delivery only)
  void set_irr(uint8_t vector, bool level);
  void error(uint32_t bits);
  // Timer (local_apic_timer.cpp).
  void timer_rebase(uint64_t now);
  void timer_reschedule();
  void timer_fire();

  State state_;
  uint8_t reset_id_;
  machine::Clock& clock_;
  machine::TimerId timer_ = 0;
  std::function<void(const ApicMessage&)> sink_;
  std::function<void(uint8_t)> eoi_broadcast_;
};

}  // namespace vmlab::devices
