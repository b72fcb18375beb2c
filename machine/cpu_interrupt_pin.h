// CpuInterruptPin: what one vCPU's interrupt input sees on a PC with local APICs. The execution
// core asks it (through machine::InterruptSource) whether an interrupt is pending and for the
// vector; it combines the vCPU's own local APIC with the 8259 pair.
//
//   CpuInterruptPin pin(vcpu, lapic, is_bsp ? &pic : nullptr);
//   vcpu.intr = &pin;
//
// Where the 8259's INTR goes: only to the bootstrap processor's LINT0 (as the MP specification's
// virtual-wire mode wires it; application processors never see the PIC). It reaches the CPU
// when the APIC is globally disabled (APIC_BASE bit 11), software-disabled (SVR bit 8), or
// enabled with LINT0 unmasked in ExtINT mode — LocalApic::pic_intr_reaches_cpu() decides.
// Fixed interrupts accepted by the local APIC (IOAPIC messages, IPIs, its timer) come first;
// they need the APIC globally enabled.
#pragma once
#include <cstdint>
#include "cpu/vcpu.h"
#include "devices/local_apic.h"
#include "machine/irq.h"

namespace vmlab::machine {

class CpuInterruptPin : public InterruptSource {
 public:
  // `pic` is null for application processors.
  CpuInterruptPin(const cpu::Vcpu& vcpu, devices::LocalApic& lapic, InterruptSource* pic)
      : vcpu_(vcpu), lapic_(lapic), pic_(pic) {}

  bool intr_pending() const override {
    if (apic_enabled() && lapic_.interrupt_pending()) return true;
    return pic_ && lapic_.pic_intr_reaches_cpu(apic_enabled()) && pic_->intr_pending();
  }

  uint8_t acknowledge() override {
    if (apic_enabled() && lapic_.interrupt_pending()) return lapic_.acknowledge();
    if (pic_) return pic_->acknowledge();
    return lapic_.acknowledge();  // nothing pending: the APIC answers its spurious vector
  }

 private:
  static constexpr uint64_t kApicGlobalEnable = 1ull << 11;
  bool apic_enabled() const { return vcpu_.s.msr.apic_base & kApicGlobalEnable; }

  const cpu::Vcpu& vcpu_;
  devices::LocalApic& lapic_;
  InterruptSource* pic_;
};

// The local APIC register page at 0xFEE00000 is the same address on every CPU but each CPU
// reaches its own APIC there: this bus device forwards to the APIC of the vCPU that is running
// (the run loop says which before it runs one).
class LocalApicWindow : public BusDevice {
 public:
  void select(devices::LocalApic* current) { current_ = current; }
  uint32_t read(uint64_t offset, unsigned width) override {
    return current_ ? current_->read(offset, width) : 0xFFFFFFFFu >> (32 - 8 * width);
  }
  void write(uint64_t offset, unsigned width, uint32_t value) override {
    if (current_) current_->write(offset, width, value);
  }

 private:
  devices::LocalApic* current_ = nullptr;
};

}  // namespace vmlab::machine
