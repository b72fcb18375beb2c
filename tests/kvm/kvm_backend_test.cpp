// The KVM backend's parts that need no /dev/kvm: the factory's errors, the memory-slot plan,
// port I/O and MMIO exits on the machine's buses (fabricated kvm_run pages), the CPUID table,
// and the C++ ABI workaround for the kernel's flexible-array structs.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstring>
#include <vector>

#include "kvm_backend/kvm_abi.h"
#include "kvm_backend/kvm_core.h"
#include "kvm_backend/kvm_cpuid.h"
#include "kvm_backend/kvm_exits.h"
#include "kvm_backend/kvm_memory.h"
#include "machine/core_factory.h"
#include "machine/setup_error.h"

using namespace vmlab;
using namespace vmlab::kvm_backend;

namespace {

// Records every bus cycle; reads answer 0xA0 + offset (per byte lane).
struct Recorder : machine::BusDevice {
  struct Access { uint64_t offset; unsigned width; uint32_t value; bool write; };
  std::vector<Access> log;
  uint32_t read(uint64_t offset, unsigned width) override {
    uint32_t v = 0;
    for (unsigned i = 0; i < width; ++i) v |= uint32_t(0xA0 + offset + i) << (8 * i);
    log.push_back({offset, width, v, false});
    return v;
  }
  void write(uint64_t offset, unsigned width, uint32_t value) override {
    log.push_back({offset, width, value, true});
  }
};

// A kvm_run page as KVM lays it out: the struct, then the I/O data area.
struct FakeRunPage {
  alignas(64) uint8_t bytes[4096]{};
  kvm_run& run() { return *reinterpret_cast<kvm_run*>(bytes); }
  uint8_t* data(uint64_t offset) { return bytes + offset; }
};

struct Buses {
  machine::GuestMemory mem{2 << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  cpu::Vcpu v{mem, io, mmio};
};

}  // namespace

TEST_CASE("kvm_factory_reports_a_missing_device_with_status_2_wording") {
  machine::MachineConfig cfg;
  cfg.backend = "kvm";
  try {
    make_kvm_core(cfg, "/nonexistent/kvm");
    FAIL("make_kvm_core accepted a missing device");
  } catch (const machine::SetupError& e) {
    CHECK(std::string(e.what()) ==
          "KVM is not available here (/nonexistent/kvm does not exist); use --backend interp");
  }
  // A file that is not a KVM device: opening works, the API version check does not.
  try {
    make_kvm_core(cfg, "/dev/null");
    FAIL("make_kvm_core accepted /dev/null");
  } catch (const machine::SetupError& e) {
    CHECK(std::string(e.what()).starts_with("KVM is not available here (/dev/null is not a KVM device"));
    CHECK(std::string(e.what()).ends_with("; use --backend interp"));
  }
}

TEST_CASE("kvm_factory_refuses_deterministic_time") {
  machine::MachineConfig cfg;
  cfg.backend = "kvm";
  cfg.deterministic = true;
  CHECK_THROWS_WITH_AS(machine::make_execution_core(cfg),
                       doctest::Contains("--deterministic cannot be used with --backend kvm"),
                       machine::SetupError);
}

TEST_CASE("kvm_memory_plan_maps_ram_around_the_hole_and_whole_rom_pages") {
  machine::GuestMemory mem(4 << 20);
  std::vector<uint8_t> bios(64 << 10, 0xF4), option_rom(0x800, 0x55);
  mem.add_rom(0xF0000, bios, "bios");
  mem.add_rom(0xFFFF0000u, bios, "bios-high");
  mem.add_rom(0xC0000, option_rom, "half-page");  // not a whole page: left to MMIO exits
  const std::vector<MemorySlot> plan = plan_memory_slots(mem);
  REQUIRE(plan.size() == 4);
  CHECK(plan[0] == MemorySlot{0, 0xA0000, mem.ram_base(), false});
  CHECK(plan[1].gpa == 0xF0000);
  CHECK(plan[1].size == 0x10000);
  CHECK(plan[1].rom);
  CHECK(plan[1].host == mem.readable_ptr(0xF0000, 1));
  CHECK(plan[2] == MemorySlot{0x100000, (4 << 20) - 0x100000, mem.ram_base() + 0x100000, false});
  CHECK(plan[3].gpa == 0xFFFF0000u);
  CHECK(plan[3].size == 0x10000);
  CHECK(plan[3].rom);
}

TEST_CASE("kvm_io_exit_string_out_writes_every_element_to_the_port") {
  Buses b;
  Recorder dev;
  b.io.add(0x80, 4, "rec", dev);
  FakeRunPage page;
  kvm_run& r = page.run();
  r.exit_reason = KVM_EXIT_IO;
  r.io.direction = KVM_EXIT_IO_OUT;
  r.io.size = 2;
  r.io.port = 0x82;
  r.io.count = 3;
  r.io.data_offset = sizeof(kvm_run);
  const uint16_t words[3] = {0x1111, 0x2222, 0x3333};
  std::memcpy(page.data(r.io.data_offset), words, sizeof words);
  KvmCounters c;
  CHECK(handle_io_exit(r, sizeof page.bytes, b.v, c) == "");
  REQUIRE(dev.log.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(dev.log[i].write);
    CHECK(dev.log[i].offset == 2);
    CHECK(dev.log[i].width == 2);
    CHECK(dev.log[i].value == words[i]);
  }
  CHECK(c[KvmExit::Io] == 1);
  CHECK(c.io_exits_by_port[0x82] == 1);
  CHECK(c.io_string_exits == 1);
  CHECK(b.v.counters.io_writes == 3);
}

TEST_CASE("kvm_io_exit_in_fills_the_data_area") {
  Buses b;
  Recorder dev;
  b.io.add(0x80, 4, "rec", dev);
  FakeRunPage page;
  kvm_run& r = page.run();
  r.io.direction = KVM_EXIT_IO_IN;
  r.io.size = 4;
  r.io.port = 0x80;
  r.io.count = 2;
  r.io.data_offset = sizeof(kvm_run) + 8;
  KvmCounters c;
  CHECK(handle_io_exit(r, sizeof page.bytes, b.v, c) == "");
  uint32_t got[2];
  std::memcpy(got, page.data(r.io.data_offset), sizeof got);
  CHECK(got[0] == 0xA3A2A1A0u);
  CHECK(got[1] == 0xA3A2A1A0u);
  CHECK(b.v.counters.io_reads == 2);
}

TEST_CASE("kvm_io_exit_rejects_malformed_exits") {
  Buses b;
  FakeRunPage page;
  kvm_run& r = page.run();
  KvmCounters c;
  r.io.direction = KVM_EXIT_IO_OUT;
  r.io.size = 3;
  r.io.count = 1;
  r.io.data_offset = sizeof(kvm_run);
  CHECK(handle_io_exit(r, sizeof page.bytes, b.v, c) != "");
  r.io.size = 4;
  r.io.count = 2000;  // 8000 bytes: beyond the page
  CHECK(handle_io_exit(r, sizeof page.bytes, b.v, c) != "");
  CHECK(c[KvmExit::Io] == 0);
}

TEST_CASE("kvm_mmio_exit_goes_to_the_bus_and_splits_qwords") {
  Buses b;
  Recorder dev;
  b.mmio.add(0xFEC00000u, 0x1000, "rec", dev);
  FakeRunPage page;
  kvm_run& r = page.run();
  r.mmio.phys_addr = 0xFEC00010u;
  r.mmio.len = 8;
  r.mmio.is_write = 1;
  const uint64_t q = 0x1122334455667788ull;
  std::memcpy(r.mmio.data, &q, 8);
  KvmCounters c;
  CHECK(handle_mmio_exit(r, b.v, c) == "");
  REQUIRE(dev.log.size() == 2);
  CHECK(dev.log[0].offset == 0x10);
  CHECK(dev.log[0].value == 0x55667788u);
  CHECK(dev.log[1].offset == 0x14);
  CHECK(dev.log[1].value == 0x11223344u);
  r.mmio.is_write = 0;
  r.mmio.len = 2;
  CHECK(handle_mmio_exit(r, b.v, c) == "");
  uint16_t w = 0;
  std::memcpy(&w, r.mmio.data, 2);
  CHECK(w == 0xB1B0);
  CHECK(c[KvmExit::Mmio] == 2);
  CHECK(c.mmio_exits_by_page[0xFEC00] == 2);
}

TEST_CASE("kvm_mmio_exit_reads_partial_rom_pages_and_drops_writes_to_them") {
  Buses b;
  std::vector<uint8_t> rom(0x800);
  for (size_t i = 0; i < rom.size(); ++i) rom[i] = uint8_t(i);
  b.mem.add_rom(0xC0000, rom, "optrom");
  FakeRunPage page;
  kvm_run& r = page.run();
  r.mmio.phys_addr = 0xC0010;
  r.mmio.len = 4;
  KvmCounters c;
  CHECK(handle_mmio_exit(r, b.v, c) == "");
  uint32_t v = 0;
  std::memcpy(&v, r.mmio.data, 4);
  CHECK(v == 0x13121110u);
  r.mmio.is_write = 1;
  CHECK(handle_mmio_exit(r, b.v, c) == "");
  CHECK(b.mem.readable_ptr(0xC0010, 1)[0] == 0x10);
  CHECK(b.mmio.stats().unclaimed_writes == 0);  // never reached the bus
}

TEST_CASE("kvm_cpuid_table_is_the_interpreter_model_masked_by_the_host") {
  Buses b;
  b.v.technique_id = 3;
  CpuidTable all = build_cpuid_table(b.v, nullptr);
  const kvm_cpuid_entry2* leaf0 = find_cpuid_entry(all, 0);
  REQUIRE(leaf0);
  char vendor[13] = {};
  std::memcpy(vendor, &leaf0->ebx, 4);
  std::memcpy(vendor + 4, &leaf0->edx, 4);
  std::memcpy(vendor + 8, &leaf0->ecx, 4);
  CHECK(std::string(vendor) == "GenuineIntel");
  REQUIRE(find_cpuid_entry(all, 0x40000001));
  CHECK(find_cpuid_entry(all, 0x40000001)->eax == 3);  // technique id: kvm
  CHECK(find_cpuid_entry(all, 0x80000004));
  const uint32_t edx1 = find_cpuid_entry(all, 1)->edx;
  CHECK((edx1 & (1u << 4)) != 0);  // TSC

  CpuidTable host;  // a host without TSC and NX
  host.nent = 2;
  host.entries[0].function = 1;
  host.entries[0].edx = ~(1u << 4);
  host.entries[0].ecx = ~0u;
  host.entries[1].function = 0x80000001u;
  host.entries[1].edx = ~(1u << 20);
  CpuidTable masked = build_cpuid_table(b.v, &host);
  CHECK(find_cpuid_entry(masked, 1)->edx == (edx1 & ~(1u << 4)));
  CHECK((find_cpuid_entry(masked, 0x80000001u)->edx & (1u << 20)) == 0);
  CHECK(find_cpuid_entry(masked, 0)->ebx == leaf0->ebx);  // identification kept
}

TEST_CASE("kvm_abi_structs_have_the_kernels_c_layout") {
  // In C++ the kernel header's flexible-array wrapper adds a byte, so kvm_cpuid2 is not the
  // 8-byte header the kernel expects: that is why kvm_abi.h exists.
  CHECK(offsetof(CpuidTable, entries) == 8);
  CHECK(offsetof(MsrTable, entries) == 8);
  CHECK(_IOC_SIZE(kKvmSetCpuid2) == 8);
  CHECK(_IOC_SIZE(kKvmGetMsrs) == 8);
  CHECK(_IOC_SIZE(kKvmGetMsrIndexList) == 4);
}
