// Stack instructions (SDM Vol. 2: PUSH POP PUSHA POPA PUSHF POPF ENTER LEAVE). SS.B selects
// SP or ESP (segmented_access.h); the operand size selects the slot size.
#pragma once
#include "cpu/operands.h"
#include "cpu/protected_mode.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

// PUSH r (50+r): PUSH (E)SP pushes the value before the push (286 and later).
template <typename T, int> Fault push_r(Vcpu& v, const Insn& i) {
  return push<T>(v, get_reg<T>(v.s, i.opcode & 7));
}
// POP r (58+r): POP (E)SP leaves the popped value in (E)SP.
template <typename T, int> Fault pop_r(Vcpu& v, const Insn& i) {
  T x;
  VMLAB_TRY(pop<T>(v, x));
  set_reg<T>(v.s, i.opcode & 7, x);
  return kNoFault;
}
// PUSH imm (68 6A)
template <typename T, int> Fault push_I(Vcpu& v, const Insn& i) { return push<T>(v, T(i.imm)); }
// PUSH r/m (FF /6)
template <typename T, int> Fault push_E(Vcpu& v, const Insn& i) {
  T x;
  VMLAB_TRY(read_E<T>(v, i, x));
  return push<T>(v, x);
}
// POP r/m (8F /0): an ESP-based address uses ESP after the pop.
template <typename T, int> Fault pop_E(Vcpu& v, const Insn& i) {
  const uint32_t old_esp = v.s.gpr[ESP];
  T x;
  VMLAB_TRY(pop<T>(v, x));
  if (Fault f = write_E<T>(v, i, x)) {
    v.s.gpr[ESP] = old_esp;
    return f;
  }
  return kNoFault;
}
// PUSH Sreg (06 0E 16 1E 0F A0 0F A8): with 32-bit operand size the slot is 4 bytes and P6
// writes only its low word.
template <typename T, int Seg> Fault push_sreg(Vcpu& v, const Insn&) {
  const uint32_t sp = (stack_top(v.s) - sizeof(T)) & stack_mask(v.s);
  VMLAB_TRY(write_mem<uint16_t>(v, SS, sp, v.s.seg[Seg].selector));
  set_stack_top(v.s, sp);
  return kNoFault;
}
// POP Sreg (07 17 1F 0F A1 0F A9): POP SS blocks interrupts for one instruction.
template <typename T, int Seg> Fault pop_sreg(Vcpu& v, const Insn&) {
  T x;
  VMLAB_TRY(read_stack<T>(v, 0, x));
  VMLAB_TRY(load_segment(v, uint8_t(Seg), uint16_t(x)));
  set_stack_top(v.s, stack_top(v.s) + sizeof(T));
  if (Seg == SS) v.s.events.interrupt_shadow = 1;
  return kNoFault;
}
// PUSHA/PUSHAD (60): AX CX DX BX (original SP) BP SI DI. Registers change only when every
// write succeeded.
template <typename T, int> Fault pusha(Vcpu& v, const Insn&) {
  const uint32_t top = stack_top(v.s), m = stack_mask(v.s);
  for (unsigned r = 0; r < 8; ++r) {
    const uint32_t off = (top - (r + 1) * sizeof(T)) & m;
    VMLAB_TRY(write_mem<T>(v, SS, off, get_reg<T>(v.s, r)));
  }
  set_stack_top(v.s, top - 8 * sizeof(T));
  return kNoFault;
}
// POPA/POPAD (61): the saved SP is skipped.
template <typename T, int> Fault popa(Vcpu& v, const Insn&) {
  T vals[8];
  for (unsigned r = 0; r < 8; ++r) VMLAB_TRY(read_stack<T>(v, (7 - r) * sizeof(T), vals[r]));
  for (unsigned r = 0; r < 8; ++r)
    if (r != ESP) set_reg<T>(v.s, r, vals[r]);
  set_stack_top(v.s, stack_top(v.s) + 8 * sizeof(T));
  return kNoFault;
}
// PUSHF/PUSHFD (9C): #GP(0) in V86 mode with IOPL < 3 (no VME); VM and RF read as 0.
template <typename T, int> Fault pushf(Vcpu& v, const Insn&) {
  if (v86_mode(v.s) && iopl(v.s) < 3) return fault_gp(0);
  return push<T>(v, T(read_eflags(v.s) & ~(VM | RF)));
}
// POPF/POPFD (9D): V86 with IOPL < 3 -> #GP(0). IF changes only when CPL <= IOPL, IOPL only
// at CPL 0; VM, VIP, VIF never change; RF is cleared.
template <typename T, int> Fault popf(Vcpu& v, const Insn&) {
  CpuState& s = v.s;
  if (v86_mode(s) && iopl(s) < 3) return fault_gp(0);
  T x;
  VMLAB_TRY(pop<T>(v, x));
  uint32_t changeable = kArithFlags | TF | DF | NT;
  if (sizeof(T) == 4) changeable |= AC | ID;
  if (!protected_mode(s) || s.cpl <= iopl(s)) changeable |= IF;
  if (!protected_mode(s) || (!v86_mode(s) && s.cpl == 0)) changeable |= IOPL_MASK;
  const uint32_t old = read_eflags(s);
  write_eflags(s, ((old & ~changeable) | (uint32_t(x) & changeable)) & ~RF);
  return kNoFault;
}
// ENTER imm16, imm8 (C8): nesting level taken mod 32; frame pointer copies for levels > 0.
template <typename T, int> Fault enter(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  const uint32_t m = stack_mask(s), size = i.imm & 0xFFFF, level = i.imm2 & 31;
  uint32_t sp = stack_top(s), bp = s.gpr[EBP] & m;
  sp = (sp - sizeof(T)) & m;
  VMLAB_TRY(write_mem<T>(v, SS, sp, get_reg<T>(s, EBP)));
  const uint32_t frame = sp;
  if (level > 0) {
    for (uint32_t l = 1; l < level; ++l) {
      bp = (bp - sizeof(T)) & m;
      T x;
      VMLAB_TRY(read_mem<T>(v, SS, bp, x));
      sp = (sp - sizeof(T)) & m;
      VMLAB_TRY(write_mem<T>(v, SS, sp, x));
    }
    sp = (sp - sizeof(T)) & m;
    VMLAB_TRY(write_mem<T>(v, SS, sp, T(frame)));
  }
  sp = (sp - size) & m;
  // The new top must itself be a valid stack address (SDM: #SS if it is beyond the limit).
  if (size) VMLAB_TRY(check_segment(s, SS, sp, 1, true));
  set_reg<T>(s, EBP, T(frame));
  set_stack_top(s, sp);
  return kNoFault;
}
// LEAVE (C9): (E)SP = (E)BP, then POP (E)BP.
template <typename T, int> Fault leave(Vcpu& v, const Insn&) {
  const uint32_t bp = v.s.gpr[EBP] & stack_mask(v.s);
  T x;
  VMLAB_TRY(read_mem<T>(v, SS, bp, x));
  set_stack_top(v.s, bp + sizeof(T));
  set_reg<T>(v.s, EBP, x);
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
