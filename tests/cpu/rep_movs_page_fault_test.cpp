// A REP MOVSB that runs into a not-present page: #PF with the registers of the last completed
// iteration, then the handler maps the page, IRETs, and the copy finishes (paging from mmu/,
// delivery from cpu/exceptions.cpp, the string loop from cpu/semantics/string.h).
#include <doctest/doctest.h>
#include <vector>
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

TEST_CASE("rep_movs_resumes_after_page_fault") {
  TestMachine m({}, 4 << 20);
  m.flat32();
  CpuState& s = m.v.s;
  // GDT: null, flat code 0x08, flat data 0x10. IDT: vector 14 -> 0x08:0x3000 (interrupt gate).
  m.load(0x8000, {0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0,
                  0xFF, 0xFF, 0, 0, 0, 0x92, 0xCF, 0});
  m.load(0x9000 + 14 * 8, {0x00, 0x30, 0x08, 0x00, 0x00, 0x8E, 0x00, 0x00});
  s.gdtr = {0x8000, 0x17};
  s.idtr = {0x9000, 0x7FF};
  // Identity-map the first 4 MiB except page 0x20.
  for (uint32_t p = 0; p < 1024; ++p) m.poke32(0x11000 + 4 * p, (p << 12) | (p == 0x20 ? 0 : 3));
  m.poke32(0x10000, 0x11000 | 3);
  s.cr3 = 0x10000;
  s.cr0 |= CR0_PG;
  m.v.tlb.flush_all();

  std::vector<uint8_t> src(16);
  for (unsigned k = 0; k < 16; ++k) src[k] = uint8_t(0x40 + k);
  m.load(0x5000, src);
  // #PF handler: hlt; add esp,4 (error code); iret
  m.load(0x3000, {0xF4, 0x83, 0xC4, 0x04, 0xCF});
  // mov esi,0x5000; mov edi,0x1FFF8; mov ecx,16; rep movsb; hlt
  m.load(0x1000, {0xBE, 0x00, 0x50, 0x00, 0x00, 0xBF, 0xF8, 0xFF, 0x01, 0x00, 0xB9, 0x10, 0x00,
                  0x00, 0x00, 0xF3, 0xA4, 0xF4});
  s.eip = 0x1000;
  s.gpr[ESP] = 0x7000;

  CHECK(m.run(1000).reason == ExitReason::Halted);
  CHECK(m.v.counters.exceptions[kPF] == 1);
  CHECK(s.eip == 0x3001);
  CHECK(s.cr2 == 0x20000);
  CHECK(m.reg(ECX) == 8);
  CHECK(m.reg(EDI) == 0x20000);
  CHECK(m.reg(ESI) == 0x5008);
  CHECK(m.peek32(0x7000 - 12) == 0x100F);  // the pushed EIP is the REP MOVSB
  CHECK(m.peek32(0x7000 - 16) == 0x2);    // error code: write, not present, supervisor

  m.poke32(0x11000 + 4 * 0x20, 0x20000 | 3);
  m.v.tlb.flush_all();
  s.events.halted = 0;
  CHECK(m.run(1000).reason == ExitReason::Halted);
  CHECK(s.eip == 0x1012);
  CHECK(m.reg(ECX) == 0);
  for (unsigned k = 0; k < 16; ++k) CHECK(m.peek8(0x1FFF8 + k) == 0x40 + k);
}
