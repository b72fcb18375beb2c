// Puts the MP and ACPI tables into guest RAM, where the PC conventions make operating systems
// look for them: the two small "pointer" structures (MP floating pointer, ACPI RSDP) in the
// first KiB of the EBDA, everything else in the reserved 64 KiB at the top of RAM
// (platform_layout.h). Run by the BIOS boot step on every reset, before the BIOS starts; the
// BIOS leaves both areas alone.
//
//   write_platform_tables(machine.memory(), platform_info(machine));
#pragma once
#include "firmware/platform_layout.h"
#include "machine/guest_memory.h"

namespace vmlab::machine { class Machine; }

namespace vmlab::firmware {

// The machine's RAM size, CPU count and PCI interrupt pins.
PlatformInfo platform_info(const machine::Machine& m, uint32_t bios_size);

// Throws std::invalid_argument when RAM is too small to hold the table area above 1 MiB.
void write_platform_tables(machine::GuestMemory& mem, const PlatformInfo& info);

}  // namespace vmlab::firmware
