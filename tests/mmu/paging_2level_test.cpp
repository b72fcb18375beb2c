// Two-level 32-bit paging (mmu/walker_2level.cpp): translations, #PF error codes, A/D bits,
// CR0.WP, PSE 4 MiB pages, and page tables that point outside RAM.
#include <doctest/doctest.h>
#include "tests/mmu/mmu_fixture.h"

using namespace vmlab;
using namespace vmlab::mmu;
using namespace vmlab::mmu::test;

namespace {

constexpr uint32_t kPd = 0x10000, kPt = 0x11000;
constexpr uint32_t kLin = 0x00400000;  // PDE 1, PTE 0

// PDE 1 -> kPt; PTE 0 -> 0x200000, PTE 1 -> 0x201000, with the given flags.
void map_two_pages(MmuFixture& m, uint32_t pde_flags, uint32_t pte_flags) {
  m.put32(kPd + 4 * 1, kPt | pde_flags);
  m.put32(kPt + 0, 0x200000 | pte_flags);
  m.put32(kPt + 4, 0x201000 | pte_flags);
  m.paging_2level(kPd);
}

}  // namespace

TEST_CASE("paging off: linear equals physical with the A20 mask applied") {
  MmuFixture m;
  CHECK(m.tr(0x123456).pa == 0x123456);
  m.mem.set_a20(false);
  CHECK(m.tr(0x123456).pa == 0x023456);
  CHECK(m.v.mmu.probe(m.v, 0x1FFFFF) == 0x0FFFFF);
}

TEST_CASE("2-level walk translates a 4 KiB page and sets accessed bits on both levels") {
  MmuFixture m;
  map_two_pages(m, P | RW, P | RW);
  Translation t = m.tr(kLin + 0x1234);
  REQUIRE_FALSE(t.fault);
  CHECK(t.pa == 0x201234);
  CHECK((m.get32(kPd + 4) & A));
  CHECK((m.get32(kPt + 4) & A));
  CHECK_FALSE((m.get32(kPt + 4) & D));
  CHECK(m.v.mmu.counters.page_walks == 1);
  CHECK(m.v.mmu.counters.walk_memory_refs == 4);  // 2 reads + 2 A-bit writes
  CHECK(m.v.mmu.counters.ad_bit_updates == 2);
}

TEST_CASE("a write sets the dirty bit on the final entry only") {
  MmuFixture m;
  map_two_pages(m, P | RW, P | RW);
  REQUIRE_FALSE(m.tr(kLin, Access::Write).fault);
  CHECK((m.get32(kPt) & (A | D)) == (A | D));
  CHECK((m.get32(kPd + 4) & D) == 0);
  // A second walk finds the bits set and writes nothing.
  uint64_t updates = m.v.mmu.counters.ad_bit_updates;
  REQUIRE_FALSE(m.tr(kLin, Access::Write).fault);
  CHECK(m.v.mmu.counters.ad_bit_updates == updates);
}

TEST_CASE("not-present entries give #PF with P=0 and CR2 set, without touching A bits") {
  MmuFixture m;
  map_two_pages(m, P | RW | US, RW | US);  // PTEs not present
  Translation t = m.tr(kLin + 0x10, Access::Write, true);
  CHECK(is_pf(t.fault, kPfWrite | kPfUser));
  CHECK(m.v.s.cr2 == kLin + 0x10);
  CHECK(m.v.mmu.counters.page_faults == 1);
  CHECK((m.get32(kPd + 4) & A) == 0);

  t = m.tr(0x00800000);  // PDE 2 is zero
  CHECK(is_pf(t.fault, 0));
  CHECK(m.v.s.cr2 == 0x00800000);
}

TEST_CASE("user access to a supervisor page faults with P=1 U=1") {
  MmuFixture m;
  map_two_pages(m, P | RW | US, P | RW);  // PTE supervisor-only
  CHECK(is_pf(m.tr(kLin, Access::Read, true).fault, kPfPresent | kPfUser));
  CHECK(is_pf(m.tr(kLin, Access::Fetch, true).fault, kPfPresent | kPfUser));  // no I/D without NXE
  CHECK_FALSE(m.tr(kLin, Access::Read, false).fault);
}

TEST_CASE("U/S and R/W are combined across levels: a supervisor PDE hides a user PTE") {
  MmuFixture m;
  map_two_pages(m, P | RW, P | RW | US);
  CHECK(is_pf(m.tr(kLin, Access::Read, true).fault, kPfPresent | kPfUser));
  MmuFixture n;
  map_two_pages(n, P | US, P | RW | US);  // read-only PDE
  CHECK_FALSE(n.tr(kLin, Access::Read, true).fault);
  CHECK(is_pf(n.tr(kLin, Access::Write, true).fault, kPfPresent | kPfWrite | kPfUser));
}

