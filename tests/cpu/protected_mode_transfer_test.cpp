// Far JMP/CALL/RET, call gates with a privilege change, interrupts and IRET across privilege
// levels, real-mode and V86 delivery.
#include "tests/cpu/protected_mode_fixture.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::PmFixture;

TEST_CASE("pm_real_mode_interrupt_uses_ivt_and_iret_returns") {
  PmFixture f;
  CpuState& s = f.v.s;
  s.seg[CS] = SegmentCache{0x1000, 0x10000, 0xFFFF, 0x93};
  s.seg[SS] = SegmentCache{0x0000, 0, 0xFFFF, 0x93};
  s.gpr[ESP] = 0x7000;
  write_eflags(s, 0x2 | IF | TF | CF);
  s.idtr = {0, 0x3FF};
  f.w16(0x21 * 4, 0x0123);
  f.w16(0x21 * 4 + 2, 0x2000);
  Event e;
  e.kind = EventKind::SoftwareInt;
  e.vector = 0x21;
  e.return_eip = 0x0502;
  deliver_event(f.v, e);
  CHECK(s.seg[CS].selector == 0x2000);
  CHECK(s.seg[CS].base == 0x20000);
  CHECK(s.eip == 0x0123);
  CHECK(s.gpr[ESP] == 0x6FFA);
  CHECK(f.r16(0x6FFA) == 0x0502);
  CHECK(f.r16(0x6FFC) == 0x1000);
  CHECK(f.r16(0x6FFE) == (0x2 | IF | TF | CF));
  CHECK(!(s.eflags & (IF | TF)));
  CHECK(f.v.counters.software_interrupts == 1);
  CHECK(!iret(f.v, 16));
  CHECK(s.seg[CS].selector == 0x1000);
  CHECK(s.eip == 0x0502);
  CHECK(s.gpr[ESP] == 0x7000);
  CHECK(read_eflags(s) == (0x2 | IF | TF | CF));
}

TEST_CASE("pm_real_mode_far_call_and_return") {
  PmFixture f;
  CpuState& s = f.v.s;
  s.seg[CS] = SegmentCache{0x1000, 0x10000, 0xFFFF, 0x93};
  s.seg[SS] = SegmentCache{0x0000, 0, 0xFFFF, 0x93};
  s.gpr[ESP] = 0x7000;
  CHECK(!far_call(f.v, 0x3000, 0x44, 16, 0x105));
  CHECK(s.seg[CS].base == 0x30000);
  CHECK(s.eip == 0x44);
  CHECK(f.r16(0x6FFC) == 0x0105);
  CHECK(f.r16(0x6FFE) == 0x1000);
  CHECK(!far_return(f.v, 16, 4));
  CHECK(s.seg[CS].selector == 0x1000);
  CHECK(s.eip == 0x105);
  CHECK(s.gpr[ESP] == 0x7004);
  CHECK(!far_jump(f.v, 0xF000, 0xE05B, 16, 0));
  CHECK(s.seg[CS].base == 0xF0000);
}

TEST_CASE("pm_far_jump_checks_code_segment_privilege") {
  PmFixture f;
  f.enter_ring3();
  Fault e = far_jump(f.v, PmFixture::kCode0, 0x1000, 32, 0);
  CHECK(e.vector == kGP);
  CHECK(e.error == PmFixture::kCode0);
  e = far_jump(f.v, PmFixture::kData3, 0x1000, 32, 0);
  CHECK(e.vector == kGP);
  CHECK(e.error == (PmFixture::kData3 & 0xFFFC));
  CHECK(far_jump(f.v, 0, 0, 32, 0).vector == kGP);
  // Conforming DPL-0 code: allowed from ring 3, CPL stays 3.
  CHECK(!far_jump(f.v, PmFixture::kCodeConf, 0x1234, 32, 0));
  CHECK(f.v.s.cpl == 3);
  CHECK(f.v.s.seg[CS].selector == (PmFixture::kCodeConf | 3));
  CHECK(f.v.s.eip == 0x1234);
  // Offset beyond the limit.
  f.enter_ring0();
  e = far_jump(f.v, PmFixture::kCode16, 0x10000, 32, 0);
  CHECK(e.vector == kGP);
  CHECK(e.error == 0);
}

