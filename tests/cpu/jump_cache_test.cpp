// The interpreter's jump cache (linear address -> decoded block) must never run a block that no
// longer belongs at that address: after a remap + INVLPG, after a CPL change, after the code
// was rewritten. Each case runs with the cache on and off and expects the same result.
#include <doctest/doctest.h>
#include "cpu/protected_mode.h"
#include "mmu/tlb_fill.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kPageDir = 0x10000, kPageTable = 0x11000;
constexpr uint32_t kCodeLin = 0x5000, kCodeA = 0x20000, kCodeB = 0x21000;

// Identity-maps the first 1 MiB except linear kCodeLin, which maps to `code_pa`.
void map_code(TestMachine& m, uint32_t code_pa) {
  m.poke32(kPageDir, kPageTable | 0x7);
  for (uint32_t page = 0; page < 256; ++page)
    m.poke32(kPageTable + page * 4, (page << 12) | 0x7);
  m.poke32(kPageTable + (kCodeLin >> 12) * 4, code_pa | 0x7);
}

void enable_paging(TestMachine& m) {
  m.flat32();
  m.v.s.gpr[ESP] = 0x9000;
  m.v.s.cr3 = kPageDir;
  m.v.s.cr0 |= CR0_PG;
  m.v.tlb.flush_all();
}

uint32_t run_at(TestMachine& m, uint32_t eip) {
  m.v.s.eip = eip;
  m.v.s.events.halted = 0;
  m.run();
  return m.reg(EAX);
}

}  // namespace

TEST_CASE("remapped_code_page_runs_the_new_code_after_invlpg") {
  for (bool jump_cache : {true, false}) {
    CAPTURE(jump_cache);
    TestMachine m(Interpreter::Options{.jump_cache = jump_cache});
    m.load(kCodeA, {0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});  // mov eax,1; hlt
    m.load(kCodeB, {0xB8, 0x02, 0x00, 0x00, 0x00, 0xF4});  // mov eax,2; hlt
    map_code(m, kCodeA);
    enable_paging(m);
    CHECK(run_at(m, kCodeLin) == 1);
    CHECK(run_at(m, kCodeLin) == 1);  // second run: from the caches
    m.poke32(kPageTable + (kCodeLin >> 12) * 4, kCodeB | 0x7);
    m.v.tlb.flush_page(kCodeLin);     // what INVLPG does
    CHECK(run_at(m, kCodeLin) == 2);
  }
}

TEST_CASE("rewritten_code_runs_the_new_bytes_from_the_same_linear_address") {
  for (bool jump_cache : {true, false}) {
    CAPTURE(jump_cache);
    TestMachine m(Interpreter::Options{.jump_cache = jump_cache});
    m.load(kCodeA, {0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});
    map_code(m, kCodeA);
    enable_paging(m);
    CHECK(run_at(m, kCodeLin) == 1);
    m.load(kCodeA + 1, {0x07});  // mov eax,7 (a DMA-style write: invalidates the page)
    CHECK(run_at(m, kCodeLin) == 7);
  }
}

TEST_CASE("jump_cache_entry_is_not_used_at_another_privilege_level") {
  // The same linear address at CPL 3 must take the user-mode fetch check: a supervisor-only
  // page faults (#PF), even though CPL 0 just ran the block from there.
  TestMachine m;
  m.load(kCodeA, {0xB8, 0x01, 0x00, 0x00, 0x00, 0xF4});
  map_code(m, kCodeA);
  m.poke32(kPageTable + (kCodeLin >> 12) * 4, kCodeA | 0x3);  // present, writable, supervisor
  enable_paging(m);
  CHECK(run_at(m, kCodeLin) == 1);
  m.v.s.gpr[EAX] = 0;
  m.v.s.cpl = 3;
  m.v.s.eip = kCodeLin;
  m.v.s.events.halted = 0;
  // No IDT: the #PF becomes a #DF then a triple fault; either way EAX must stay 0 and the
  // fault must have been raised with CR2 = the code address.
  m.run(100);
  CHECK(m.reg(EAX) == 0);
  CHECK(m.v.s.cr2 == kCodeLin);
  CHECK(m.v.counters.exceptions[kPF] == 1);
}
