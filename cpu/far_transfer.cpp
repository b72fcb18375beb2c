// Far JMP / CALL / RET (SDM Vol. 2 "JMP", "CALL", "RET"; Vol. 3 5.8): real and V86 mode,
// protected-mode transfers to code segments, through call gates (with the stack switch and
// parameter copy of a call to an inner level), to task gates and TSS descriptors.
#include "cpu/descriptor.h"
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"

namespace vmlab::cpu {
namespace {

uint32_t mask_ip(uint32_t eip, unsigned opsize) { return opsize == 16 ? eip & 0xFFFF : eip; }

// Real and V86 mode: CS = sel, base = sel << 4.
Fault real_transfer_cs(CpuState& s, uint16_t sel, uint32_t eip) {
  // Real mode keeps the CS limit (big real mode); V86 loads 0xFFFF.
  uint32_t limit = v86_mode(s) ? 0xFFFF : s.seg[CS].limit;
  if (eip > limit) return fault_gp(0);
  if (v86_mode(s)) load_segment_v86(s, CS, sel);
  else load_segment_real(s, CS, sel);
  s.eip = eip;
  return kNoFault;
}

// Privilege checks on a direct JMP/CALL target code segment (non-gate).
Fault check_direct_code(const CpuState& s, uint16_t sel, const Descriptor& d) {
  const uint32_t err = sel_error(sel);
  if (!d.is_code()) return fault_gp(err);
  if (d.conforming()) {
    if (d.dpl() > s.cpl) return fault_gp(err);
  } else if ((sel & 3u) > s.cpl || d.dpl() != s.cpl) {
    return fault_gp(err);
  }
  if (!d.present()) return fault_np(err);
  return kNoFault;
}

// JMP/CALL to a task gate or a TSS descriptor: the privilege checks, then the switch.
Fault transfer_to_task(Vcpu& v, uint16_t sel, const Descriptor& d, TaskSwitchSource src,
                       uint32_t next_eip) {
  const CpuState& s = v.s;
  const uint32_t err = sel_error(sel);
  if (d.dpl() < s.cpl || d.dpl() < (sel & 3u)) return fault_gp(err);
  if (!d.present()) return fault_np(err);
  uint16_t tss_sel = sel;
  if (d.type() == kTaskGate) {
    tss_sel = d.gate_selector();
    if (tss_sel & 4) return fault_gp(sel_error(tss_sel));
  }
  return task_switch(v, tss_sel, src, next_eip);
}

// Gate target checks shared by JMP and CALL through a call gate.
Fault gate_target(Vcpu& v, uint16_t gate_sel, const Descriptor& gate, bool is_call,
                  uint16_t& cs_sel, Descriptor& cs) {
  const CpuState& s = v.s;
  if (gate.dpl() < s.cpl || gate.dpl() < (gate_sel & 3u)) return fault_gp(sel_error(gate_sel));
  if (!gate.present()) return fault_np(sel_error(gate_sel));
  cs_sel = gate.gate_selector();
  if ((cs_sel & 0xFFFC) == 0) return fault_gp(0);
  VMLAB_TRY(fetch_descriptor(v, cs_sel, cs));
  const uint32_t err = sel_error(cs_sel);
  if (!cs.is_code() || cs.dpl() > s.cpl) return fault_gp(err);
  if (!is_call && !cs.conforming() && cs.dpl() != s.cpl) return fault_gp(err);
  if (!cs.present()) return fault_np(err);
  return kNoFault;
}

// CALL through a call gate to a more privileged non-conforming segment (SDM 5.8.5).
Fault call_gate_inner(Vcpu& v, const Descriptor& gate, uint16_t cs_sel, Descriptor& cs,
                      uint32_t next_eip) {
  CpuState& s = v.s;
  const unsigned dpl = cs.dpl();
  uint16_t ss_sel = 0;
  uint32_t new_esp = 0;
  VMLAB_TRY(tss_inner_stack(v, dpl, ss_sel, new_esp, false));
  Descriptor ssd;
  VMLAB_TRY(check_stack_segment(v, ss_sel, dpl, ssd, kTS, false));
  const uint32_t eip = gate.gate_offset();
  if (eip > cs.limit()) return fault_gp(0);

  const unsigned gsz = gate.gate32() ? 4 : 2;
  StackCursor old = current_stack(s);
  StackCursor st;
  st.ss = cache_from_descriptor(ss_sel, ssd);
  st.esp = new_esp;
  st.user = dpl == 3;
  st.error = sel_error(ss_sel);
  VMLAB_TRY(stack_push(v, st, gsz, s.seg[SS].selector));
  VMLAB_TRY(stack_push(v, st, gsz, old.esp));
  // Parameters keep their order: the one deepest in the old stack is pushed first.
  for (unsigned i = gate.gate_param_count(); i-- > 0;) {
    uint32_t param = 0;
    VMLAB_TRY(stack_peek(v, old, i * gsz, gsz, param));
    VMLAB_TRY(stack_push(v, st, gsz, param));
  }
  VMLAB_TRY(stack_push(v, st, gsz, s.seg[CS].selector));
  VMLAB_TRY(stack_push(v, st, gsz, next_eip));
  VMLAB_TRY(mark_accessed(v, ss_sel, ssd));
  VMLAB_TRY(mark_accessed(v, cs_sel, cs));
  st.ss = cache_from_descriptor(ss_sel, ssd);
  commit_stack(s, st);
  load_cs_protected(s, cs_sel, cs, dpl);
  s.eip = eip;
  return kNoFault;
}

}  // namespace

// The code-segment checks shared by RET far and IRET to protected mode (SDM Vol. 2, RET and
// IRET pseudo-code): the selector's RPL is the privilege returned to, never more privileged.
Fault check_return_code_segment(Vcpu& v, uint16_t cs_sel, Descriptor& cs) {
  const unsigned rpl = cs_sel & 3;
  const uint32_t err = sel_error(cs_sel);
  if ((cs_sel & 0xFFFC) == 0) return fault_gp(0);
  if (rpl < v.s.cpl) return fault_gp(err);
  VMLAB_TRY(fetch_descriptor(v, cs_sel, cs));
  if (!cs.is_code()) return fault_gp(err);
  if (cs.conforming() ? cs.dpl() > rpl : cs.dpl() != rpl) return fault_gp(err);
  if (!cs.present()) return fault_np(err);
  return kNoFault;
}

// JMP far to a code segment at the current privilege level (directly or through a call gate):
// the offset must be inside the segment; then the accessed bit, CS and EIP.
static Fault enter_code_same_level(Vcpu& v, uint16_t sel, Descriptor& d, uint32_t eip) {
  if (eip > d.limit()) return fault_gp(0);
  VMLAB_TRY(mark_accessed(v, sel, d));
  load_cs_protected(v.s, sel, d, v.s.cpl);
  v.s.eip = eip;
  return kNoFault;
}

Fault far_jump(Vcpu& v, uint16_t sel, uint32_t offset, unsigned opsize, uint32_t next_eip) {
  CpuState& s = v.s;
  if (!protected_mode(s) || v86_mode(s)) return real_transfer_cs(s, sel, mask_ip(offset, opsize));
  if ((sel & 0xFFFC) == 0) return fault_gp(0);
  Descriptor d;
  VMLAB_TRY(fetch_descriptor(v, sel, d));
  if (d.s()) {
    VMLAB_TRY(check_direct_code(s, sel, d));
    return enter_code_same_level(v, sel, d, mask_ip(offset, opsize));
  }
  switch (d.type()) {
    case kCallGate16:
    case kCallGate32: {
      uint16_t cs_sel = 0;
      Descriptor cs;
      VMLAB_TRY(gate_target(v, sel, d, false, cs_sel, cs));
      return enter_code_same_level(v, cs_sel, cs, d.gate_offset());
    }
    case kTaskGate:
    case kTss16Avail:
    case kTss32Avail:
      return transfer_to_task(v, sel, d, TaskSwitchSource::Jump, next_eip);
    default:
      return fault_gp(sel_error(sel));
  }
}

Fault far_call(Vcpu& v, uint16_t sel, uint32_t offset, unsigned opsize, uint32_t next_eip) {
  CpuState& s = v.s;
  const unsigned sz = opsize / 8;
  if (!protected_mode(s) || v86_mode(s)) {
    StackCursor st = current_stack(s);
    VMLAB_TRY(stack_push(v, st, sz, s.seg[CS].selector));
    VMLAB_TRY(stack_push(v, st, sz, mask_ip(next_eip, opsize)));
    CpuState before = s;
    if (Fault f = real_transfer_cs(s, sel, mask_ip(offset, opsize))) {
      s = before;
      return f;
    }
    commit_stack(s, st);
    return kNoFault;
  }
  if ((sel & 0xFFFC) == 0) return fault_gp(0);
  Descriptor d;
  VMLAB_TRY(fetch_descriptor(v, sel, d));
  if (d.s()) {
    VMLAB_TRY(check_direct_code(s, sel, d));
    uint32_t eip = mask_ip(offset, opsize);
    if (eip > d.limit()) return fault_gp(0);
    StackCursor st = current_stack(s);
    VMLAB_TRY(stack_push(v, st, sz, s.seg[CS].selector));
    VMLAB_TRY(stack_push(v, st, sz, mask_ip(next_eip, opsize)));
    VMLAB_TRY(mark_accessed(v, sel, d));
    commit_stack(s, st);
    load_cs_protected(s, sel, d, s.cpl);
    s.eip = eip;
    return kNoFault;
  }
  switch (d.type()) {
    case kCallGate16:
    case kCallGate32: {
      uint16_t cs_sel = 0;
      Descriptor cs;
      VMLAB_TRY(gate_target(v, sel, d, true, cs_sel, cs));
      if (!cs.conforming() && cs.dpl() < s.cpl) return call_gate_inner(v, d, cs_sel, cs, next_eip);
      const unsigned gsz = d.gate32() ? 4 : 2;
      uint32_t eip = d.gate_offset();
      if (eip > cs.limit()) return fault_gp(0);
      StackCursor st = current_stack(s);
      VMLAB_TRY(stack_push(v, st, gsz, s.seg[CS].selector));
      VMLAB_TRY(stack_push(v, st, gsz, next_eip));
      VMLAB_TRY(mark_accessed(v, cs_sel, cs));
      commit_stack(s, st);
      load_cs_protected(s, cs_sel, cs, s.cpl);
      s.eip = eip;
      return kNoFault;
    }
    case kTaskGate:
    case kTss16Avail:
    case kTss32Avail:
      return transfer_to_task(v, sel, d, TaskSwitchSource::Call, next_eip);
    default:
      return fault_gp(sel_error(sel));
  }
}

// RET far (SDM Vol. 2 "RET", protected-mode pseudo-code): same level or to an outer level.
Fault far_return(Vcpu& v, unsigned opsize, uint16_t pop_bytes) {
  CpuState& s = v.s;
  const unsigned sz = opsize / 8;
  StackCursor st = current_stack(s);
  uint32_t eip = 0, cs_raw = 0;
  VMLAB_TRY(stack_pop(v, st, sz, eip));
  VMLAB_TRY(stack_pop(v, st, sz, cs_raw));
  const uint16_t cs_sel = uint16_t(cs_raw);
  if (!protected_mode(s) || v86_mode(s)) {
    stack_adjust(st, pop_bytes);
    CpuState before = s;
    if (Fault f = real_transfer_cs(s, cs_sel, eip)) {
      s = before;
      return f;
    }
    commit_stack(s, st);
    return kNoFault;
  }
  const unsigned rpl = cs_sel & 3;
  Descriptor cs;
  VMLAB_TRY(check_return_code_segment(v, cs_sel, cs));

  if (rpl == s.cpl) {
    if (eip > cs.limit()) return fault_gp(0);
    stack_adjust(st, pop_bytes);
    VMLAB_TRY(mark_accessed(v, cs_sel, cs));
    commit_stack(s, st);
    load_cs_protected(s, cs_sel, cs, rpl);
    s.eip = eip;
    return kNoFault;
  }
  // Return to an outer privilege level: the caller's SS:ESP sits above the parameters.
  stack_adjust(st, pop_bytes);
  uint32_t new_esp = 0;
  uint16_t ss_sel = 0;
  Descriptor ssd;
  VMLAB_TRY(pop_outer_stack(v, st, sz, rpl, new_esp, ss_sel, ssd));
  if (eip > cs.limit()) return fault_gp(0);
  VMLAB_TRY(mark_accessed(v, cs_sel, cs));
  VMLAB_TRY(mark_accessed(v, ss_sel, ssd));
  StackCursor outer;
  outer.ss = cache_from_descriptor(ss_sel, ssd);
  outer.esp = outer_esp(s.gpr[ESP], new_esp, ssd);
  stack_adjust(outer, pop_bytes);
  commit_stack(s, outer);
  load_cs_protected(s, cs_sel, cs, rpl);
  s.eip = eip;
  invalidate_segments_for_cpl(s);
  return kNoFault;
}

}  // namespace vmlab::cpu
