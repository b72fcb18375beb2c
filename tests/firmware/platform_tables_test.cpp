// The firmware's tables (acceptance point 5 of issue 6): the E820 map, the MP floating pointer
// and configuration table, and the ACPI tables, checked for checksums, lengths, pointers and
// the facts they must state, then placed in guest RAM and found by the standard searches.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "firmware/acpi_tables.h"
#include "firmware/bios_loader.h"
#include "firmware/e820_map.h"
#include "firmware/mp_table.h"
#include "firmware/platform_tables.h"
#include "firmware/table_bytes.h"
#include "machine/guest_memory.h"
#include "machine/setup_error.h"

using namespace vmlab;
using namespace vmlab::firmware;

namespace {

uint8_t sum(const std::vector<uint8_t>& v, size_t begin, size_t len) {
  return TableBytes::checksum(v, begin, begin + len);
}
uint16_t rd16(const std::vector<uint8_t>& v, size_t at) {
  REQUIRE(at + 2 <= v.size());
  return uint16_t(v[at] | v[at + 1] << 8);
}
uint32_t rd32(const std::vector<uint8_t>& v, size_t at) {
  REQUIRE(at + 4 <= v.size());
  uint32_t x;
  std::memcpy(&x, &v[at], 4);
  return x;
}
uint64_t rd64(const std::vector<uint8_t>& v, size_t at) {
  return rd32(v, at) | uint64_t(rd32(v, at + 4)) << 32;
}
std::string sig(const std::vector<uint8_t>& v, size_t at, size_t n = 4) {
  REQUIRE(at + n <= v.size());
  return std::string(v.begin() + long(at), v.begin() + long(at + n));
}

PlatformInfo info_with(unsigned cpus, uint64_t ram = 128ull << 20) {
  PlatformInfo i;
  i.ram_bytes = ram;
  i.cpus = cpus;
  i.pci_intx = {{3, 1}, {4, 2}};  // two PCI functions with pins (as a NIC / sound card would)
  return i;
}

// An ACPI table at blob offset `at`: its length, and checksum 0 over that length.
uint32_t check_acpi_table(const std::vector<uint8_t>& blob, uint32_t at, const char* signature) {
  INFO("table " << signature);
  CHECK(sig(blob, at) == signature);
  uint32_t len = rd32(blob, at + 4);
  REQUIRE(len >= kAcpiHeaderSize);
  REQUIRE(at + len <= blob.size());
  CHECK(sum(blob, at, len) == 0);
  return len;
}

}  // namespace

TEST_CASE("e820_map_is_sorted_disjoint_and_reserves_the_table_area") {
  for (uint64_t ram : {2ull << 20, 128ull << 20, 3ull << 30}) {
    PlatformInfo info = info_with(1, ram);
    auto map = build_e820(info);
    REQUIRE(map.size() == 6);
    for (size_t i = 1; i < map.size(); ++i)
      CHECK(map[i - 1].base + map[i - 1].length <= map[i].base);
    CHECK(map[0] == E820Entry{0, 0x9FC00, E820Type::Ram});
    CHECK(map[3].base == 0x100000);
    CHECK(map[3].type == E820Type::Ram);
    // Usable RAM ends where the tables begin; the tables end at the end of RAM.
    CHECK(map[3].base + map[3].length == info.tables_base());
    CHECK(map[4] == E820Entry{info.tables_base(), kTablesSize, E820Type::Reserved});
    CHECK(map[4].base + map[4].length == ram);
    CHECK(map[5].base + map[5].length == (1ull << 32));  // the ROM below 4 GiB
    auto file = e820_fw_cfg_file(map);
    REQUIRE(file.size() == map.size() * 20);
    CHECK(rd64(file, 3 * 20) == 0x100000);
    CHECK(rd32(file, 4 * 20 + 16) == 2);
  }
}