TEST_CASE("pm_call_gate_to_ring0_switches_stack_copies_params_and_ret_returns") {
  PmFixture f;
  f.enter_ring3();
  CpuState& s = f.v.s;
  // Two dword parameters on the ring-3 stack.
  s.gpr[ESP] = PmFixture::kStack3 - 8;
  f.w32(PmFixture::kStack3 - 8, 0x1111);
  f.w32(PmFixture::kStack3 - 4, 0x2222);
  CHECK(!far_call(f.v, PmFixture::kCallGate, 0xDEAD, 32, 0x4005));
  CHECK(s.cpl == 0);
  CHECK(s.seg[CS].selector == PmFixture::kCode0);
  CHECK(s.eip == 0x5000);
  CHECK(s.seg[SS].selector == PmFixture::kData0);
  const uint32_t sp = PmFixture::kStack0 - 24;
  CHECK(s.gpr[ESP] == sp);
  CHECK(f.r32(sp + 0) == 0x4005);
  CHECK(f.r32(sp + 4) == PmFixture::kCode3);
  CHECK(f.r32(sp + 8) == 0x1111);
  CHECK(f.r32(sp + 12) == 0x2222);
  CHECK(f.r32(sp + 16) == PmFixture::kStack3 - 8);
  CHECK(f.r32(sp + 20) == PmFixture::kData3);
  // The handler loads a DPL-0 data segment into DS; RET 8 to ring 3 must drop it.
  CHECK(!load_segment(f.v, DS, PmFixture::kData0));
  CHECK(!far_return(f.v, 32, 8));
  CHECK(s.cpl == 3);
  CHECK(s.eip == 0x4005);
  CHECK(s.seg[SS].selector == PmFixture::kData3);
  CHECK(s.gpr[ESP] == PmFixture::kStack3);
  CHECK(!(s.seg[DS].attr & SEG_P));
  CHECK((s.seg[ES].attr & SEG_P) != 0);  // the DPL-3 ES stays
}

TEST_CASE("pm_call_gate_with_bad_tss_stack_raises_ts") {
  PmFixture f;
  f.enter_ring3();
  f.w16(PmFixture::kTssA + 8, PmFixture::kData3);  // SS0 with RPL 3
  Fault e = far_call(f.v, PmFixture::kCallGate, 0, 32, 0);
  CHECK(e.vector == kTS);
  CHECK(e.error == (PmFixture::kData3 & 0xFFFC));
  CHECK(f.v.s.cpl == 3);  // nothing changed
}

TEST_CASE("pm_interrupt_from_ring3_to_ring0_and_iret_back") {
  PmFixture f;
  f.enter_ring3();
  CpuState& s = f.v.s;
  f.set_idt(0x80, PmFixture::gate(PmFixture::kCode0, 0x6000, kIntGate32, 3));
  write_eflags(s, 0x2 | IF | TF | ZF);
  Event e;
  e.kind = EventKind::SoftwareInt;
  e.vector = 0x80;
  e.return_eip = 0x4002;
  deliver_event(f.v, e);
  CHECK(s.cpl == 0);
  CHECK(s.eip == 0x6000);
  CHECK(!(s.eflags & (IF | TF)));
  const uint32_t sp = PmFixture::kStack0 - 20;
  CHECK(s.gpr[ESP] == sp);
  CHECK(f.r32(sp) == 0x4002);
  CHECK(f.r32(sp + 4) == PmFixture::kCode3);
  CHECK(f.r32(sp + 8) == (0x2 | IF | TF | ZF));
  CHECK(f.r32(sp + 12) == PmFixture::kStack3);
  CHECK(f.r32(sp + 16) == PmFixture::kData3);
  CHECK(!iret(f.v, 32));
  CHECK(s.cpl == 3);
  CHECK(s.eip == 0x4002);
  CHECK(s.gpr[ESP] == PmFixture::kStack3);
  CHECK(read_eflags(s) == (0x2 | IF | TF | ZF));
}

TEST_CASE("pm_software_int_through_dpl0_gate_from_ring3_is_gp_at_the_int") {
  PmFixture f;
  f.enter_ring3();
  f.set_idt(0x30, PmFixture::gate(PmFixture::kCode0, 0x6000, kIntGate32, 0));
  f.set_idt(kGP, PmFixture::gate(PmFixture::kCode0, 0x6100, kTrapGate32, 0));
  Event e;
  e.kind = EventKind::SoftwareInt;
  e.vector = 0x30;
  e.return_eip = 0x4002;
  deliver_event(f.v, e);
  CpuState& s = f.v.s;
  CHECK(s.eip == 0x6100);
  const uint32_t sp = PmFixture::kStack0 - 24;
  CHECK(s.gpr[ESP] == sp);
  CHECK(f.r32(sp) == 0x30 * 8 + 2);     // error code: IDT, no EXT
  CHECK(f.r32(sp + 4) == 0x4000);       // EIP of the INT instruction
  CHECK(f.v.counters.exceptions[kGP] == 1);
}

