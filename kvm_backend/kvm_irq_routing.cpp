// pc_irq_routing: the PC's ISA IRQ -> 8259 / IOAPIC wiring as KVM routing entries (see the
// header; QEMU builds the same table in kvm_pc_setup_irq_routing).
#include "kvm_backend/kvm_irq_routing.h"

namespace vmlab::kvm_backend {

IrqRoutingTable pc_irq_routing() {
  IrqRoutingTable t;
  auto add = [&t](uint32_t gsi, uint32_t chip, uint32_t pin) {
    kvm_irq_routing_entry& e = t.entries[t.nr++];
    e.gsi = gsi;
    e.type = KVM_IRQ_ROUTING_IRQCHIP;
    e.u.irqchip.irqchip = chip;
    e.u.irqchip.pin = pin;
  };
  for (uint32_t irq = 0; irq < 16; ++irq)
    if (irq != 2) add(irq, irq < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE, irq & 7);
  for (uint32_t gsi = 0; gsi < kIoapicPins; ++gsi) {
    if (gsi == 2) continue;  // pin 2 is the timer's, reached through GSI 0
    add(gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
  }
  return t;
}

}  // namespace vmlab::kvm_backend
