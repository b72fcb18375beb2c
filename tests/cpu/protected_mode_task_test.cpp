// Hardware task switches (JMP, CALL through a task gate, IRET with NT), #DF through a task gate
// as Linux i386 uses it, double-fault escalation and the triple fault.
#include "tests/cpu/protected_mode_fixture.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::PmFixture;

TEST_CASE("pm_jmp_to_tss_saves_old_task_and_loads_new") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  s.gpr[EAX] = 0xAAAA;
  s.gpr[EBX] = 0xBBBB;
  f.w32(PmFixture::kTssB + 0x28, 0x1234);  // new EAX
  CHECK(!far_jump(f.v, PmFixture::kTssBSel, 0, 32, 0x4444));
  CHECK(s.tr.selector == PmFixture::kTssBSel);
  CHECK(s.eip == 0x7000);
  CHECK(s.gpr[EAX] == 0x1234);
  CHECK(s.gpr[ESP] == 0x28000);
  CHECK((s.cr0 & CR0_TS) != 0);
  CHECK(!(s.eflags & NT));
  // Old task: registers saved, busy bit cleared; new task busy.
  CHECK(f.r32(PmFixture::kTssA + 0x20) == 0x4444);
  CHECK(f.r32(PmFixture::kTssA + 0x28) == 0xAAAA);
  CHECK(f.r32(PmFixture::kTssA + 0x34) == 0xBBBB);
  CHECK(f.r16(PmFixture::kTssA + 0x4C) == PmFixture::kCode0);
  CHECK((f.gdt_access(PmFixture::kTssASel) & 0xF) == kTss32Avail);
  CHECK((f.gdt_access(PmFixture::kTssBSel) & 0xF) == kTss32Busy);
  // Jumping to a busy TSS is #GP(sel).
  Fault e = far_jump(f.v, PmFixture::kTssBSel, 0, 32, 0);
  CHECK(e.vector == kGP);
  CHECK(e.error == PmFixture::kTssBSel);
}

TEST_CASE("pm_call_through_task_gate_nests_and_iret_returns") {
  PmFixture f;
  f.enter_ring3();
  CpuState& s = f.v.s;
  s.gpr[ECX] = 0xC0C0;
  CHECK(!far_call(f.v, PmFixture::kTaskGateB, 0, 32, 0x4010));
  CHECK(s.tr.selector == PmFixture::kTssBSel);
  CHECK(s.cpl == 0);
  CHECK((s.eflags & NT) != 0);
  CHECK(f.r16(PmFixture::kTssB) == PmFixture::kTssASel);  // back link
  CHECK((f.gdt_access(PmFixture::kTssASel) & 0xF) == kTss32Busy);  // caller stays busy
  s.gpr[ECX] = 0;
  CHECK(!iret(f.v, 32, 0x7005));
  CHECK(s.tr.selector == PmFixture::kTssASel);
  CHECK(s.cpl == 3);
  CHECK(s.eip == 0x4010);
  CHECK(s.gpr[ECX] == 0xC0C0);
  CHECK(s.seg[SS].selector == PmFixture::kData3);
  CHECK((f.gdt_access(PmFixture::kTssBSel) & 0xF) == kTss32Avail);
  CHECK(!(f.r32(PmFixture::kTssB + 0x24) & NT));  // NT cleared in the saved image
  CHECK(f.r32(PmFixture::kTssB + 0x20) == 0x7005);
}

TEST_CASE("pm_task_switch_faults_in_new_task_segment_loads_are_delivered_there") {
  PmFixture f;
  f.enter_ring0();
  f.w16(PmFixture::kTssB + 0x54, PmFixture::kNotPresent);  // DS of the new task: not present
  f.set_idt(kNP, PmFixture::gate(PmFixture::kCode0, 0x6200, kIntGate32, 0));
  CHECK(!far_jump(f.v, PmFixture::kTssBSel, 0, 32, 0x4444));
  CpuState& s = f.v.s;
  CHECK(s.tr.selector == PmFixture::kTssBSel);  // the switch happened
  CHECK(s.eip == 0x6200);                       // #NP handler in the new task
  CHECK(f.r32(s.gpr[ESP]) == PmFixture::kNotPresent);
  CHECK(f.r32(s.gpr[ESP] + 4) == 0x7000);       // at the new task's EIP
}

TEST_CASE("pm_double_fault_through_task_gate_like_linux_i386") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  // #GP's gate is not present: delivering #GP raises #NP, contributory on contributory = #DF.
  f.set_idt(kGP, PmFixture::gate(PmFixture::kCode0, 0x6100, kIntGate32, 0) & ~(1ull << 47));
  f.set_idt(kDF, PmFixture::gate(PmFixture::kTssDfSel, 0, kTaskGate, 0));
  deliver_fault(f.v, fault_gp(0), 0x4321);
  CHECK(s.tr.selector == PmFixture::kTssDfSel);
  CHECK(s.eip == 0x7100);
  CHECK(s.gpr[ESP] == PmFixture::kStackDf - 4);
  CHECK(f.r32(PmFixture::kStackDf - 4) == 0);   // #DF error code
  CHECK(f.r16(PmFixture::kTssDf) == PmFixture::kTssASel);
  CHECK((s.eflags & NT) != 0);
  CHECK(f.r32(PmFixture::kTssA + 0x20) == 0x4321);  // the faulting EIP saved in the old TSS
  CHECK(f.v.counters.exceptions[kGP] == 1);
  CHECK(f.v.counters.exceptions[kDF] == 1);
  CHECK(f.v.counters.triple_faults == 0);
  CHECK(s.events.in_double_fault == 0);
}

