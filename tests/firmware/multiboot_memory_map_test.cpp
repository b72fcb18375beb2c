// The multiboot memory map when the firmware tables are present (setup_multiboot_boot): the
// map is the BIOS's E820 map, mem_upper stops at the table area, and nothing is loaded there.
#include <doctest/doctest.h>

#include <cstring>

#include "firmware/e820_map.h"
#include "firmware/multiboot_loader.h"
#include "machine/setup_error.h"

using namespace vmlab;
using firmware::E820Entry;
using firmware::E820Type;
using machine::GuestMemory;

namespace {

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) { std::memcpy(&b[off], &v, 2); }
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
uint32_t get32(GuestMemory& m, uint64_t pa) {
  std::vector<uint8_t> b(4);
  REQUIRE(m.read_phys(pa, b));
  uint32_t v;
  std::memcpy(&v, b.data(), 4);
  return v;
}
uint64_t get64(GuestMemory& m, uint64_t pa) { return get32(m, pa) | (uint64_t(get32(m, pa + 4)) << 32); }

// An ELF32 multiboot kernel with one PT_LOAD segment of `memsz` bytes at physical `at`.
std::vector<uint8_t> kernel_at(uint32_t at, uint32_t memsz) {
  std::vector<uint8_t> f(0x100 + 16, 0);
  f[0] = 0x7F; f[1] = 'E'; f[2] = 'L'; f[3] = 'F';
  f[4] = 1; f[5] = 1; f[6] = 1;
  put16(f, 16, 2);   // ET_EXEC
  put16(f, 18, 3);   // EM_386
  put32(f, 20, 1);
  put32(f, 24, at + 12);
  put32(f, 28, 52);
  put16(f, 40, 52);
  put16(f, 42, 32);
  put16(f, 44, 1);
  put32(f, 52, 1);        // PT_LOAD
  put32(f, 56, 0x100);    // file offset
  put32(f, 60, at);
  put32(f, 64, at);
  put32(f, 68, 16);
  put32(f, 72, memsz);
  put32(f, 0x100, firmware::kMultibootHeaderMagic);
  put32(f, 0x108, uint32_t(0u - firmware::kMultibootHeaderMagic));
  f[0x10C] = 0xF4;   // hlt
  return f;
}

}  // namespace

TEST_CASE("multiboot_memory_map_is_the_bios_e820_map_with_the_tables_reserved") {
  firmware::PlatformInfo info;
  info.ram_bytes = 8 << 20;
  GuestMemory mem(info.ram_bytes);
  cpu::CpuState s{};
  firmware::MultibootParams p{"k", "", {}};
  p.memory_map = firmware::build_e820(info);
  auto r = firmware::load_multiboot(mem, s, kernel_at(0x100000, 0x1000), p);
  const uint32_t mb = r.info_addr;
  CHECK((get32(mem, mb) & (1u << 6)) != 0);
  // mem_upper: 1 MiB up to the tables (top 64 KiB), not to the end of RAM.
  CHECK(get32(mem, mb + 8) == ((8u << 20) - firmware::kTablesSize - 0x100000) / 1024);
  const uint32_t len = get32(mem, mb + 44), addr = get32(mem, mb + 48);
  REQUIRE(len == p.memory_map.size() * 24);
  for (size_t i = 0; i < p.memory_map.size(); ++i) {
    const E820Entry& e = p.memory_map[i];
    CAPTURE(i);
    CHECK(get32(mem, addr + i * 24) == 20);
    CHECK(get64(mem, addr + i * 24 + 4) == e.base);
    CHECK(get64(mem, addr + i * 24 + 12) == e.length);
    CHECK(get32(mem, addr + i * 24 + 20) == uint32_t(e.type));
  }
  // The table area is a reserved entry of the map the kernel gets.
  bool tables_reserved = false;
  for (const E820Entry& e : p.memory_map)
    if (e.base == info.tables_base() && e.type == E820Type::Reserved) tables_reserved = true;
  CHECK(tables_reserved);

  // A module or a kernel reaching into the table area is refused, not loaded over the tables.
  p.modules.push_back({"big", std::vector<uint8_t>((8 << 20) - 0x110000, 1)});
  CHECK_THROWS_AS(firmware::load_multiboot(mem, s, kernel_at(0x100000, 0x1000), p), machine::SetupError);
  p.modules.clear();
  CHECK_THROWS_AS(firmware::load_multiboot(mem, s, kernel_at(info.tables_base() - 0x1000, 0x2000), p),
                  machine::SetupError);
  // Without a map (a machine without firmware tables) mem_upper is all RAM above 1 MiB.
  p.memory_map.clear();
  r = firmware::load_multiboot(mem, s, kernel_at(0x100000, 0x1000), p);
  CHECK(get32(mem, r.info_addr + 8) == ((8u << 20) - 0x100000) / 1024);
}
