// Where vmlab's firmware pieces live in the guest-physical address space, and the board facts
// the MP and ACPI tables describe. The BIOS (firmware/bios/layout.inc) uses the same numbers;
// a change here needs the same change there.
//
//   0x00000-0x9FBFF  RAM (E820 usable)
//   0x9FC00-0x9FFFF  EBDA, 1 KiB; +0x200: MP floating pointer, +0x210: ACPI RSDP (host-written)
//   0xA0000-0xBFFFF  VGA window
//   0xF0000-0xFFFFF  BIOS ROM (the last 64 KiB of the image)
//   0x100000-top-64K RAM (E820 usable)
//   top-64K..top     ACPI tables and the MP configuration table (E820 reserved)
//   0xFEC00000       I/O APIC;  0xFEE00000 local APICs
//   4G-size..4G      BIOS ROM (the whole image)
#pragma once
#include <cstdint>
#include <vector>

namespace vmlab::firmware {

inline constexpr uint32_t kEbdaBase = 0x9FC00;
inline constexpr uint32_t kEbdaSize = 0x400;
inline constexpr uint32_t kMpFloatingPointer = kEbdaBase + 0x200;  // 16-byte aligned
inline constexpr uint32_t kAcpiRsdp = kEbdaBase + 0x210;           // 16-byte aligned
inline constexpr uint32_t kBiosLegacyBase = 0xF0000;
inline constexpr uint32_t kTablesSize = 64 * 1024;   // at the top of RAM
inline constexpr uint32_t kMpConfigOffset = 0x8000;  // MP config table inside that area

inline constexpr uint32_t kIoApicAddress = 0xFEC00000;
// Where the BIOS starts giving PCI memory BARs addresses (firmware/bios/pci.asm); the ACPI root
// bridge's memory window runs from here to the I/O APIC.
inline constexpr uint32_t kPciMemoryBase = 0xE0000000;
inline constexpr uint32_t kLocalApicAddress = 0xFEE00000;
inline constexpr unsigned kIoApicPins = 24;
inline constexpr unsigned kSciIrq = 9;                // ACPI SCI (devices/acpi_pm.h)
// PIRQA-D -> ISA IRQ, as the BIOS programs the PIIX3 (firmware/bios/pci.asm).
inline constexpr uint8_t kPirqIrq[4] = {10, 10, 11, 11};

// The ACPI PM block (devices/acpi_pm.h).
inline constexpr uint16_t kPmBase = 0x600;
inline constexpr uint16_t kPm1aEvt = kPmBase + 0, kPm1aCnt = kPmBase + 4, kPmTmr = kPmBase + 8;
inline constexpr uint16_t kResetReg = kPmBase + 0xC;
inline constexpr uint8_t kResetValue = 6;

// fw_cfg keys the vmlab BIOS reads beyond QEMU's standard ones.
inline constexpr uint16_t kFwCfgBootDevice = 0x000D;  // QEMU's FW_CFG_BOOT_DEVICE: 'c' / 'd'
// The E820 map is the fw_cfg file "etc/e820", as QEMU publishes it (e820_map.h).
inline constexpr const char* kFwCfgE820File = "etc/e820";

// One PCI function's interrupt pin, for the MP table's interrupt entries.
struct PciIntx {
  uint8_t dev = 0;  // slot on bus 0
  uint8_t pin = 0;  // 1-4 = INTA#-INTD#
};

// What the tables describe, from the machine configuration.
struct PlatformInfo {
  uint64_t ram_bytes = 0;
  unsigned cpus = 1;
  uint32_t bios_size = 64 * 1024;   // size of the ROM image (mapped below 4 GiB)
  std::vector<PciIntx> pci_intx;    // functions with an interrupt pin

  uint32_t tables_base() const { return uint32_t(ram_bytes - kTablesSize); }
  uint8_t ioapic_id() const { return uint8_t(cpus); }  // after the local APIC IDs 0..cpus-1
};

// The board's slot wiring (devices/pci/piix3.h): INTx# of slot `dev` drives PIRQ
// (intx + dev - 1) mod 4; `pin` is 1-based as in configuration register 3Dh.
inline unsigned pirq_of(unsigned dev, unsigned pin) { return (pin - 1 + dev + 3) & 3; }

}  // namespace vmlab::firmware
