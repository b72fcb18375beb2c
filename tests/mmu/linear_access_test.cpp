// Linear access (mmu/linear_access.*, mmu/physical_access.cpp): widths, page-crossing splits,
// ROM and MMIO dispatch, the fetch contract and real-mode A20 behaviour.
#include <doctest/doctest.h>
#include <array>
#include "tests/mmu/mmu_fixture.h"

using namespace vmlab;
using namespace vmlab::mmu;
using namespace vmlab::mmu::test;

namespace {

constexpr uint32_t kPd = 0x10000, kPt = 0x11000;
constexpr uint32_t kLin = 0x00400000;

// Pages 0 and 1 of kLin map to 0x201000 and 0x203000 (not adjacent); page 2 is not present.
void map_split(MmuFixture& m, uint32_t page1_flags = P | RW) {
  m.put32(kPd + 4, kPt | P | RW | US);
  m.put32(kPt + 0, 0x201000 | P | RW);
  m.put32(kPt + 4, 0x203000 | page1_flags);
  m.paging_2level(kPd);
}

// A device that remembers its last access.
struct Recorder : machine::BusDevice {
  uint64_t last_offset = 0;
  unsigned last_width = 0;
  uint32_t last_value = 0;
  int reads = 0, writes = 0;
  uint32_t read(uint64_t offset, unsigned width) override {
    ++reads;
    last_offset = offset;
    last_width = width;
    return 0x44332211u;
  }
  void write(uint64_t offset, unsigned width, uint32_t value) override {
    ++writes;
    last_offset = offset;
    last_width = width;
    last_value = value;
  }
};

}  // namespace

TEST_CASE("real mode reads and writes every width at linear = physical") {
  MmuFixture m;
  m.v.s.cr0 = 0;
  REQUIRE_FALSE(write_linear<uint64_t>(m.v, 0x5000, 0x1122334455667788ull, false));
  uint8_t b = 0;
  uint16_t w = 0;
  uint32_t d = 0;
  uint64_t q = 0;
  REQUIRE_FALSE(read_linear<uint8_t>(m.v, 0x5000, b, false));
  REQUIRE_FALSE(read_linear<uint16_t>(m.v, 0x5001, w, false));
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0x5004, d, false));
  REQUIRE_FALSE(read_linear<uint64_t>(m.v, 0x5000, q, false));
  CHECK(b == 0x88);
  CHECK(w == 0x6677);
  CHECK(d == 0x11223344);
  CHECK(q == 0x1122334455667788ull);
}

TEST_CASE("A20 off wraps accesses above 1 MiB to the bottom of memory") {
  MmuFixture m;
  m.v.s.cr0 = 0;
  m.put32(0x0FFF0, 0xAABBCCDD);
  m.mem.set_a20(false);
  m.v.tlb.flush_all();
  uint32_t x = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0x10FFF0, x, false));
  CHECK(x == 0xAABBCCDD);
  m.mem.set_a20(true);
  m.v.tlb.flush_all();
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0x10FFF0, x, false));
  CHECK(x == 0);
}

TEST_CASE("a read crossing a page boundary joins bytes from two non-adjacent frames") {
  MmuFixture m;
  map_split(m);
  m.put32(0x201FFC, 0x44332211);
  m.put32(0x203000, 0x88776655);
  uint64_t q = 0;
  REQUIRE_FALSE(read_linear<uint64_t>(m.v, kLin + 0xFFC, q, false));
  CHECK(q == 0x8877665544332211ull);
  uint32_t d = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin + 0xFFE, d, false));
  CHECK(d == 0x66554433u);
}

TEST_CASE("a write crossing into a read-only page faults on the second page and writes nothing") {
  MmuFixture m;
  map_split(m, P);  // second page read-only
  m.v.s.cr0 |= cpu::CR0_WP;
  CHECK(is_pf(write_linear<uint32_t>(m.v, kLin + 0xFFE, 0xDEADBEEF, false), kPfPresent | kPfWrite));
  CHECK(m.v.s.cr2 == kLin + 0x1000);
  CHECK(m.get32(0x201FFC) == 0);
  CHECK(m.get32(0x203000) == 0);
}

TEST_CASE("a write crossing into a not-present page faults with CR2 at that page") {
  MmuFixture m;
  map_split(m);
  CHECK(is_pf(write_linear<uint64_t>(m.v, kLin + 0x1FFA, ~0ull, false), kPfWrite));
  CHECK(m.v.s.cr2 == kLin + 0x2000);
  CHECK(m.get64(0x203FF8) == 0);
  CHECK(is_pf(probe_write(m.v, kLin + 0x1FF0, 0x20, false), kPfWrite));
  CHECK_FALSE(probe_write(m.v, kLin + 0x10, 0x1FF0, false));
}

TEST_CASE("a page-crossing write lands in both frames and marks both dirty") {
  MmuFixture m;
  map_split(m);
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin + 0xFFF, 0xA1B2C3D4, false));
  CHECK(m.get32(0x201FFC) == 0xD4000000u);
  CHECK(m.get32(0x203000) == 0x00A1B2C3u);
  CHECK(m.mem.test_and_clear_dirty(0x201));
  CHECK(m.mem.test_and_clear_dirty(0x203));
}