TEST_CASE("supervisor writes to read-only pages succeed with CR0.WP=0 and fault with WP=1") {
  MmuFixture m;
  map_two_pages(m, P | RW, P);  // read-only PTE
  CHECK_FALSE(m.tr(kLin, Access::Write, false).fault);
  CHECK((m.get32(kPt) & D));
  m.v.s.cr0 |= cpu::CR0_WP;
  m.v.tlb.flush_all();
  CHECK(is_pf(m.tr(kLin, Access::Write, false).fault, kPfPresent | kPfWrite));
  // User writes fault either way.
  m.v.s.cr0 &= ~cpu::CR0_WP;
  m.put32(kPt, 0x200000 | P | US);
  m.put32(kPd + 4, kPt | P | US | RW);
  CHECK(is_pf(m.tr(kLin, Access::Write, true).fault, kPfPresent | kPfWrite | kPfUser));
}

TEST_CASE("PSE maps 4 MiB pages from the directory, including PSE-36 high address bits") {
  MmuFixture m;
  m.put32(kPd + 4 * 3, 0x00C00000 | P | RW | PS);  // lin 0xC00000 -> pa 0xC00000
  m.paging_2level(kPd, cpu::CR4_PSE);
  Translation t = m.tr(0x00C12345, Access::Write);
  REQUIRE_FALSE(t.fault);
  CHECK(t.pa == 0x00C12345);
  CHECK((m.get32(kPd + 12) & (A | D)) == (A | D));

  m.put32(kPd + 4 * 4, 0x01000000 | (0x3u << 13) | P | PS);  // PA bits 33:32 = 3
  CHECK(m.tr(0x01000010).pa == 0x301000010ull);

  m.put32(kPd + 4 * 5, 0x01400000 | (1u << 21) | P | PS);  // bit 21 reserved
  CHECK(is_pf(m.tr(0x01400000).fault, kPfPresent | kPfRsvd));
}

TEST_CASE("without CR4.PSE the PS bit is ignored and the PDE points to a page table") {
  MmuFixture m;
  m.put32(kPd + 4 * 1, kPt | P | RW | PS);
  m.put32(kPt, 0x205000 | P | RW);
  m.paging_2level(kPd, 0);
  CHECK(m.tr(kLin + 4).pa == 0x205004);
}

TEST_CASE("global bit is reported only with CR4.PGE") {
  MmuFixture m;
  map_two_pages(m, P | RW, P | RW | G);
  CHECK_FALSE(m.tr(kLin).global);
  m.paging_2level(kPd, cpu::CR4_PGE);
  CHECK(m.tr(kLin).global);
}

TEST_CASE("a page table pointing outside RAM reads as all-ones and never touches host memory") {
  MmuFixture m;
  // PDE -> page table at 3 GiB (nothing there). All-ones PTE: present, frame 0xFFFFF000.
  m.put32(kPd + 4, 0xC0000000u | P | RW | US);
  m.paging_2level(kPd);
  Translation t = m.tr(kLin + 0x10, Access::Write, true);
  REQUIRE_FALSE(t.fault);
  CHECK(t.pa == 0xFFFFF010u);
  CHECK(m.v.mmu.counters.walk_unbacked_refs == 1);
  // CR3 itself beyond RAM: all-ones PDE without PSE -> page table at 0xFFFFF000, also unbacked.
  m.paging_2level(0xFFFFF000u);
  CHECK_FALSE(m.tr(0x12345678).fault);
  // Reading and writing through such a mapping reaches the bus, not host memory.
  uint32_t x = 0;
  CHECK_FALSE(read_linear<uint32_t>(m.v, 0x12345678, x, false));
  CHECK(x == 0xFFFFFFFFu);
  CHECK_FALSE(write_linear<uint32_t>(m.v, 0x12345678, 7, false));
  CHECK(m.mmio.stats().unclaimed_writes >= 1);
}

TEST_CASE("probe translates without side effects") {
  MmuFixture m;
  map_two_pages(m, P | RW, P | RW);
  auto before = m.v.mmu.counters.walk_memory_refs;
  CHECK(m.v.mmu.probe(m.v, kLin + 0x1008) == 0x201008u);
  CHECK(m.v.mmu.probe(m.v, 0x00800000) == std::nullopt);
  CHECK((m.get32(kPt + 4) & A) == 0);
  CHECK(m.v.mmu.counters.walk_memory_refs == before);
  CHECK(m.v.s.cr2 == 0);
}

TEST_CASE("a self-mapped page directory gets both accessed and dirty bits on the shared entry") {
  MmuFixture m;
  m.put32(kPd + 4 * 0x3FF, kPd | P | RW);  // the last PDE maps the directory itself
  m.paging_2level(kPd);
  // lin 0xFFFFFFFC: PDE 0x3FF, then PTE 0x3FF of the same table -> the same entry.
  Translation t = m.tr(0xFFFFFFFCu, Access::Write);
  REQUIRE_FALSE(t.fault);
  CHECK(t.pa == kPd + 0xFFC);
  CHECK(m.get32(kPd + 4 * 0x3FF) == (kPd | P | RW | A | D));
}

TEST_CASE("A20 off also masks page-table addresses") {
  MmuFixture m;
  // CR3 = 0x110000 wraps to 0x010000 with A20 off.
  m.put32(0x10000 + 4, kPt | P | RW);
  m.put32(kPt, 0x200000 | P | RW);
  m.paging_2level(0x110000);
  CHECK(m.tr(kLin).fault);  // A20 on: directory at 0x110000 is empty
  m.mem.set_a20(false);
  CHECK(m.tr(kLin + 8).pa == 0x200008);
}
