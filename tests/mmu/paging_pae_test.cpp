// PAE paging (mmu/walker_pae.cpp): 3 levels, 2 MiB pages, NX with EFER.NXE, reserved bits.
#include <doctest/doctest.h>
#include "tests/mmu/mmu_fixture.h"

using namespace vmlab;
using namespace vmlab::mmu;
using namespace vmlab::mmu::test;

namespace {

constexpr uint32_t kPdpt = 0x10020;  // 32-byte aligned, not page aligned
constexpr uint32_t kPd = 0x11000, kPt = 0x12000;

// PDPTE 0 -> kPd; PDE 2 (lin 0x400000) -> kPt; PTE 0 -> 0x300000 with pte_flags.
void map(MmuFixture& m, uint64_t pde_flags, uint64_t pte_flags, bool nxe = false) {
  m.put64(kPdpt, kPd | P);
  m.put64(kPd + 8 * 2, kPt | pde_flags);
  m.put64(kPt, 0x300000 | pte_flags);
  m.paging_pae(kPdpt, 0, nxe);
}

}  // namespace

TEST_CASE("PAE walk translates through PDPTE, PDE and PTE and sets A/D") {
  MmuFixture m;
  map(m, P | RW, P | RW);
  Translation t = m.tr(0x00400ABC, Access::Write);
  REQUIRE_FALSE(t.fault);
  CHECK(t.pa == 0x300ABC);
  CHECK((m.get64(kPd + 16) & (A | D)) == A);
  CHECK((m.get64(kPt) & (A | D)) == (A | D));
  CHECK(m.get64(kPdpt) == (kPd | P));  // PDPTEs have no A bit in PAE paging
}

TEST_CASE("PAE 2 MiB pages and their reserved bits 20:13") {
  MmuFixture m;
  m.put64(kPdpt + 8 * 3, kPd | P);                     // lin 0xC0000000..
  m.put64(kPd + 8 * 1, 0x00200000 | P | RW | PS);      // lin 0xC0200000 -> pa 0x200000
  m.put64(kPd + 8 * 2, 0x00400000 | (1u << 13) | P | PS);
  m.put64(kPd + 8 * 3, 0x00600000 | (1u << 12) | P | PS);  // bit 12 is PAT: allowed
  m.paging_pae(kPdpt);
  CHECK(m.tr(0xC0212345).pa == 0x212345);
  CHECK(is_pf(m.tr(0xC0400000).fault, kPfPresent | kPfRsvd));
  CHECK(m.tr(0xC0600008).pa == 0x600008);
}

TEST_CASE("NX bit faults instruction fetches with I/D set when EFER.NXE is on") {
  MmuFixture m;
  map(m, P | RW | US, P | RW | US | XD, /*nxe=*/true);
  CHECK_FALSE(m.tr(0x400000, Access::Read, true).fault);
  CHECK(is_pf(m.tr(0x400000, Access::Fetch, true).fault, kPfPresent | kPfUser | kPfFetch));
  CHECK(is_pf(m.tr(0x400000, Access::Fetch, false).fault, kPfPresent | kPfFetch));
  // XD at the directory level covers the whole 2 MiB.
  MmuFixture n;
  map(n, P | RW | XD, P | RW, true);
  CHECK(is_pf(n.tr(0x400000, Access::Fetch).fault, kPfPresent | kPfFetch));
  // A not-present fetch with NXE reports I/D too.
  CHECK(is_pf(n.tr(0x600000, Access::Fetch).fault, kPfFetch));
}

TEST_CASE("bit 63 is a reserved bit when EFER.NXE is off") {
  MmuFixture m;
  map(m, P | RW, P | RW | XD, /*nxe=*/false);
  CHECK(is_pf(m.tr(0x400000).fault, kPfPresent | kPfRsvd));
  CHECK(is_pf(m.tr(0x400000, Access::Write, true).fault, kPfPresent | kPfRsvd | kPfWrite | kPfUser));
}

TEST_CASE("physical address bits above 35 are reserved in PAE entries") {
  MmuFixture m;
  map(m, P | RW, P | RW);
  m.put64(kPt, (1ull << 40) | 0x300000 | P);
  CHECK(is_pf(m.tr(0x400000).fault, kPfPresent | kPfRsvd));
  m.put64(kPt, (0xFull << 32) | 0x300000 | P);  // bits 35:32 are a real address
  CHECK(m.tr(0x400010).pa == 0xF00300010ull);
}

TEST_CASE("PDPTE reserved bits fault at walk time and check_pae_pdptes gives #GP") {
  MmuFixture m;
  map(m, P | RW, P | RW);
  CHECK_FALSE(check_pae_pdptes(m.v, kPdpt));
  m.put64(kPdpt, kPd | P | RW);  // R/W is reserved in a PAE PDPTE
  CHECK(is_pf(m.tr(0x400000).fault, kPfPresent | kPfRsvd));
  cpu::Fault f = check_pae_pdptes(m.v, kPdpt);
  CHECK(f.vector == cpu::kGP);
  m.put64(kPdpt, 0);
  CHECK(is_pf(m.tr(0x400000).fault, 0));
}

TEST_CASE("PAE tables in unbacked memory read as all-ones and fault as reserved") {
  MmuFixture m;
  m.put64(kPdpt, 0xE0000000ull | P);  // page directory beyond RAM
  m.paging_pae(kPdpt);
  CHECK(is_pf(m.tr(0x1000).fault, kPfPresent | kPfRsvd));
  CHECK(m.v.mmu.counters.walk_unbacked_refs == 1);
}
