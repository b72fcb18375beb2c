// The GSI routing table vmlab installs with the in-kernel irqchip (--kvm-irqchip kernel): the
// wiring of vmlab's own user-space irqchip (machine/machine.cpp) and of QEMU's pc machine.
// ISA IRQ n reaches 8259 input n (master 0-7, slave 8-15) and IOAPIC pin n, except that the
// timer, IRQ 0, is IOAPIC pin 2 (the interrupt source override the MP and ACPI tables list) and
// IRQ 2, the cascade, reaches no IOAPIC pin. KVM's default table sends IRQ 0 to pin 0, which
// would make those tables wrong.
#pragma once
#include "kvm_backend/kvm_abi.h"

namespace vmlab::kvm_backend {

inline constexpr unsigned kIoapicPins = 24;

// Pure: the table for KVM_SET_GSI_ROUTING (GSI n = ISA IRQ n for n < 16, IOAPIC pin n above).
IrqRoutingTable pc_irq_routing();

}  // namespace vmlab::kvm_backend
