// ACPI tables for a vmlab PC (ACPI 2.0-style FADT under an ACPI 1.0 RSDP/RSDT, as QEMU gives
// its guests): RSDP -> RSDT -> {FADT -> {FACS, DSDT}, MADT}.
//
//   AcpiTables acpi = build_acpi_tables(info, info.tables_base());
//   mem.write_phys(kAcpiRsdp, acpi.rsdp);
//   mem.write_phys(info.tables_base(), acpi.blob);
//
// What they say:
//   FADT  the PM block at 0x600 (PM1a event/control, 24-bit PM timer), SCI on IRQ 9, no SMI
//         command port (SCI_EN is always 1: ACPI-only platform), the reset register (0x60C,
//         value 6), an 8042 and legacy devices present, RTC century register 0x32.
//   DSDT  \_S5 = {0, 0}: SLP_TYP 0 with SLP_EN is power-off (devices/acpi_pm.h), and
//         \_SB.PCI0, the PCI root bridge (PNP0A03) with its _CRS (bus 0-255, I/O, the VGA and
//         BAR windows): an ACPI OS finds PCI only through it. No _PRT yet: PCI interrupts
//         come from the interrupt line registers or the MP table.
//   MADT  one local APIC per CPU (ids 0..n-1), the I/O APIC (id n, GSI base 0), overrides
//         IRQ0 -> GSI 2 and level/active-high for the SCI and the PCI IRQs 10/11, LINT1 = NMI.
#pragma once
#include <cstdint>
#include <vector>

#include "firmware/platform_layout.h"

namespace vmlab::firmware {

struct AcpiTables {
  std::vector<uint8_t> rsdp;  // 20 bytes, revision 0
  std::vector<uint8_t> blob;  // every other table, to be placed at `base`
  // Offsets of the tables inside `blob` (for tests and docs).
  uint32_t facs = 0, dsdt = 0, fadt = 0, madt = 0, rsdt = 0;
};

AcpiTables build_acpi_tables(const PlatformInfo& info, uint32_t base);

inline constexpr uint32_t kAcpiHeaderSize = 36;
inline constexpr uint32_t kFadtSize = 244;  // revision 3 (ACPI 2.0)

}  // namespace vmlab::firmware