TEST_CASE("mp_floating_pointer_and_config_table_checksums_and_entries") {
  for (unsigned cpus : {1u, 2u, 8u}) {
    INFO("cpus " << cpus);
    PlatformInfo info = info_with(cpus);
    const uint32_t config_at = info.tables_base() + kMpConfigOffset;
    MpTables mp = build_mp_tables(info, config_at);
    const auto& fp = mp.floating_pointer;
    REQUIRE(fp.size() == 16);
    CHECK(sig(fp, 0) == "_MP_");
    CHECK(rd32(fp, 4) == config_at);
    CHECK(fp[8] == 1);       // 16 bytes
    CHECK(fp[9] == 4);       // revision 1.4
    CHECK(sum(fp, 0, 16) == 0);
    CHECK(fp[11] == 0);      // a configuration table follows (no default configuration)

    const auto& t = mp.config;
    CHECK(sig(t, 0) == "PCMP");
    REQUIRE(rd16(t, 4) == t.size());
    CHECK(sum(t, 0, t.size()) == 0);
    CHECK(rd32(t, 36) == kLocalApicAddress);
    // Walk the entries: each type has its fixed size, the count matches, the walk ends exactly
    // at the table's end.
    size_t at = 44;
    unsigned entries = 0, processors = 0, bsps = 0, ioapics = 0, irq0_to_pin2 = 0, pci_ints = 0;
    unsigned isa_bus = 0xFF, pci_bus = 0xFF;
    while (at < t.size()) {
      uint8_t type = t[at];
      REQUIRE(type <= kMpLocalInterrupt);
      ++entries;
      if (type == kMpProcessor) {
        CHECK(t[at + 1] == processors);      // APIC ids 0..n-1
        CHECK((t[at + 3] & 1) == 1);         // enabled
        if (t[at + 3] & 2) ++bsps;
        ++processors;
        at += 20;
        continue;
      }
      if (type == kMpBus) {
        if (sig(t, at + 2, 6) == "ISA   ") isa_bus = t[at + 1];
        if (sig(t, at + 2, 6) == "PCI   ") pci_bus = t[at + 1];
      } else if (type == kMpIoApic) {
        CHECK(t[at + 1] == cpus);            // I/O APIC id after the local APIC ids
        CHECK(rd32(t, at + 4) == kIoApicAddress);
        ++ioapics;
      } else if (type == kMpIoInterrupt) {
        CHECK(t[at + 6] == cpus);            // to our I/O APIC
        if (t[at + 4] == isa_bus && t[at + 5] == 0 && t[at + 1] == 0) irq0_to_pin2 += t[at + 7] == 2;
        if (t[at + 4] == pci_bus) {
          ++pci_ints;
          unsigned dev = t[at + 5] >> 2, pin = (t[at + 5] & 3) + 1;
          CHECK(t[at + 7] == kPirqIrq[pirq_of(dev, pin)]);
        }
      }
      at += 8;
    }
    CHECK(at == t.size());
    CHECK(entries == rd16(t, 34));
    CHECK(processors == cpus);
    CHECK(bsps == 1);
    CHECK(ioapics == 1);
    CHECK(isa_bus != 0xFF);
    CHECK(pci_bus != 0xFF);
    CHECK(irq0_to_pin2 == 1);
    CHECK(pci_ints == 2);
  }
}

