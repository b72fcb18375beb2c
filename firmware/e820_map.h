// The E820 memory map of a vmlab PC (INT 15h AX=E820h): built once on the host from the RAM size
// and the ROM size, published through fw_cfg, and handed out by the BIOS entry by entry. It is
// the single source of truth for where the firmware's tables may live (platform_layout.h).
//
//   auto map = build_e820(info);
//   fw_cfg.add_file(kFwCfgE820File, e820_fw_cfg_file(map));  // QEMU's format: vmlab's BIOS
//                                                            // and SeaBIOS both read it
#pragma once
#include <cstdint>
#include <vector>

#include "firmware/platform_layout.h"

namespace vmlab::firmware {

enum class E820Type : uint32_t { Ram = 1, Reserved = 2, Acpi = 3, Nvs = 4 };

struct E820Entry {
  uint64_t base = 0;
  uint64_t length = 0;
  E820Type type = E820Type::Ram;
  bool operator==(const E820Entry&) const = default;
};

// Sorted by base, non-overlapping. Needs ram_bytes >= 2 MiB (the tables sit below the top).
std::vector<E820Entry> build_e820(const PlatformInfo& info);
// QEMU's "etc/e820" file: per entry u64 base, u64 length, u32 type (packed, little-endian).
std::vector<uint8_t> e820_fw_cfg_file(const std::vector<E820Entry>& map);

}  // namespace vmlab::firmware
