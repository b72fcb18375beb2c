// Property test: page tables full of random bytes, random control registers and random
// accesses. Nothing may crash or touch host memory out of bounds (the suite also runs under
// ASan), every fault is a well-formed #PF, and a successful translation agrees with probe().
#include <doctest/doctest.h>
#include <random>
#include "tests/mmu/mmu_fixture.h"

using namespace vmlab;
using namespace vmlab::mmu;
using namespace vmlab::mmu::test;

TEST_CASE("random page tables never crash and translations agree with probe") {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 40; ++round) {
    MmuFixture m;
    // Random bytes in the first 256 KiB; entries there point all over (and beyond) RAM.
    for (uint32_t pa = 0; pa < 0x40000; pa += 8) {
      uint64_t x = rng();
      if (rng() & 1) x &= 0x003FFFFFull | 0xFFF;  // keep some entries pointing into RAM
      m.put64(pa, x);
    }
    uint32_t cr4 = uint32_t(rng()) & (cpu::CR4_PSE | cpu::CR4_PAE | cpu::CR4_PGE);
    uint32_t cr3 = uint32_t(rng()) & ((rng() & 1) ? 0x3FFFFu : 0xFFFFFFFFu);
    m.v.s.cr0 |= (rng() & 1) ? cpu::CR0_WP : 0;
    if (cr4 & cpu::CR4_PAE)
      m.paging_pae(cr3 & ~0x1Fu, cr4 & ~cpu::CR4_PAE, rng() & 1);
    else
      m.paging_2level(cr3 & ~0xFFFu, cr4);
    for (int i = 0; i < 500; ++i) {
      uint32_t lin = uint32_t(rng());
      Access a = Access(rng() % 3);
      bool user = rng() & 1;
      Translation t = m.tr(lin, a, user);
      if (t.fault) {
        REQUIRE(t.fault->vector == cpu::kPF);
        CHECK(bool(t.fault->error & kPfWrite) == (a == Access::Write));
        CHECK(bool(t.fault->error & kPfUser) == user);
        CHECK(m.v.s.cr2 == lin);
      } else {
        CHECK((t.pa & 0xFFF) == (lin & 0xFFF));
        CHECK(m.v.mmu.probe(m.v, lin) == t.pa);
      }
      // Whole accesses through the TLB and the physical dispatch.
      uint64_t q = 0;
      uint8_t buf[16];
      unsigned n = 0;
      (void)read_linear<uint64_t>(m.v, lin, q, user);
      (void)write_linear<uint64_t>(m.v, lin ^ 0xFFD, q, user);
      (void)fetch_linear(m.v, lin | 0xFF5, buf, 15, user, n);
      CHECK(n <= 15);
    }
  }
}
