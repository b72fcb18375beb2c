// Writing the MP and ACPI tables into guest RAM (see platform_tables.h).
#include "firmware/platform_tables.h"

#include <fmt/format.h>
#include <stdexcept>

#include "firmware/acpi_tables.h"
#include "firmware/mp_table.h"
#include "machine/machine.h"

namespace vmlab::firmware {

PlatformInfo platform_info(const machine::Machine& m, uint32_t bios_size) {
  PlatformInfo info;
  info.ram_bytes = m.config().ram_bytes;
  info.cpus = m.config().smp ? m.config().smp : 1;
  info.bios_size = bios_size;
  const auto& bus = m.pci_bus();
  for (unsigned dev = 0; dev < devices::pci::PciBus::kDevices; ++dev) {
    for (unsigned fn = 0; fn < devices::pci::PciBus::kFunctions; ++fn) {
      if (!bus.find(dev, fn)) continue;
      uint32_t pin = bus.read(dev, fn, 0x3D, 1);
      if (pin >= 1 && pin <= 4) info.pci_intx.push_back({uint8_t(dev), uint8_t(pin)});
    }
  }
  return info;
}

void write_platform_tables(machine::GuestMemory& mem, const PlatformInfo& info) {
  if (info.ram_bytes < 2 * 1024 * 1024)
    throw std::invalid_argument(fmt::format(
        "the BIOS needs at least 2 MiB of guest RAM (-m 2M); this machine has {} KiB",
        info.ram_bytes / 1024));
  const uint32_t base = info.tables_base();
  // Start from zeros so a reboot with a different table size leaves no stale bytes behind.
  std::vector<uint8_t> zeros(kTablesSize, 0);
  bool ok = mem.write_phys(base, zeros);
  AcpiTables acpi = build_acpi_tables(info, base);
  MpTables mp = build_mp_tables(info, base + kMpConfigOffset);
  if (acpi.blob.size() > kMpConfigOffset || mp.config.size() > kTablesSize - kMpConfigOffset)
    throw std::logic_error("internal: ACPI/MP tables outgrew the table area");
  ok = ok && mem.write_phys(base, acpi.blob);
  ok = ok && mem.write_phys(base + kMpConfigOffset, mp.config);
  ok = ok && mem.write_phys(kMpFloatingPointer, mp.floating_pointer);
  ok = ok && mem.write_phys(kAcpiRsdp, acpi.rsdp);
  if (!ok) throw std::logic_error("internal: the firmware table area is not plain RAM");
}

}  // namespace vmlab::firmware
