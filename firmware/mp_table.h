// The Intel MultiProcessor Specification 1.4 tables: the floating pointer structure (found by
// the standard search: first KiB of the EBDA, last KiB of base memory, 0xF0000-0xFFFFF) and the
// configuration table it points to, listing the processors, the buses (0 = PCI, 1 = ISA), the
// I/O APIC and how every interrupt source reaches an I/O APIC pin or a local APIC LINT pin.
//
//   MpTables mp = build_mp_tables(info, config_address);
//   mem.write_phys(kMpFloatingPointer, mp.floating_pointer);
//   mem.write_phys(config_address, mp.config);
//
// Interrupt wiring described (and the BIOS programs: firmware/bios/pci.asm):
//   ISA IRQ 0 -> I/O APIC pin 2 (the timer override every PC chipset has), other ISA IRQs -> the
//   pin of the same number, IRQ 9 (ACPI SCI) level/active high; PCI INTx# -> PIRQ -> the ISA IRQ
//   in kPirqIrq (level, active high, as vmlab's IRQ lines carry the asserted level); the 8259's
//   INTR -> pin 0 (ExtINT) and LINT0 (ExtINT); NMI -> LINT1.
#pragma once
#include <cstdint>
#include <vector>

#include "firmware/platform_layout.h"

namespace vmlab::firmware {

struct MpTables {
  std::vector<uint8_t> floating_pointer;  // 16 bytes
  std::vector<uint8_t> config;            // the "PCMP" table
};

MpTables build_mp_tables(const PlatformInfo& info, uint32_t config_address);

// Entry type codes and sizes (MP spec 4.3).
inline constexpr uint8_t kMpProcessor = 0, kMpBus = 1, kMpIoApic = 2, kMpIoInterrupt = 3,
                         kMpLocalInterrupt = 4;
inline constexpr uint8_t kMpBusPci = 0, kMpBusIsa = 1;  // our bus ids

}  // namespace vmlab::firmware