TEST_CASE("acpi_tables_checksums_pointers_and_contents") {
  for (unsigned cpus : {1u, 4u}) {
    INFO("cpus " << cpus);
    PlatformInfo info = info_with(cpus);
    const uint32_t base = info.tables_base();
    AcpiTables acpi = build_acpi_tables(info, base);
    const auto& b = acpi.blob;

    // RSDP (ACPI 1.0 form): 20 bytes, checksum 0, points at the RSDT.
    REQUIRE(acpi.rsdp.size() == 20);
    CHECK(sig(acpi.rsdp, 0, 8) == "RSD PTR ");
    CHECK(sum(acpi.rsdp, 0, 20) == 0);
    CHECK(acpi.rsdp[15] == 0);
    REQUIRE(rd32(acpi.rsdp, 16) == base + acpi.rsdt);

    // RSDT: FADT and MADT.
    uint32_t rsdt_len = check_acpi_table(b, acpi.rsdt, "RSDT");
    REQUIRE(rsdt_len == kAcpiHeaderSize + 8);
    CHECK(rd32(b, acpi.rsdt + 36) == base + acpi.fadt);
    CHECK(rd32(b, acpi.rsdt + 40) == base + acpi.madt);

    // FADT: revision 3, 244 bytes, the PM block, SCI 9, reset register, FACS and DSDT.
    CHECK(check_acpi_table(b, acpi.fadt, "FACP") == kFadtSize);
    CHECK(b[acpi.fadt + 8] == 3);
    CHECK(rd32(b, acpi.fadt + 36) == base + acpi.facs);
    CHECK(rd32(b, acpi.fadt + 40) == base + acpi.dsdt);
    CHECK(rd64(b, acpi.fadt + 132) == base + acpi.facs);
    CHECK(rd64(b, acpi.fadt + 140) == base + acpi.dsdt);
    CHECK(rd16(b, acpi.fadt + 46) == 9);
    CHECK(rd32(b, acpi.fadt + 48) == 0);          // no SMI command port
    CHECK(rd32(b, acpi.fadt + 56) == 0x600);
    CHECK(rd32(b, acpi.fadt + 64) == 0x604);
    CHECK(rd32(b, acpi.fadt + 76) == 0x608);
    CHECK(b[acpi.fadt + 89] == 2);                // PM1_CNT_LEN
    CHECK(b[acpi.fadt + 91] == 4);                // PM_TMR_LEN
    CHECK((rd32(b, acpi.fadt + 112) & (1u << 10)) != 0);  // RESET_REG_SUP
    CHECK(b[acpi.fadt + 116] == 1);               // reset register in I/O space
    CHECK(rd64(b, acpi.fadt + 120) == 0x60C);
    CHECK(b[acpi.fadt + 128] == 6);

    // FACS: 64 bytes, 64-byte aligned in guest memory.
    CHECK(sig(b, acpi.facs) == "FACS");
    CHECK(rd32(b, acpi.facs + 4) == 64);
    CHECK((base + acpi.facs) % 64 == 0);

    // DSDT: \_S5 is a package whose first element (SLP_TYPa) is 0.
    uint32_t dsdt_len = check_acpi_table(b, acpi.dsdt, "DSDT");
    std::string aml(b.begin() + acpi.dsdt + kAcpiHeaderSize, b.begin() + acpi.dsdt + dsdt_len);
    size_t s5 = aml.find("_S5_");
    REQUIRE(s5 != std::string::npos);
    CHECK(aml[s5 - 1] == 0x08);                   // NameOp
    CHECK(uint8_t(aml[s5 + 4]) == 0x12);          // PackageOp
    CHECK(aml[s5 + 7] == 0x00);                   // SLP_TYPa = 0

    // MADT: one enabled local APIC per CPU, the I/O APIC, IRQ0 -> GSI 2.
    uint32_t madt_len = check_acpi_table(b, acpi.madt, "APIC");
    CHECK(rd32(b, acpi.madt + 36) == kLocalApicAddress);
    unsigned lapics = 0, ioapics = 0, irq0_gsi2 = 0, sci_level = 0;
    for (uint32_t at = acpi.madt + 44; at < acpi.madt + madt_len;) {
      uint8_t type = b[at], len = b[at + 1];
      REQUIRE(len >= 2);
      if (type == 0) {
        CHECK(b[at + 3] == lapics);
        CHECK(rd32(b, at + 4) == 1);
        ++lapics;
      } else if (type == 1) {
        CHECK(b[at + 2] == cpus);
        CHECK(rd32(b, at + 4) == kIoApicAddress);
        CHECK(rd32(b, at + 8) == 0);
        ++ioapics;
      } else if (type == 2) {
        if (b[at + 3] == 0 && rd32(b, at + 4) == 2) ++irq0_gsi2;
        if (b[at + 3] == 9 && rd16(b, at + 8) == 0x000D) ++sci_level;
      }
      at += len;
      REQUIRE(at <= acpi.madt + madt_len);
    }
    CHECK(lapics == cpus);
    CHECK(ioapics == 1);
    CHECK(irq0_gsi2 == 1);
    CHECK(sci_level == 1);
    // Every table lies inside the MP-free part of the table area.
    CHECK(b.size() <= kMpConfigOffset);
  }
}

