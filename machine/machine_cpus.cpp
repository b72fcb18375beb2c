// Machine: the processors. Every vCPU has its own core, local APIC and interrupt pin; the
// bootstrap processor (index 0) starts at the reset vector, application processors wait for
// INIT / STARTUP IPIs from it, as on a real MP system (Intel MP specification, B.4).
#include <fmt/format.h>

#include "kvm_backend/slice_timer.h"
#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

namespace {
constexpr uint64_t kApicBaseEnabled = 0xFEE00000ull | (1ull << 11);  // default base, enabled
constexpr uint64_t kApicBaseBsp = 1ull << 8;
constexpr unsigned kMaxCpus = 8;
}  // namespace

void Machine::wire_cpus() {
  if (cfg_.smp < 1 || cfg_.smp > kMaxCpus)
    throw SetupError(fmt::format("-smp {}: choose 1 to {} CPUs", cfg_.smp, kMaxCpus));
  cpus_.clear();
  cpus_.resize(cfg_.smp);
  for (unsigned i = 0; i < cfg_.smp; ++i) {
    CpuSlot& slot = cpus_[i];
    if (i == 0) {
      slot.vcpu = &vcpu_;
      slot.core = core_.get();
    } else {
      ap_vcpus_.push_back(std::make_unique<cpu::Vcpu>(mem_, io_, mmio_));
      ap_cores_.push_back(make_sibling_core(cfg_, *core_, i));  // kvm: a vCPU of the BSP's VM
      slot.vcpu = ap_vcpus_.back().get();
      slot.core = ap_cores_.back().get();
      slot.vcpu->mmu.set_mode(vcpu_.mmu.mode());
      slot.vcpu->tlb.enabled = cfg_.tlb;
    }
    slot.vcpu->index = int(i);
    slot.vcpu->clock = &clock_;
    slot.lapic = std::make_unique<devices::LocalApic>(uint8_t(i), clock_);
    slot.pin = std::make_unique<CpuInterruptPin>(*slot.vcpu, *slot.lapic, i == 0 ? pic_.get() : nullptr);
    slot.vcpu->intr = slot.pin.get();
  }
  // The APIC bus: every message goes to every local APIC, which keeps what is addressed to it.
  auto broadcast = [this](const devices::ApicMessage& m) {
    for (CpuSlot& c : cpus_) c.lapic->accept(m);
    wake_cpus();  // vCPU threads: the addressed CPU may be halted or inside KVM_RUN
  };
  for (CpuSlot& c : cpus_) {
    c.lapic->set_sink(broadcast);
    c.lapic->set_eoi_broadcast([this](uint8_t vector) { ioapic_->end_of_interrupt(vector); });
  }
  ioapic_->set_sink(broadcast);
  lapic_window_.select(cpus_[0].lapic.get());
  //        base                              size                          name      device
  mmio_.add(devices::Ioapic::kDefaultBase,    devices::Ioapic::kWindowSize, "ioapic", *ioapic_);  // 82093AA, 24 pins
  mmio_.add(devices::LocalApic::kDefaultBase, 0x1000,                       "lapic",  lapic_window_);  // each CPU its own
}

// Power-on state of processor i: the BSP runs from the reset vector, an AP waits for STARTUP.
void Machine::reset_cpu(unsigned i) {
  CpuSlot& c = cpus_[i];
  cpu::reset_cpu_state(c.vcpu->s);
  c.vcpu->s.msr.tsc_offset = 0 - cpu::tsc_ticks(*c.vcpu);  // TSC 0 at RESET
  c.vcpu->s.msr.apic_base = kApicBaseEnabled | (i == 0 ? kApicBaseBsp : 0);
  c.vcpu->tlb.flush_all();
  c.vcpu->attention.fetch_and(~(cpu::kAttnShutdown | cpu::kAttnStop));
  c.lapic->reset();
  // With KVM's irqchip an AP's wait for STARTUP is KVM's (its mp_state): its thread enters
  // KVM_RUN and KVM holds it there until the SIPI.
  c.wait_for_sipi = i != 0 && !kernel_irqchip();
}

