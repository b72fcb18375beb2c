// Block chaining (Block::next, Interpreter::run_chained) must never follow a link to a block that
// no longer belongs at that address: after the target's page was written, remapped (INVLPG, CR3
// reload), or when the CPL or code size changed. Each case first checks that links were really
// followed (chain_hits grows), then changes one thing and expects what an interpreter without
// chaining computes.
#include <doctest/doctest.h>
#include "cpu/protected_mode.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kPageDir = 0x10000, kPageTable = 0x11000, kPageTable2 = 0x12000,
                   kPageDir2 = 0x13000;
constexpr uint32_t kCaller = 0x3000;   // identity-mapped
constexpr uint32_t kCallee = 0x5000;   // linear; maps to kCodeA or kCodeB
constexpr uint32_t kCodeA = 0x20000, kCodeB = 0x21000;

// Page table `pt` under directory `pd`: identity-maps the first 1 MiB except kCallee -> callee_pa.
void map(TestMachine& m, uint32_t pd, uint32_t pt, uint32_t callee_pa, uint32_t callee_flags = 7) {
  m.poke32(pd, pt | 0x7);
  for (uint32_t page = 0; page < 256; ++page) m.poke32(pt + page * 4, (page << 12) | 0x7);
  m.poke32(pt + (kCallee >> 12) * 4, callee_pa | callee_flags);
}

void enable_paging(TestMachine& m, uint32_t pd) {
  m.flat32();
  m.v.s.gpr[ESP] = 0x9000;
  m.v.s.cr3 = pd;
  m.v.s.cr0 |= CR0_PG;
  m.v.tlb.flush_all();
}

// kCaller: xor ebx,ebx; mov ecx,4; L: call kCallee; add ebx,eax; dec ecx; jnz L; hlt
// Returns EBX: 4 x what the callee leaves in EAX.
void load_caller(TestMachine& m) {
  const uint32_t call_at = kCaller + 7, rel = kCallee - (call_at + 5);
  m.load(kCaller, {0x31, 0xDB, 0xB9, 0x04, 0x00, 0x00, 0x00, 0xE8, uint8_t(rel), uint8_t(rel >> 8),
                   uint8_t(rel >> 16), uint8_t(rel >> 24), 0x01, 0xC3, 0x49, 0x75, 0xF6, 0xF4});
}
// mov eax, imm32; ret
std::vector<uint8_t> callee(uint32_t imm) {
  return {0xB8, uint8_t(imm), uint8_t(imm >> 8), uint8_t(imm >> 16), uint8_t(imm >> 24), 0xC3};
}

uint32_t run_caller(TestMachine& m) {
  m.v.s.eip = kCaller;
  m.v.s.events.halted = 0;
  m.run();
  return m.reg(EBX);
}

// Runs the caller twice (the second run follows links made by the first) and checks links were
// followed when chaining is on.
void warm_up(TestMachine& m, bool chaining, uint32_t expect) {
  CHECK(run_caller(m) == expect);
  const uint64_t before = m.core.chain_hits();
  CHECK(run_caller(m) == expect);
  if (chaining) CHECK(m.core.chain_hits() > before);
  else CHECK(m.core.chain_hits() == 0);
}

}  // namespace

TEST_CASE("chained_successor_is_not_used_after_its_page_is_remapped_by_invlpg") {
  for (bool chaining : {true, false}) {
    CAPTURE(chaining);
    TestMachine m(Interpreter::Options{.chaining = chaining});
    load_caller(m);
    m.load(kCodeA, callee(1));
    m.load(kCodeB, callee(2));
    map(m, kPageDir, kPageTable, kCodeA);
    enable_paging(m, kPageDir);
    warm_up(m, chaining, 4);
    m.poke32(kPageTable + (kCallee >> 12) * 4, kCodeB | 0x7);
    m.v.tlb.flush_page(kCallee);  // what INVLPG does
    CHECK(run_caller(m) == 8);
  }
}

TEST_CASE("chained_successor_is_not_used_after_a_cr3_reload") {
  for (bool chaining : {true, false}) {
    CAPTURE(chaining);
    TestMachine m(Interpreter::Options{.chaining = chaining});
    load_caller(m);
    m.load(kCodeA, callee(1));
    m.load(kCodeB, callee(2));
    map(m, kPageDir, kPageTable, kCodeA);
    map(m, kPageDir2, kPageTable2, kCodeB);
    enable_paging(m, kPageDir);
    warm_up(m, chaining, 4);
    m.v.s.cr3 = kPageDir2;
    m.v.tlb.flush_nonglobal();  // what MOV CR3 does with CR4.PGE=1 (no global pages here)
    CHECK(run_caller(m) == 8);
  }
}

TEST_CASE("chained_successor_is_not_used_after_the_guest_rewrites_it") {
  // The guest itself writes the callee between calls (self-modifying code in the middle of a
  // chain): L: call kCallee; add ebx,eax; inc dword [kCallee+1]; dec ecx; jnz L; hlt
  for (bool chaining : {true, false}) {
    CAPTURE(chaining);
    TestMachine m(Interpreter::Options{.chaining = chaining});
    const uint32_t call_at = kCaller + 7, rel = kCallee - (call_at + 5), imm_at = kCallee + 1;
    m.load(kCaller, {0x31, 0xDB, 0xB9, 0x04, 0x00, 0x00, 0x00, 0xE8, uint8_t(rel),
                     uint8_t(rel >> 8), uint8_t(rel >> 16), uint8_t(rel >> 24), 0x01, 0xC3,
                     0xFF, 0x05, uint8_t(imm_at), uint8_t(imm_at >> 8), uint8_t(imm_at >> 16),
                     uint8_t(imm_at >> 24), 0x49, 0x75, 0xF0, 0xF4});
    m.load(kCodeA, callee(1));
    map(m, kPageDir, kPageTable, kCodeA);
    enable_paging(m, kPageDir);
    CHECK(run_caller(m) == 1 + 2 + 3 + 4);
    CHECK(run_caller(m) == 5 + 6 + 7 + 8);
  }
}

