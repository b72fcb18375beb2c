// IRET / IRETD (SDM Vol. 2 "IRET"): real mode, V86 mode (IOPL 3), protected-mode returns to
// the same level, to an outer level, to V86 mode, and the NT=1 task return.
#include "cpu/descriptor.h"
#include "cpu/flags.h"
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"

namespace vmlab::cpu {
namespace {

// Flags an IRET may write, given the CPL it executes at (SDM "IRET" pseudo-code).
uint32_t iret_flags_mask(const CpuState& s, unsigned opsize) {
  uint32_t m = kArithFlags | TF | DF | NT | RF | AC | ID;
  if (s.cpl <= iopl(s)) m |= IF;
  if (s.cpl == 0) m |= IOPL_MASK | VIF | VIP;
  return opsize == 16 ? m & 0xFFFF : m;
}

void merge_flags(CpuState& s, uint32_t popped, uint32_t mask) {
  write_eflags(s, (read_eflags(s) & ~mask) | (popped & mask));
}

Fault iret_real_or_v86(Vcpu& v, unsigned opsize) {
  CpuState& s = v.s;
  const unsigned sz = opsize / 8;
  if (v86_mode(s) && iopl(s) < 3) return fault_gp(0);
  StackCursor st = current_stack(s);
  uint32_t eip = 0, cs = 0, fl = 0;
  VMLAB_TRY(stack_pop(v, st, sz, eip));
  VMLAB_TRY(stack_pop(v, st, sz, cs));
  VMLAB_TRY(stack_pop(v, st, sz, fl));
  uint32_t limit = v86_mode(s) ? 0xFFFF : s.seg[CS].limit;
  if (eip > limit) return fault_gp(0);
  // Real mode may change IOPL; V86 may not. VM, VIF and VIP never change here.
  uint32_t mask = kArithFlags | TF | IF | DF | NT | RF | AC | ID | IOPL_MASK;
  if (v86_mode(s)) mask &= ~IOPL_MASK;
  if (opsize == 16) mask &= 0xFFFF;
  if (v86_mode(s)) load_segment_v86(s, CS, uint16_t(cs));
  else load_segment_real(s, CS, uint16_t(cs));
  s.eip = eip;
  commit_stack(s, st);
  merge_flags(s, fl, mask);
  return kNoFault;
}

// IRETD at CPL 0 with VM=1 in the popped EFLAGS (SDM "RETURN-TO-VIRTUAL-8086-MODE").
Fault iret_to_v86(Vcpu& v, StackCursor st, uint32_t eip, uint16_t cs, uint32_t fl) {
  CpuState& s = v.s;
  uint32_t esp = 0, ss = 0, es = 0, ds = 0, fs = 0, gs = 0;
  VMLAB_TRY(stack_pop(v, st, 4, esp));
  VMLAB_TRY(stack_pop(v, st, 4, ss));
  VMLAB_TRY(stack_pop(v, st, 4, es));
  VMLAB_TRY(stack_pop(v, st, 4, ds));
  VMLAB_TRY(stack_pop(v, st, 4, fs));
  VMLAB_TRY(stack_pop(v, st, 4, gs));
  write_eflags(s, fl & kEflagsDefined);
  load_segment_v86(s, CS, cs);
  load_segment_v86(s, SS, uint16_t(ss));
  load_segment_v86(s, ES, uint16_t(es));
  load_segment_v86(s, DS, uint16_t(ds));
  load_segment_v86(s, FS, uint16_t(fs));
  load_segment_v86(s, GS, uint16_t(gs));
  s.gpr[ESP] = esp;
  s.eip = eip & 0xFFFF;
  return kNoFault;
}

Fault iret_task_return(Vcpu& v, uint32_t next_eip) {
  CpuState& s = v.s;
  uint16_t link = 0;
  if (s.tr.limit < 1) return fault_ts(sel_error(s.tr.selector));
  VMLAB_TRY(sys_read16(v, s.tr.base, link));
  return task_switch(v, link, TaskSwitchSource::Iret, next_eip);
}

}  // namespace

Fault iret(Vcpu& v, unsigned opsize, uint32_t next_eip) {
  CpuState& s = v.s;
  // IRET ends NMI blocking even when it faults (SDM Vol. 3, 6.7.1).
  s.events.nmi_blocked = 0;
  if (!protected_mode(s) || v86_mode(s)) return iret_real_or_v86(v, opsize);
  if (s.eflags & NT) return iret_task_return(v, next_eip == kIretEipFromState ? s.eip : next_eip);

  const unsigned sz = opsize / 8;
  StackCursor st = current_stack(s);
  uint32_t eip = 0, cs_raw = 0, fl = 0;
  VMLAB_TRY(stack_pop(v, st, sz, eip));
  VMLAB_TRY(stack_pop(v, st, sz, cs_raw));
  VMLAB_TRY(stack_pop(v, st, sz, fl));
  const uint16_t cs_sel = uint16_t(cs_raw);
  if (sz == 4 && (fl & VM) && s.cpl == 0) return iret_to_v86(v, st, eip, cs_sel, fl);

  const unsigned rpl = cs_sel & 3;
  Descriptor cs;
  VMLAB_TRY(check_return_code_segment(v, cs_sel, cs));
  const uint32_t mask = iret_flags_mask(s, opsize);

  if (rpl == s.cpl) {
    if (eip > cs.limit()) return fault_gp(0);
    VMLAB_TRY(mark_accessed(v, cs_sel, cs));
    commit_stack(s, st);
    load_cs_protected(s, cs_sel, cs, rpl);
    s.eip = eip;
    merge_flags(s, fl, mask);
    return kNoFault;
  }
  // Return to an outer level: pop the outer SS:ESP too.
  uint32_t new_esp = 0;
  uint16_t ss_sel = 0;
  Descriptor ssd;
  VMLAB_TRY(pop_outer_stack(v, st, sz, rpl, new_esp, ss_sel, ssd));
  if (eip > cs.limit()) return fault_gp(0);
  VMLAB_TRY(mark_accessed(v, cs_sel, cs));
  VMLAB_TRY(mark_accessed(v, ss_sel, ssd));
  merge_flags(s, fl, mask);  // with the old CPL's rights
  s.seg[SS] = cache_from_descriptor(ss_sel, ssd);
  s.gpr[ESP] = outer_esp(s.gpr[ESP], new_esp, ssd);
  load_cs_protected(s, cs_sel, cs, rpl);
  s.eip = eip;
  invalidate_segments_for_cpl(s);
  return kNoFault;
}

}  // namespace vmlab::cpu
