// Control transfer (SDM Vol. 2: Jcc JMP CALL RET LOOP LOOPE LOOPNE JCXZ JECXZ, far JMP/CALL/RET,
// IRET, INT n, INT3, INTO, ICEBP). When a handler runs, s.eip already holds the next
// instruction's EIP; a taken branch replaces it. Far transfers and interrupts go through
// cpu/protected_mode.h.
#pragma once
#include "cpu/operands.h"
#include "cpu/protected_mode.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

// A near branch target outside the CS limit is #GP(0) (nothing changes).
inline Fault near_jump(Vcpu& v, uint32_t target) {
  if (target > v.s.seg[CS].limit) return fault_gp(0);
  v.s.eip = target;
  return kNoFault;
}

// Jcc rel8/rel16/rel32 (70-7F, 0F 80-8F). A = condition code.
template <typename, int A> Fault jcc(Vcpu& v, const Insn& i) {
  if (!condition(v.s.lazy, A)) return kNoFault;
  VMLAB_TRY(near_jump(v, branch_target(i, v.s.eip + i.imm)));
  return kEipMoved;  // it may sit inside a block (blocks_through_branches)
}
// JMP rel (E9 EB)
template <typename, int> Fault jmp_rel(Vcpu& v, const Insn& i) {
  return near_jump(v, branch_target(i, v.s.eip + i.imm));
}
// CALL rel (E8)
template <typename T, int> Fault call_rel(Vcpu& v, const Insn& i) {
  const uint32_t target = branch_target(i, v.s.eip + i.imm);
  if (target > v.s.seg[CS].limit) return fault_gp(0);
  VMLAB_TRY(push<T>(v, T(v.s.eip)));
  v.s.eip = target;
  return kNoFault;
}
// JMP r/m (FF /4)
template <typename T, int> Fault jmp_E(Vcpu& v, const Insn& i) {
  T t;
  VMLAB_TRY(read_E<T>(v, i, t));
  return near_jump(v, t);
}
// CALL r/m (FF /2)
template <typename T, int> Fault call_E(Vcpu& v, const Insn& i) {
  T t;
  VMLAB_TRY(read_E<T>(v, i, t));
  if (t > v.s.seg[CS].limit) return fault_gp(0);
  VMLAB_TRY(push<T>(v, T(v.s.eip)));
  v.s.eip = t;
  return kNoFault;
}
// RET / RET imm16 (C3 C2). A = 1 when there is an immediate.
template <typename T, int A> Fault ret_near(Vcpu& v, const Insn& i) {
  T t;
  VMLAB_TRY(read_stack<T>(v, 0, t));
  if (t > v.s.seg[CS].limit) return fault_gp(0);
  set_stack_top(v.s, stack_top(v.s) + sizeof(T) + (A ? (i.imm & 0xFFFF) : 0));
  v.s.eip = t;
  return kNoFault;
}
// JMP ptr16:16/32 (EA), CALL ptr16:16/32 (9A). A = 0 JMP, 1 CALL.
template <typename, int A> Fault far_direct(Vcpu& v, const Insn& i) {
  const unsigned opsize = i.op32 ? 32 : 16;
  if (A) return far_call(v, uint16_t(i.imm2), i.imm, opsize, v.s.eip);
  return far_jump(v, uint16_t(i.imm2), i.imm, opsize, v.s.eip);
}
// JMP m16:16/32 (FF /5), CALL m16:16/32 (FF /3). A = 0 JMP, 1 CALL.
template <typename T, int A> Fault far_indirect(Vcpu& v, const Insn& i) {
  T off;
  uint16_t sel;
  VMLAB_TRY(read_far_pointer<T>(v, i, off, sel));
  const unsigned opsize = sizeof(T) * 8;
  if (A) return far_call(v, sel, off, opsize, v.s.eip);
  return far_jump(v, sel, off, opsize, v.s.eip);
}
// RETF / RETF imm16 (CB CA). A = 1 when there is an immediate.
template <typename T, int A> Fault retf(Vcpu& v, const Insn& i) {
  return far_return(v, sizeof(T) * 8, A ? uint16_t(i.imm) : 0);
}
// IRET / IRETD (CF)
template <typename T, int> Fault iret_insn(Vcpu& v, const Insn&) { return iret(v, sizeof(T) * 8); }

// LOOPNE E0, LOOPE E1, LOOP E2 (A = 0, 1, 2), JCXZ/JECXZ E3 (A = 3): the counter is CX or
// ECX by address size.
template <typename, int A> Fault loop(Vcpu& v, const Insn& i) {
  uint32_t c = get_areg(v.s, i, ECX);
  bool take;
  if constexpr (A == 3) {
    take = c == 0;
  } else {
    c = (c - 1) & addr_mask(i);
    set_areg(v.s, i, ECX, c);
    take = c != 0 && (A == 2 || get_zf(v.s.lazy) == bool(A));
  }
  if (!take) return kNoFault;
  VMLAB_TRY(near_jump(v, branch_target(i, v.s.eip + i.imm)));
  return kEipMoved;
}

// INT n (CD), INT3 (CC), INTO (CE), ICEBP (F1). The delivery checks IOPL/DPL and pushes the
// next EIP; a fault during delivery is handled by deliver_event itself.
template <typename, int A> Fault soft_int(Vcpu& v, const Insn& i) {
  Event e;
  e.return_eip = v.s.eip;
  e.insn_length = i.len;  // prefixes included: a fault in delivery points at the INT
  switch (A) {
    case 0: e.kind = EventKind::SoftwareInt; e.vector = uint8_t(i.imm); break;
    case 1: e.kind = EventKind::SoftwareInt3; e.vector = kBP; break;
    case 2:
      if (!get_of(v.s.lazy)) return kNoFault;
      e.kind = EventKind::SoftwareIntO; e.vector = kOF; break;
    default: e.kind = EventKind::Icebp; e.vector = kDB; break;
  }
  deliver_event(v, e);
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