TEST_CASE("chained_successor_is_not_used_at_another_privilege_level") {
  // The callee's page is supervisor-only: at CPL 3 the call must #PF on the fetch even though
  // CPL 0 just followed the link to it.
  for (bool chaining : {true, false}) {
    CAPTURE(chaining);
    TestMachine m(Interpreter::Options{.chaining = chaining});
    load_caller(m);
    m.load(kCodeA, callee(1));
    map(m, kPageDir, kPageTable, kCodeA, 0x3);  // present, writable, supervisor
    enable_paging(m, kPageDir);
    warm_up(m, chaining, 4);
    m.v.s.cpl = 3;
    m.v.s.gpr[EAX] = 0;
    m.v.s.eip = kCaller;
    m.v.s.events.halted = 0;
    m.run(100);  // no IDT: #PF, #DF, shutdown; the callee never runs
    CHECK(m.reg(EAX) == 0);
    CHECK(m.v.s.cr2 == kCallee);
    CHECK(m.v.counters.exceptions[kPF] == 1);
  }
}

TEST_CASE("chained_successor_is_not_used_after_the_code_size_changes") {
  // kCaller: jmp short +0 (EB 00, the same in both code sizes) -> B8 34 12 90 90 F4: in 32-bit
  // code mov eax,0x90901234; hlt. With CS.D=0: mov ax,0x1234; nop; nop; hlt.
  for (bool chaining : {true, false}) {
    CAPTURE(chaining);
    TestMachine m(Interpreter::Options{.chaining = chaining});
    m.load(kCaller, {0xEB, 0x00, 0xB8, 0x34, 0x12, 0x90, 0x90, 0xF4});
    m.flat32();
    m.v.s.gpr[ESP] = 0x9000;
    for (int k = 0; k < 2; ++k) {
      m.v.s.gpr[EAX] = 0;
      m.v.s.eip = kCaller;
      m.v.s.events.halted = 0;
      m.run();
      CHECK(m.reg(EAX) == 0x90901234);
    }
    if (chaining) CHECK(m.core.chain_hits() > 0);
    m.v.s.seg[CS].attr &= uint16_t(~SEG_DB);
    m.v.s.gpr[EAX] = 0;
    m.v.s.eip = kCaller;
    m.v.s.events.halted = 0;
    m.run();
    CHECK(m.reg(EAX) == 0x1234);
  }
}

TEST_CASE("blocks_run_through_a_not_taken_conditional_branch_and_leave_at_a_taken_one") {
  // mov ecx,3; L: dec ecx; jnz L (taken twice, then falls through); mov eax,ecx+7 (lea); hlt
  for (bool through : {true, false}) {
    CAPTURE(through);
    TestMachine m(Interpreter::Options{.blocks_through_branches = through});
    m.load(kCaller, {0xB9, 0x03, 0x00, 0x00, 0x00, 0x49, 0x75, 0xFD, 0x8D, 0x41, 0x07, 0xF4});
    m.flat32();
    m.v.s.gpr[ESP] = 0x9000;
    m.v.s.eip = kCaller;
    const Exit e = m.run();
    CHECK(m.reg(EAX) == 7);
    CHECK(m.reg(ECX) == 0);
    CHECK(e.executed == 1 + 3 * 2 + 2);
  }
}

TEST_CASE("chained_successor_on_a_global_page_outlives_a_cr3_reload_but_not_invlpg") {
  // The callee's page is global (PTE.G with CR4.PGE): a CR3 reload keeps its TLB entry, and the
  // link to it stays usable (one more chain hit than for the same page without G); INVLPG of
  // the remapped page drops both.
  auto machine = [](TestMachine& m, uint32_t callee_flags) {
    load_caller(m);
    m.load(kCodeA, callee(1));
    m.load(kCodeB, callee(2));
    map(m, kPageDir, kPageTable, kCodeA, callee_flags);
    m.v.s.cr4 |= CR4_PGE;
    enable_paging(m, kPageDir);
    warm_up(m, true, 4);
  };
  auto hits_after_reload = [&](uint32_t callee_flags) {
    TestMachine m;
    machine(m, callee_flags);
    m.v.tlb.flush_nonglobal();  // MOV CR3 (same page directory) with CR4.PGE=1
    const uint64_t before = m.core.chain_hits();
    CHECK(run_caller(m) == 4);
    return m.core.chain_hits() - before;
  };
  CHECK(hits_after_reload(0x107) > hits_after_reload(0x007));

  TestMachine m;
  machine(m, 0x107);
  m.poke32(kPageTable + (kCallee >> 12) * 4, kCodeB | 0x107);
  m.v.tlb.flush_page(kCallee);  // INVLPG drops global entries too
  CHECK(run_caller(m) == 8);
}
