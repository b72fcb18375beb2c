// Software TLB (mmu/tlb.h, mmu/tlb_fill.cpp): fill rules, global pages, INVLPG, and the
// dirty/code bitmap interplay that keeps the write fast path free of bitmap work.
#include <doctest/doctest.h>
#include "tests/mmu/mmu_fixture.h"

using namespace vmlab;
using namespace vmlab::mmu;
using namespace vmlab::mmu::test;

namespace {

constexpr uint32_t kPd = 0x10000, kPt = 0x11000;
constexpr uint32_t kLin = 0x00400000;

void map_pages(MmuFixture& m, uint32_t pte_flags, uint32_t cr4 = 0) {
  m.put32(kPd + 4, kPt | P | RW | US);
  for (uint32_t i = 0; i < 8; ++i) m.put32(kPt + 4 * i, (0x200000 + i * 0x1000) | pte_flags);
  m.paging_2level(kPd, cr4);
}

}  // namespace

TEST_CASE("a read fills the TLB so the next read walks nothing; flush_all makes it walk again") {
  MmuFixture m;
  map_pages(m, P | RW);
  m.put32(0x200010, 0xCAFEF00D);
  uint32_t x = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin + 0x10, x, false));
  CHECK(x == 0xCAFEF00D);
  CHECK(m.v.mmu.counters.page_walks == 1);
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin + 0x10, 4) == m.mem.ram_base() + 0x200010);
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin + 0x20, x, false));
  CHECK(m.v.mmu.counters.page_walks == 1);
  m.v.tlb.flush_all();
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin + 0x10, 4) == nullptr);
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin + 0x10, x, false));
  CHECK(m.v.mmu.counters.page_walks == 2);
}

TEST_CASE("the TLB hides a changed PTE until INVLPG, as a real TLB does") {
  MmuFixture m;
  map_pages(m, P | RW);
  m.put32(0x200000, 1);
  m.put32(0x205000, 2);
  uint32_t x = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  CHECK(x == 1);
  m.put32(kPt, 0x205000 | P | RW);
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  CHECK(x == 1);
  m.v.tlb.flush_page(kLin + 0x123);
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  CHECK(x == 2);
}

TEST_CASE("global entries survive flush_nonglobal but not INVLPG or flush_all") {
  MmuFixture m;
  m.put32(kPd + 4, kPt | P | RW);
  m.put32(kPt + 0, 0x200000 | P | RW | G);
  m.put32(kPt + 4, 0x201000 | P | RW);
  m.paging_2level(kPd, cpu::CR4_PGE);
  uint32_t x = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin + 0x1000, x, false));
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin, 1, false));   // dirties the page
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin, 2, false));   // fills the write entry
  m.v.tlb.flush_nonglobal();
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin, 4) != nullptr);
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin, 4) != nullptr);
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin + 0x1000, 4) == nullptr);
  m.v.tlb.flush_page(kLin);
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin, 4) == nullptr);
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  m.v.tlb.flush_all();
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin, 4) == nullptr);
  CHECK(m.v.tlb.stats.flushes_nonglobal == 1);
  CHECK(m.v.tlb.stats.flushes_page == 1);
}

TEST_CASE("user entries are filled only when U/S allows, supervisor entries honour WP") {
  MmuFixture m;
  map_pages(m, P);  // supervisor, read-only
  uint32_t x = 0;
  CHECK(read_linear<uint32_t>(m.v, kLin, x, true));  // #PF
  CHECK(m.v.tlb.lookup(Access::Read, true, kLin, 4) == nullptr);
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  CHECK(m.v.tlb.lookup(Access::Read, false, kLin, 4) != nullptr);
  m.v.s.cr0 |= cpu::CR0_WP;
  CHECK(is_pf(write_linear<uint32_t>(m.v, kLin, 5, false), kPfPresent | kPfWrite));
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin, 4) == nullptr);
  CHECK(m.get32(0x200000) == 0);
}

TEST_CASE("write entries are filled only after the page is dirty and never for code pages") {
  MmuFixture m;
  map_pages(m, P | RW);
  REQUIRE_FALSE(m.mem.test_and_clear_dirty(0x200));
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin, 0x11, false));
  CHECK(m.mem.test_and_clear_dirty(0x200));  // slow path marked it (and we cleared it again)
  on_dirty_bits_cleared(m.v);
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin, 4) == nullptr);
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin, 0x22, false));
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin, 4) != nullptr);  // dirty now: filled
  CHECK(m.mem.test_and_clear_dirty(0x200));

  m.mem.mark_code(0x201);
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin + 0x1000, 0x33, false));
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin + 0x1000, 4) == nullptr);
}

TEST_CASE("a write to a page marked as code after its TLB fill still fires the code listener") {
  MmuFixture m;
  map_pages(m, P | RW);
  std::vector<uint64_t> fired;
  m.mem.set_code_write_listener([&](uint64_t page) {
    fired.push_back(page);
    m.mem.clear_code(page);
  });
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin + 8, 1, false));
  REQUIRE(m.v.tlb.lookup(Access::Write, false, kLin + 8, 4) != nullptr);
  // Mapped twice: a second linear page aliases the same physical page.
  m.put32(kPt + 4 * 7, 0x200000 | P | RW);
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin + 0x7000, 1, false));
  REQUIRE(m.v.tlb.lookup(Access::Write, false, kLin + 0x7000, 4) != nullptr);

  mark_page_as_code(m.v, 0x200);
  CHECK(m.mem.is_code(0x200));
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin, 4) == nullptr);
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin + 0x7000, 4) == nullptr);
  REQUIRE_FALSE(write_linear<uint32_t>(m.v, kLin + 0x7004, 0x99, false));
  CHECK(fired == std::vector<uint64_t>{0x200});
  CHECK(m.get32(0x200004) == 0x99);
  // The listener cleared the code bit: writes may be cached again.
  CHECK(m.v.tlb.lookup(Access::Write, false, kLin + 0x7000, 4) != nullptr);
}

TEST_CASE("fetch entries honour NX and are separate from read entries") {
  MmuFixture m;
  constexpr uint32_t kPdpt = 0x10000, kPaePd = 0x11000, kPaePt = 0x12000;
  m.put64(kPdpt, kPaePd | P);
  m.put64(kPaePd, kPaePt | P | RW);
  m.put64(kPaePt + 8 * 0x10, 0x210000 | P | RW | XD);
  m.paging_pae(kPdpt, 0, true);
  uint32_t x = 0;
  REQUIRE_FALSE(read_linear<uint32_t>(m.v, 0x10000, x, false));
  uint8_t buf[16];
  unsigned n = 99;
  CHECK(is_pf(fetch_linear(m.v, 0x10000, buf, 15, false, n), kPfPresent | kPfFetch));
  CHECK(n == 0);
  CHECK(m.v.s.cr2 == 0x10000);
  CHECK(m.v.tlb.lookup(Access::Fetch, false, 0x10000, 1) == nullptr);
}

TEST_CASE("with the TLB switched off every access walks") {
  MmuFixture m;
  map_pages(m, P | RW);
  m.v.tlb.enabled = false;
  uint32_t x = 0;
  for (int i = 0; i < 3; ++i) REQUIRE_FALSE(read_linear<uint32_t>(m.v, kLin, x, false));
  CHECK(m.v.mmu.counters.page_walks == 3);
}
