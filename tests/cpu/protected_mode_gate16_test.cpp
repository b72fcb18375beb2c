// 16-bit gates and frames, expand-down stacks, JMP through a call gate, conforming targets,
// and the TLB policy of CR3 loads with CR4.PGE.
#include "tests/cpu/protected_mode_fixture.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::PmFixture;

TEST_CASE("pm_16bit_interrupt_gate_pushes_words_and_iret16_returns") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  f.set_idt(0x40, PmFixture::gate(PmFixture::kCode0, 0x6500, kIntGate16, 0));
  write_eflags(s, 0x2 | IF | CF);
  Event e;
  e.kind = EventKind::External;
  e.vector = 0x40;
  e.return_eip = 0x1234;
  deliver_event(f.v, e);
  CHECK(s.eip == 0x6500);
  CHECK(s.gpr[ESP] == PmFixture::kStack0 - 6);
  CHECK(f.r16(PmFixture::kStack0 - 6) == 0x1234);
  CHECK(f.r16(PmFixture::kStack0 - 4) == PmFixture::kCode0);
  CHECK(f.r16(PmFixture::kStack0 - 2) == (0x2 | IF | CF));
  CHECK(!(s.eflags & IF));
  CHECK(!iret(f.v, 16));
  CHECK(s.eip == 0x1234);
  CHECK(s.gpr[ESP] == PmFixture::kStack0);
  CHECK(read_eflags(s) == (0x2 | IF | CF));
}

TEST_CASE("pm_16bit_call_gate_from_ring3_copies_word_params") {
  PmFixture f;
  f.enter_ring3();
  CpuState& s = f.v.s;
  f.set_gdt(0x78, PmFixture::gate(PmFixture::kCode0, 0x5100, kCallGate16, 3, 1));
  s.gpr[ESP] = PmFixture::kStack3 - 2;
  f.w16(PmFixture::kStack3 - 2, 0xBEEF);
  CHECK(!far_call(f.v, 0x7B, 0, 16, 0x4444));
  CHECK(s.cpl == 0);
  CHECK(s.eip == 0x5100);
  const uint32_t sp = PmFixture::kStack0 - 10;
  CHECK(s.gpr[ESP] == sp);
  CHECK(f.r16(sp) == 0x4444);
  CHECK(f.r16(sp + 2) == PmFixture::kCode3);
  CHECK(f.r16(sp + 4) == 0xBEEF);
  CHECK(f.r16(sp + 6) == ((PmFixture::kStack3 - 2) & 0xFFFF));
  CHECK(f.r16(sp + 8) == PmFixture::kData3);
}

TEST_CASE("pm_jmp_through_call_gate_keeps_cpl_and_checks_dpl") {
  PmFixture f;
  f.enter_ring3();
  // Gate DPL 3 to a non-conforming ring-0 segment: JMP may not change privilege.
  Fault e = far_jump(f.v, PmFixture::kCallGate, 0, 32, 0);
  CHECK(e.vector == kGP);
  CHECK(e.error == PmFixture::kCode0);
  f.enter_ring0();
  CHECK(!far_jump(f.v, PmFixture::kCallGate, 0, 32, 0));
  CHECK(f.v.s.eip == 0x5000);
  CHECK(f.v.s.cpl == 0);
  // A gate whose DPL is below CPL.
  f.set_gdt(0x78, PmFixture::gate(PmFixture::kCode0, 0x5000, kCallGate32, 0));
  f.enter_ring3();
  e = far_call(f.v, 0x7B, 0, 32, 0);
  CHECK(e.vector == kGP);
  CHECK(e.error == 0x78);
}

TEST_CASE("pm_call_to_conforming_code_keeps_cpl_3") {
  PmFixture f;
  f.enter_ring3();
  CHECK(!far_call(f.v, PmFixture::kCodeConf, 0x100, 32, 0x4444));
  CHECK(f.v.s.cpl == 3);
  CHECK(f.v.s.seg[SS].selector == PmFixture::kData3);
  CHECK(f.r32(PmFixture::kStack3 - 4) == (PmFixture::kCode3));
  CHECK(f.r32(PmFixture::kStack3 - 8) == 0x4444);
  CHECK(!far_return(f.v, 32, 0));
  CHECK(f.v.s.seg[CS].selector == PmFixture::kCode3);
}