TEST_CASE("pm_page_fault_then_benign_fault_is_not_a_double_fault") {
  PmFixture f;
  f.enter_ring0();
  // #UD gate missing: a benign fault's delivery failing with #NP is just #NP.
  f.set_idt(kUD, 0);
  f.set_idt(kGP, PmFixture::gate(PmFixture::kCode0, 0x6100, kIntGate32, 0));
  deliver_fault(f.v, fault_ud(), 0x4000);
  CHECK(f.v.s.eip == 0x6100);  // #GP (not-present type 0 descriptor -> #GP(vec*8+2+1))
  CHECK(f.r32(f.v.s.gpr[ESP]) == kUD * 8 + 3);
  CHECK(f.v.counters.exceptions[kDF] == 0);
}

TEST_CASE("pm_fault_while_delivering_double_fault_is_a_triple_fault") {
  PmFixture f;
  f.enter_ring0();
  f.v.s.idtr.limit = 0;  // every vector is beyond the IDT
  deliver_fault(f.v, fault_gp(0), 0x4000);
  CHECK(f.v.counters.triple_faults == 1);
  CHECK((f.v.attention.load() & kAttnShutdown) != 0);
  CHECK(f.v.counters.exceptions[kDF] == 1);
}

TEST_CASE("pm_real_mode_triple_fault_when_ivt_limit_is_zero") {
  PmFixture f;
  f.v.s.idtr.limit = 0;
  Event e;
  e.kind = EventKind::External;
  e.vector = 8;
  deliver_event(f.v, e);
  // External 8 -> #GP (benign first) -> #GP delivery fails: contributory twice -> #DF -> shutdown.
  CHECK(f.v.counters.triple_faults == 1);
}

TEST_CASE("pm_nmi_blocked_until_iret") {
  PmFixture f;
  f.enter_ring0();
  f.set_idt(kNMI, PmFixture::gate(PmFixture::kCode0, 0x6400, kIntGate32, 0));
  Event e;
  e.kind = EventKind::Nmi;
  e.vector = kNMI;
  e.return_eip = 0x1000;
  deliver_event(f.v, e);
  CHECK(f.v.s.events.nmi_blocked == 1);
  CHECK(!iret(f.v, 32));
  CHECK(f.v.s.events.nmi_blocked == 0);
  CHECK(f.v.s.eip == 0x1000);
}

TEST_CASE("pm_16bit_tss_task_switch") {
  PmFixture f;
  f.enter_ring0();
  CpuState& s = f.v.s;
  // 16-bit TSS: IP 0x0E, FLAGS 0x10, AX.. 0x12, ES 0x22, CS 0x24, SS 0x26, DS 0x28, LDT 0x2A.
  f.w16(PmFixture::kTss16 + 0x0E, 0x0042);
  f.w16(PmFixture::kTss16 + 0x10, 0x0002);
  f.w16(PmFixture::kTss16 + 0x12, 0x5555);
  f.w16(PmFixture::kTss16 + 0x1A, 0x8000);  // SP
  f.w16(PmFixture::kTss16 + 0x22, PmFixture::kData0);
  f.w16(PmFixture::kTss16 + 0x24, PmFixture::kCode16);
  f.w16(PmFixture::kTss16 + 0x26, PmFixture::kData0);
  f.w16(PmFixture::kTss16 + 0x28, PmFixture::kData0);
  s.gpr[EAX] = 0xFFFF0000u;
  CHECK(!far_jump(f.v, PmFixture::kTss16Sel, 0, 32, 0));
  CHECK(s.eip == 0x42);
  CHECK(s.seg[CS].base == 0x8000);
  CHECK(!code32(s));
  CHECK(s.gpr[EAX] == 0xFFFF5555u);
  CHECK((s.gpr[ESP] & 0xFFFF) == 0x8000);
  CHECK(!(s.seg[FS].attr & SEG_P));
}

TEST_CASE("pm_tss_debug_trap_bit_raises_db_in_the_new_task") {
  PmFixture f;
  f.enter_ring0();
  f.w16(PmFixture::kTssB + 0x64, 1);
  f.set_idt(kDB, PmFixture::gate(PmFixture::kCode0, 0x6600, kIntGate32, 0));
  CHECK(!far_jump(f.v, PmFixture::kTssBSel, 0, 32, 0x4444));
  CpuState& s = f.v.s;
  CHECK(s.tr.selector == PmFixture::kTssBSel);
  CHECK(s.eip == 0x6600);
  CHECK(f.r32(s.gpr[ESP]) == 0x7000);  // trap before the new task's first instruction
  CHECK((s.dr[6] & 0x8000) != 0);
  CHECK(f.v.counters.exceptions[kDB] == 1);
}
