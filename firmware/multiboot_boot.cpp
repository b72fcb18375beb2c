// A multiboot boot that leaves the guest what a BIOS boot would (see setup_multiboot_boot in
// multiboot_loader.h). The kernel still starts directly in protected mode - no BIOS code
// runs - but the host writes the same MP and ACPI tables the BIOS boot step writes, and the
// multiboot memory map is the BIOS's E820 map, so a kernel sees one PC whichever way it boots.
#include <fmt/format.h>
#include <memory>

#include "firmware/e820_map.h"
#include "firmware/multiboot_loader.h"
#include "firmware/platform_tables.h"
#include "machine/machine.h"

namespace vmlab::firmware {

namespace {

// The two BIOS data area words the MP specification's search (section 4) and ACPI's RSDP
// search (5.2.5.1) start from: 40:0E, the EBDA segment, and 40:13, the base memory size in
// KiB (its last KiB is searched when 40:0E is zero).
constexpr uint32_t kBdaEbdaSegment = 0x40E, kBdaBaseMemoryKiB = 0x413;

void write_bda_pointers(machine::GuestMemory& mem) {
  const uint16_t seg = uint16_t(kEbdaBase >> 4), kib = uint16_t(kEbdaBase / 1024);
  const uint8_t seg_bytes[2] = {uint8_t(seg), uint8_t(seg >> 8)};
  const uint8_t kib_bytes[2] = {uint8_t(kib), uint8_t(kib >> 8)};
  if (!mem.write_phys(kBdaEbdaSegment, seg_bytes) || !mem.write_phys(kBdaBaseMemoryKiB, kib_bytes))
    throw std::logic_error("internal: the BIOS data area is not plain RAM");
}

}  // namespace

void setup_multiboot_boot(machine::Machine& m, std::vector<uint8_t> kernel, MultibootParams params) {
  // The ROM is not mapped on this path; bios_size only places the E820 entry for the ROM
  // window below 4 GiB, which stays reserved as on a BIOS boot.
  const PlatformInfo info = platform_info(m, 64 * 1024);
  const bool tables = info.ram_bytes >= 2 * 1024 * 1024;
  if (tables) params.memory_map = build_e820(info);
  else
    fmt::print(stderr, "vmlab: {} KiB of RAM: too little for the MP and ACPI tables (they need "
                       "-m 2M or more); booting the multiboot kernel without them\n",
               info.ram_bytes / 1024);
  auto k = std::make_shared<const std::vector<uint8_t>>(std::move(kernel));
  auto p = std::make_shared<const MultibootParams>(std::move(params));
  m.set_boot([info, tables, k, p](machine::Machine& mm) {
    if (tables) {
      write_platform_tables(mm.memory(), info);
      write_bda_pointers(mm.memory());
    }
    load_multiboot(mm.memory(), mm.vcpu().s, *k, *p);
  });
}

}  // namespace vmlab::firmware