TEST_CASE("pm_external_interrupt_with_missing_gate_sets_ext_in_np_error") {
  PmFixture f;
  f.enter_ring0();
  f.set_idt(0x20, PmFixture::gate(PmFixture::kCode0, 0x6000, kIntGate32, 0) & ~(1ull << 47));
  f.set_idt(kNP, PmFixture::gate(PmFixture::kCode0, 0x6200, kIntGate32, 0));
  Event e;
  e.kind = EventKind::External;
  e.vector = 0x20;
  e.return_eip = 0x1234;
  f.v.s.events.halted = 1;
  deliver_event(f.v, e);
  CHECK(f.v.s.eip == 0x6200);
  CHECK(f.r32(f.v.s.gpr[ESP]) == 0x20 * 8 + 2 + 1);
  CHECK(f.r32(f.v.s.gpr[ESP] + 4) == 0x1234);
  CHECK(f.v.s.events.halted == 0);
  CHECK(f.v.counters.external_interrupts == 1);
}

TEST_CASE("pm_iret_to_v86_then_interrupt_back_to_ring0") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  // IRETD frame: EIP CS EFLAGS ESP SS ES DS FS GS.
  uint32_t sp = PmFixture::kStack0 - 36;
  const uint32_t frame[9] = {0x0100, 0x2000, VM | IF | 0x2, 0xFFFE, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000};
  for (unsigned i = 0; i < 9; ++i) f.w32(sp + i * 4, frame[i]);
  s.gpr[ESP] = sp;
  CHECK(!iret(f.v, 32));
  CHECK(v86_mode(s));
  CHECK(s.cpl == 3);
  CHECK(s.seg[CS].base == 0x20000);
  CHECK(s.eip == 0x100);
  CHECK(s.seg[SS].base == 0x30000);
  CHECK(s.gpr[ESP] == 0xFFFE);
  CHECK(s.seg[GS].selector == 0x7000);
  CHECK(iopl(s) == 0);

  SUBCASE("INT n with IOPL < 3 is #GP(0) to the ring-0 monitor") {
    f.set_idt(kGP, PmFixture::gate(PmFixture::kCode0, 0x6100, kIntGate32, 0));
    Event e;
    e.kind = EventKind::SoftwareInt;
    e.vector = 0x10;
    e.return_eip = 0x102;
    deliver_event(f.v, e);
    CHECK(!v86_mode(s));
    CHECK(s.eip == 0x6100);
    uint32_t top = s.gpr[ESP];
    CHECK(top == PmFixture::kStack0 - 40);
    CHECK(f.r32(top) == 0);          // error code
    CHECK(f.r32(top + 4) == 0x100);  // the INT instruction
    CHECK(f.r32(top + 8) == 0x2000);
  }
  SUBCASE("an external interrupt pushes GS FS DS ES and nulls them") {
    f.set_idt(0x21, PmFixture::gate(PmFixture::kCode0, 0x6300, kIntGate32, 0));
    Event e;
    e.kind = EventKind::External;
    e.vector = 0x21;
    e.return_eip = 0x100;
    deliver_event(f.v, e);
    CHECK(!v86_mode(s));
    CHECK(s.cpl == 0);
    CHECK(s.eip == 0x6300);
    uint32_t top = s.gpr[ESP];
    CHECK(top == PmFixture::kStack0 - 36);
    CHECK(f.r32(top) == 0x100);
    CHECK(f.r32(top + 4) == 0x2000);
    CHECK((f.r32(top + 8) & VM) != 0);
    CHECK(f.r32(top + 12) == 0xFFFE);
    CHECK(f.r32(top + 16) == 0x3000);
    CHECK(f.r32(top + 20) == 0x4000);
    CHECK(f.r32(top + 32) == 0x7000);
    CHECK(s.seg[DS].selector == 0);
    CHECK(!(s.seg[GS].attr & SEG_P));
    // And IRET goes back to V86 with the segments restored.
    CHECK(!iret(f.v, 32));
    CHECK(v86_mode(s));
    CHECK(s.seg[DS].base == 0x50000);
    CHECK(s.eip == 0x100);
  }
  SUBCASE("IRET in V86 with IOPL < 3 is #GP(0)") {
    CHECK(iret(f.v, 16).vector == kGP);
  }
}

TEST_CASE("pm_iret_to_outer_level_checks_return_cs") {
  PmFixture f;
  f.enter_ring3();
  CpuState& s = f.v.s;
  s.gpr[ESP] = PmFixture::kStack3 - 12;
  f.w32(PmFixture::kStack3 - 12, 0x10);
  f.w32(PmFixture::kStack3 - 8, PmFixture::kCode0);  // RPL 0 < CPL 3
  f.w32(PmFixture::kStack3 - 4, 0x2);
  Fault e = iret(f.v, 32);
  CHECK(e.vector == kGP);
  CHECK(e.error == PmFixture::kCode0);
  CHECK(s.cpl == 3);
}