TEST_CASE("pm_expand_down_stack_limit_faults_with_ss") {
  PmFixture f;
  f.enter_ring0();
  // Expand-down, 16-bit: valid offsets are (0x1000, 0xFFFF].
  f.set_gdt(0x78, PmFixture::seg(0x100000, 0x1000, 0x96, 0));
  CHECK(!load_segment(f.v, SS, 0x78));
  f.v.s.gpr[ESP] = 0x1004;
  Fault e = far_call(f.v, PmFixture::kCode0, 0x10, 16, 0x22);  // second word would be at 0x1000
  CHECK(e.vector == kSS);
  CHECK(e.error == 0);
  CHECK(f.v.s.gpr[ESP] == 0x1004);
  CHECK(f.v.s.seg[CS].selector == PmFixture::kCode0);
  f.v.s.gpr[ESP] = 0x1006;
  CHECK(!far_call(f.v, PmFixture::kCode0, 0x10, 16, 0x22));
  CHECK(f.v.s.gpr[ESP] == 0x1002);
  CHECK(f.r16(0x101002) == 0x22);
}

TEST_CASE("pm_cr3_load_keeps_global_tlb_entries_only_with_pge") {
  PmFixture f;
  Vcpu& v = f.v;
  uint8_t* page = f.mem.ram_base() + 0x5000;
  v.tlb.fill(vmlab::mmu::Access::Read, false, 0xC0001000u, page, /*global=*/true);
  v.tlb.fill(vmlab::mmu::Access::Read, false, 0x00400000u, page, /*global=*/false);
  v.s.cr4 = CR4_PGE;
  CHECK(!write_cr(v, 3, 0x1000));
  CHECK(v.tlb.lookup(vmlab::mmu::Access::Read, false, 0xC0001000u, 4) != nullptr);
  CHECK(v.tlb.lookup(vmlab::mmu::Access::Read, false, 0x00400000u, 4) == nullptr);
  // Clearing PGE flushes everything.
  CHECK(!write_cr(v, 4, 0));
  CHECK(v.tlb.lookup(vmlab::mmu::Access::Read, false, 0xC0001000u, 4) == nullptr);
}

TEST_CASE("pm_iret_to_16bit_outer_stack_changes_only_sp") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  f.set_gdt(0x78, PmFixture::seg(0x50000, 0xFFFF, 0xF2, 0));  // DPL-3 16-bit data
  const uint32_t sp = PmFixture::kStack0 - 20;
  const uint32_t frame[5] = {0x4000, PmFixture::kCode3, 0x2, 0x12345678, 0x7B};
  for (unsigned i = 0; i < 5; ++i) f.w32(sp + i * 4, frame[i]);
  s.gpr[ESP] = sp;
  CHECK(!iret(f.v, 32));
  CHECK(s.cpl == 3);
  CHECK(s.seg[SS].base == 0x50000);
  CHECK(s.gpr[ESP] == ((sp & 0xFFFF0000u) | 0x5678));
}

TEST_CASE("pm_iret_to_v86_and_task_switch_drop_reserved_eflags_bits") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  const uint32_t sp = PmFixture::kStack0 - 36;
  const uint32_t frame[9] = {0x10, 0x2000, 0xFFC08028u | VM | 0x2, 0xFFFE, 0x3000, 0, 0, 0, 0};
  for (unsigned i = 0; i < 9; ++i) f.w32(sp + i * 4, frame[i]);
  s.gpr[ESP] = sp;
  CHECK(!iret(f.v, 32));
  CHECK(read_eflags(s) == (VM | 0x2));

  PmFixture g;
  g.enter_ring0();
  g.w32(PmFixture::kTssB + 0x24, 0xFFC08028u | 0x2);
  CHECK(!far_jump(g.v, PmFixture::kTssBSel, 0, 32, 0));
  CHECK(read_eflags(g.v.s) == 0x2);
}
