// Machine with --kvm-irqchip kernel (docs/kvm.md, "In-kernel irqchip"): KVM's 8259 pair, IOAPIC
// and local APICs replace vmlab's. The devices that raise ISA IRQ lines (PIT, RTC, UARTs, IDE,
// 8042, ...) stay vmlab's; their lines go to KVM_IRQ_LINE, and the GSI routing installed with
// the irqchip (kvm_backend/kvm_irq_routing.h) wires them as vmlab's own wiring does (IRQ 0 on
// IOAPIC pin 2). vmlab's PIC/IOAPIC/local-APIC models stay built but unwired: no ports, no
// MMIO, no lines, no interrupt pin, so no access can reach them (KVM handles 0x20/0x21,
// 0xA0/0xA1, 0x4D0/0x4D1, 0xFEC00000 and 0xFEE00000 in the kernel).
#include <fmt/format.h>

#include "kvm_backend/kvm_core.h"
#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

namespace {
kvm_backend::KvmCore* kvm_core(cpu::ExecutionCore* c) { return dynamic_cast<kvm_backend::KvmCore*>(c); }
}  // namespace

void Machine::wire_kernel_irqchip() {
  kvm_backend::KvmCore* bsp = kvm_core(core_.get());
  if (cfg_.backend != "kvm" || !bsp || !bsp->kernel_irqchip())
    throw SetupError("--kvm-irqchip kernel needs --backend kvm (the irqchip is KVM's)");
  if (cpus_.size() > 1 && !cfg_.kvm_threads)
    throw SetupError("--kvm-irqchip kernel with -smp N needs a host thread per vCPU: drop "
                     "--kvm-threads off (KVM holds each halted or not-yet-started vCPU inside "
                     "KVM_RUN, so one thread cannot take turns between them)");
  // Nothing of vmlab's answers where KVM's chips live.
  for (uint64_t port : {0x20u, 0xA0u, 0x4D0u}) io_.remove(port);
  mmio_.remove(devices::Ioapic::kDefaultBase);
  mmio_.remove(devices::LocalApic::kDefaultBase);
  for (CpuSlot& c : cpus_) c.vcpu->intr = nullptr;  // KVM delivers the interrupts
  std::shared_ptr<kvm_backend::KvmVm> vm = bsp->vm();
  for (unsigned irq = 0; irq < isa_irq_.size(); ++irq)
    isa_irq_[irq].connect([vm, irq](bool level) {
      // Fails only if the VM is broken; the next KVM_RUN reports that.
      (void)vm->set_irq_line(irq, level);
    });
}

void Machine::reset_kernel_irqchip() {
  kvm_backend::KvmCore* bsp = kvm_core(core_.get());
  if (!bsp) return;
  if (std::string e = bsp->vm()->reset_irqchip(); !e.empty())
    throw SetupError(fmt::format("resetting KVM's irqchip failed: {}", e));
  // The ISA lines' levels are vmlab's: tell KVM the ones a device holds high after its reset.
  for (unsigned irq = 0; irq < isa_irq_.size(); ++irq)
    if (isa_irq_[irq].level()) (void)bsp->vm()->set_irq_line(irq, true);
  // Every vCPU is outside KVM_RUN here (before the first run, or with every thread parked).
  for (CpuSlot& c : cpus_)
    if (kvm_backend::KvmCore* k = kvm_core(c.core))
      if (std::string e = k->reset_kernel_apic(); !e.empty())
        throw SetupError(fmt::format("resetting KVM's local APIC of CPU {} failed: {}", c.vcpu->index, e));
}

}  // namespace vmlab::machine