TEST_CASE("platform_tables_in_guest_ram_are_found_by_the_standard_searches") {
  machine::GuestMemory mem(64ull << 20);
  PlatformInfo info = info_with(2, mem.ram_size());
  write_platform_tables(mem, info);
  std::vector<uint8_t> ebda(kEbdaSize);
  REQUIRE(mem.read_phys(kEbdaBase, ebda));
  // MP spec 4: the floating pointer on a 16-byte boundary in the EBDA's first KiB.
  int mp_at = -1, rsdp_at = -1;
  for (size_t off = 0; off < kEbdaSize; off += 16) {
    if (sig(ebda, off) == "_MP_" && sum(ebda, off, 16) == 0) mp_at = int(off);
    if (off + 20 <= kEbdaSize && sig(ebda, off, 8) == "RSD PTR " && sum(ebda, off, 20) == 0)
      rsdp_at = int(off);
  }
  REQUIRE(mp_at >= 0);
  REQUIRE(rsdp_at >= 0);
  uint32_t config = rd32(ebda, size_t(mp_at) + 4);
  std::vector<uint8_t> head(8);
  REQUIRE(mem.read_phys(config, head));
  CHECK(sig(head, 0) == "PCMP");
  std::vector<uint8_t> table(rd16(head, 4));
  REQUIRE(mem.read_phys(config, table));
  CHECK(sum(table, 0, table.size()) == 0);
  uint32_t rsdt = rd32(ebda, size_t(rsdp_at) + 16);
  std::vector<uint8_t> rsdt_head(8);
  REQUIRE(mem.read_phys(rsdt, rsdt_head));
  CHECK(sig(rsdt_head, 0) == "RSDT");
  // Both tables lie in the E820 reserved area at the top of RAM.
  CHECK(config >= info.tables_base());
  CHECK(rsdt >= info.tables_base());
  CHECK(rsdt < mem.ram_size());

  PlatformInfo tiny = info_with(1, 1ull << 20);
  machine::GuestMemory small(1ull << 20);
  CHECK_THROWS_AS(write_platform_tables(small, tiny), std::invalid_argument);
}

TEST_CASE("bios_rom_is_mapped_at_the_reset_vector_and_below_1mib_read_only") {
  machine::GuestMemory mem(32ull << 20);
  std::vector<uint8_t> rom(64 * 1024);
  for (size_t i = 0; i < rom.size(); ++i) rom[i] = uint8_t(i * 7 + 3);
  map_bios_rom(mem, rom);
  const uint8_t* top = mem.readable_ptr(0xFFFFFFF0u, 16);
  REQUIRE(top != nullptr);
  CHECK(std::memcmp(top, &rom[rom.size() - 16], 16) == 0);
  const uint8_t* legacy = mem.readable_ptr(0xF0000, 0x10000);
  REQUIRE(legacy != nullptr);
  CHECK(std::memcmp(legacy, rom.data(), rom.size()) == 0);
  CHECK(mem.ram_ptr(0xF0000, 1) == nullptr);       // not writable
  CHECK(mem.readable_ptr(0xE0000, 1) == nullptr);  // a 64 KiB image only shadows F0000

  // A 256 KiB image (SeaBIOS's bios-256k.bin): whole at the top, last 128 KiB below 1 MiB.
  machine::GuestMemory mem2(32ull << 20);
  std::vector<uint8_t> big(256 * 1024, 0);
  big[big.size() - 0x20000] = 0xAB;
  map_bios_rom(mem2, big);
  REQUIRE(mem2.readable_ptr(0xE0000, 1) != nullptr);
  CHECK(*mem2.readable_ptr(0xE0000, 1) == 0xAB);
  CHECK(mem2.readable_ptr(0xFFFC0000u, 1) != nullptr);
}

TEST_CASE("read_bios_image_rejects_missing_files_and_odd_sizes") {
  CHECK_THROWS_AS(read_bios_image("/nonexistent/bios.bin"), machine::SetupError);
  std::string path = "/tmp/vmlab_bios_test_odd.bin";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f);
    std::vector<uint8_t> junk(1000, 0x90);
    std::fwrite(junk.data(), 1, junk.size(), f);
    std::fclose(f);
  }
  CHECK_THROWS_AS(read_bios_image(path), machine::SetupError);
  std::remove(path.c_str());
}

namespace {
// Decodes an AML PkgLength at `at`: returns the package length and sets `bytes` to its size.
size_t aml_pkg_length(const std::string& aml, size_t at, size_t& bytes) {
  uint8_t lead = uint8_t(aml.at(at));
  bytes = 1 + (lead >> 6);
  if (bytes == 1) return lead & 0x3F;
  size_t len = lead & 0x0F;
  for (size_t i = 1; i < bytes; ++i) len |= size_t(uint8_t(aml.at(at + i))) << (4 + 8 * (i - 1));
  return len;
}
}  // namespace

