// The E820 map (see e820_map.h).
#include "firmware/e820_map.h"

#include "firmware/table_bytes.h"

namespace vmlab::firmware {

std::vector<E820Entry> build_e820(const PlatformInfo& info) {
  const uint64_t top = info.ram_bytes;
  const uint64_t tables = info.tables_base();
  return {
      {0, kEbdaBase, E820Type::Ram},                                   // conventional memory
      {kEbdaBase, kEbdaSize, E820Type::Reserved},                      // EBDA (MP pointer, RSDP)
      {kBiosLegacyBase, 0x100000 - kBiosLegacyBase, E820Type::Reserved},  // BIOS ROM copy
      {0x100000, tables - 0x100000, E820Type::Ram},                    // extended memory
      {tables, top - tables, E820Type::Reserved},                      // ACPI + MP tables
      {(1ull << 32) - info.bios_size, info.bios_size, E820Type::Reserved},  // BIOS ROM
  };
}

std::vector<uint8_t> e820_fw_cfg_file(const std::vector<E820Entry>& map) {
  TableBytes t;
  for (const E820Entry& e : map) {
    t.u64(e.base);
    t.u64(e.length);
    t.u32(uint32_t(e.type));
  }
  return t.take();
}

}  // namespace vmlab::firmware