TEST_CASE("ROM reads come from the image and ROM writes are ignored") {
  MmuFixture m;
  std::array<uint8_t, 0x1000> rom{};
  rom[0xFF0] = 0xEA;
  rom[0xFF1] = 0x5B;
  m.mem.add_rom(0xFFFFF000u, rom, "bios");
  m.v.s.cr0 = 0;
  uint16_t w = 0;
  REQUIRE_FALSE(read_linear<uint16_t>(m.v, 0xFFFFFFF0u, w, false));
  CHECK(w == 0x5BEA);
  REQUIRE_FALSE(write_linear<uint16_t>(m.v, 0xFFFFFFF0u, 0x9090, false));
  REQUIRE_FALSE(read_linear<uint16_t>(m.v, 0xFFFFFFF0u, w, false));
  CHECK(w == 0x5BEA);
  CHECK(m.v.mmu.counters.rom_writes_ignored == 2);
  CHECK(m.v.tlb.lookup(Access::Read, false, 0xFFFFFFF0u, 2) == nullptr);  // ROM: never cached
  uint8_t buf[16];
  unsigned n = 0;
  REQUIRE_FALSE(fetch_linear(m.v, 0xFFFFFFF0u, buf, 15, false, n));
  CHECK(n == 15);
  CHECK(buf[0] == 0xEA);
}

TEST_CASE("MMIO accesses reach the device at their width and are counted") {
  MmuFixture m;
  Recorder dev;
  m.mmio.add(0xFEC00000u, 0x1000, "rec", dev);
  m.v.s.cr0 = 0;
  uint32_t d = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0xFEC00010u, d, false));
  CHECK(d == 0x44332211u);
  CHECK(dev.last_offset == 0x10);
  CHECK(dev.last_width == 4);
  REQUIRE_FALSE(write_linear<uint16_t>(m.v, 0xFEC00020u, 0xBEEF, false));
  CHECK(dev.last_width == 2);
  CHECK(dev.last_value == 0xBEEF);
  CHECK(m.v.counters.mmio_reads == 1);
  CHECK(m.v.counters.mmio_writes == 1);
  CHECK(m.v.tlb.lookup(Access::Read, false, 0xFEC00010u, 4) == nullptr);
  // Unclaimed physical memory: reads all-ones, writes dropped and counted by the bus.
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0x80000000u, d, false));
  CHECK(d == 0xFFFFFFFFu);
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, 0x80000000u, 1, false));
  CHECK(m.mmio.stats().unclaimed_writes == 1);
}

TEST_CASE("the legacy hole is never cached and goes to the bus") {
  MmuFixture m;
  m.v.s.cr0 = 0;
  uint32_t d = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0xB8000, d, false));
  CHECK(d == 0xFFFFFFFFu);
  CHECK(m.v.tlb.lookup(Access::Read, false, 0xB8000, 4) == nullptr);
}

TEST_CASE("fetch across into a not-present page returns the first page's bytes without a fault") {
  MmuFixture m;
  map_split(m);
  m.put32(0x203FFC, 0x90909090);
  uint8_t buf[16] = {};
  unsigned n = 0;
  REQUIRE_FALSE(fetch_linear(m.v, kLin + 0x1FFC, buf, 15, false, n));
  CHECK(n == 4);
  CHECK(buf[3] == 0x90);
  CHECK(m.v.s.cr2 == 0);                  // look-ahead faults are not reported
  CHECK(m.v.mmu.counters.page_faults == 0);
  // The decoder needs byte 4: asking from there reports the fault.
  CHECK(is_pf(fetch_linear(m.v, kLin + 0x2000, buf, 11, false, n), 0));
  CHECK(n == 0);
  CHECK(m.v.s.cr2 == kLin + 0x2000);
  // Within a page the fast path delivers everything.
  REQUIRE_FALSE(fetch_linear(m.v, kLin + 0x1000, buf, 15, false, n));
  CHECK(n == 15);
  m.put32(0x201FF8, 0x04030201);
  m.put32(0x203000, 0x0C0B0A09);
  REQUIRE_FALSE(fetch_linear(m.v, kLin + 0xFF8, buf, 15, false, n));
  CHECK(n == 15);
  CHECK(buf[0] == 0x01);
  CHECK(buf[8] == 0x09);  // first byte of the second (non-adjacent) frame
}

TEST_CASE("fetch does not read device memory ahead of the byte it needs") {
  MmuFixture m;
  Recorder dev;
  m.mmio.add(0xFEC00000u, 0x1000, "rec", dev);
  m.v.s.cr0 = 0;
  uint8_t buf[16] = {};
  unsigned n = 0;
  REQUIRE_FALSE(fetch_linear(m.v, 0xFEC00000u, buf, 15, false, n));
  CHECK(n == 1);
  CHECK(dev.reads == 1);
  CHECK(buf[0] == 0x11);
}

TEST_CASE("accesses that wrap around 4 GiB split at the top of the linear space") {
  MmuFixture m;
  m.v.s.cr0 = 0;
  m.put32(0, 0x04030201);
  uint32_t d = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0xFFFFFFFEu, d, false));
  CHECK(d == 0x0201FFFFu);  // top 2 bytes unclaimed (all-ones), then RAM at 0
}

TEST_CASE("linear_to_physical gives the frame from the TLB or a walk, and faults like an access") {
  MmuFixture m;
  map_split(m);
  uint64_t pa = 0;
  REQUIRE_FALSE(linear_to_physical(m.v, kLin + 0x1004, Access::Fetch, false, pa));
  CHECK(pa == 0x203004);
  CHECK(m.v.tlb.lookup(Access::Fetch, false, kLin + 0x1004, 1) != nullptr);
  REQUIRE_FALSE(linear_to_physical(m.v, kLin + 0x1008, Access::Fetch, false, pa));
  CHECK(pa == 0x203008);
  CHECK(m.v.mmu.counters.page_walks == 1);
  CHECK(is_pf(linear_to_physical(m.v, kLin + 0x2000, Access::Fetch, false, pa), 0));
  CHECK(m.v.s.cr2 == kLin + 0x2000);
}