// Linux with ACPI scans PCI only below a PNP0A03 root bridge object: without \_SB.PCI0 it
// found no PCI device at all (no IDE disk), although the MP table and the BIOS were right.
TEST_CASE("acpi_dsdt_has_the_pci_root_bridge_with_its_resource_windows") {
  PlatformInfo info = info_with(1);
  AcpiTables acpi = build_acpi_tables(info, info.tables_base());
  const auto& b = acpi.blob;
  uint32_t dsdt_len = check_acpi_table(b, acpi.dsdt, "DSDT");
  std::string aml(b.begin() + acpi.dsdt + kAcpiHeaderSize, b.begin() + acpi.dsdt + dsdt_len);

  // Scope (\_SB) ends exactly at the end of the table, and Device (PCI0) exactly where it does.
  size_t scope = aml.find(std::string("\x10", 1));
  REQUIRE(scope != std::string::npos);
  size_t n = 0;
  size_t scope_len = aml_pkg_length(aml, scope + 1, n);
  CHECK(scope + 1 + scope_len == aml.size());
  CHECK(aml.substr(scope + 1 + n, 5) == "\\_SB_");
  size_t dev = scope + 1 + n + 5;
  CHECK(uint8_t(aml[dev]) == 0x5B);
  CHECK(uint8_t(aml[dev + 1]) == 0x82);
  size_t dev_len = aml_pkg_length(aml, dev + 2, n);
  CHECK(dev + 2 + dev_len == aml.size());
  CHECK(aml.substr(dev + 2 + n, 4) == "PCI0");

  size_t hid = aml.find("_HID");
  REQUIRE(hid != std::string::npos);
  CHECK(aml.substr(hid + 4, 5) == std::string("\x0C\x41\xD0\x0A\x03", 5));  // EisaId PNP0A03

  // _CRS: a buffer of resource descriptors ending with the end tag at its last two bytes.
  size_t crs = aml.find("_CRS");
  REQUIRE(crs != std::string::npos);
  REQUIRE(uint8_t(aml[crs + 4]) == 0x11);
  size_t buf_len = aml_pkg_length(aml, crs + 5, n);
  CHECK(crs + 5 + buf_len == aml.size());
  size_t at = crs + 5 + n;
  REQUIRE(uint8_t(aml[at]) == 0x0B);
  size_t size = uint8_t(aml[at + 1]) | size_t(uint8_t(aml[at + 2])) << 8;
  at += 3;
  CHECK(at + size == aml.size());
  std::vector<uint8_t> r(aml.begin() + long(at), aml.end());
  bool bus = false, cf8 = false, io_low = false, io_high = false, bars = false, end = false;
  for (size_t i = 0; i < r.size() && !end;) {
    if (r[i] == 0x79) { end = (i + 2 == r.size()); break; }
    if (r[i] == 0x47) {  // small I/O port descriptor
      cf8 = rd16(r, i + 2) == 0xCF8 && r[i + 7] == 8;
      i += 8;
      continue;
    }
    REQUIRE((r[i] == 0x88 || r[i] == 0x87));
    size_t len = rd16(r, i + 1);
    if (r[i] == 0x88) {
      uint16_t min = rd16(r, i + 8), max = rd16(r, i + 10), span = rd16(r, i + 14);
      CHECK(uint32_t(span) == uint32_t(max - min + 1));
      if (r[i + 3] == 2) bus = min == 0 && max == 0xFF;
      if (r[i + 3] == 1 && min == 0) io_low = max == 0xCF7;
      if (r[i + 3] == 1 && min == 0xD00) io_high = max == 0xFFFF;
    } else {
      uint32_t min = rd32(r, i + 10), max = rd32(r, i + 14);
      CHECK(rd32(r, i + 22) == max - min + 1);
      if (min == kPciMemoryBase) bars = max == kIoApicAddress - 1;
    }
    i += 3 + len;
  }
  CHECK(bus);
  CHECK(cf8);
  CHECK(io_low);
  CHECK(io_high);
  CHECK(bars);
  CHECK(end);
}