// INIT, STARTUP and NMI messages are latched by the local APICs; the machine carries them out
// between run slices (a slice is short, and a real AP takes microseconds to start anyway).
void Machine::service_apic_signals() {
  for (unsigned i = 0; i < cpus_.size(); ++i) service_apic_signals_of(i);
}

// With vCPU threads each thread does this for its own CPU only: another CPU's registers may be
// inside KVM_RUN at the time.
void Machine::service_apic_signals_of(unsigned i) {
  {
    CpuSlot& c = cpus_[i];
    cpu::CpuState& s = c.vcpu->s;
    // Both are taken before INIT acts: INIT resets the APIC, which would drop a STARTUP that
    // arrived in the same slice (INIT, STARTUP with a short delay is the MP start-up sequence).
    const bool init = c.lapic->take_pending_init();
    uint8_t vector = 0;
    const bool sipi = c.lapic->take_pending_sipi(vector);
    if (init) {
      // INIT (SDM Vol. 3, 9.1.1): registers as at RESET, but MSRs, x87/SSE state and caches
      // are kept; an AP then waits for a STARTUP IPI, the BSP restarts at the reset vector.
      const cpu::MsrState msr = s.msr;
      const cpu::FpuState fpu = s.fpu;
      cpu::reset_cpu_state(s);
      s.msr = msr;
      s.fpu = fpu;
      c.vcpu->tlb.flush_all();
      c.lapic->init_reset();
      c.wait_for_sipi = i != 0;
    }
    if (sipi && c.wait_for_sipi) {
      // STARTUP: real mode at vector * 0x1000 (CS = vector << 8, IP = 0). A STARTUP that
      // arrives when the AP is not waiting for one is ignored, as the SDM says.
      s.seg[cpu::CS] = cpu::SegmentCache{uint16_t(vector << 8), uint32_t(vector) << 12, 0xFFFF, 0x0093};
      s.eip = 0;
      s.events.halted = 0;
      c.wait_for_sipi = false;
    }
    if (c.lapic->take_pending_nmi()) s.events.nmi_pending = 1;
  }
}

// TSC = virtual time since the last reset in 10 ns ticks, the same on every CPU. Within a round
// each CPU's TSC advances with its own instructions (at most to the round's end, so it never
// goes backwards); a halted CPU's TSC keeps running, as on hardware.
void Machine::sync_tsc() {
  // KVM runs the TSC itself, from host time; resetting it here would reload every register
  // group each slice and could move its TSC backwards.
  if (cfg_.backend == "kvm") return;  // interp and bt: the TSC is vmlab's
  if (clock_.mode() == Clock::Mode::RealTime) {
    // tsc_ticks() is host time already: one constant offset makes every TSC 0 at the reset.
    for (CpuSlot& c : cpus_) c.vcpu->s.msr.tsc_offset = 0 - tsc_epoch_ns_ / Clock::kNsPerInstruction;
    return;
  }
  const uint64_t tsc = (clock_.now_ns() - tsc_epoch_ns_) / Clock::kNsPerInstruction;
  for (CpuSlot& c : cpus_) c.vcpu->s.msr.tsc_offset = tsc - cpu::tsc_ticks(*c.vcpu);
}

void Machine::set_attention_all(uint32_t bits) {
  vcpu_.attention.fetch_or(bits);
  for (auto& v : ap_vcpus_) v->attention.fetch_or(bits);
  // vCPU threads inside KVM_RUN see the bits only when kicked out (only atomics here: a signal
  // handler calls this through request_stop_from_signal).
  for (VcpuKick& k : kicks_)
    if (k.in_guest.load() && !k.kicked.exchange(true)) kvm_backend::SliceTimer::kick(k.thread.load());
}

}  // namespace vmlab::machine
