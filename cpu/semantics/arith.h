// Integer arithmetic and logic (SDM Vol. 2: ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT).
// One width-templated operation per mnemonic; handlers pick the operand form.
#pragma once
#include "cpu/operands.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

enum AluOp : int { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest };

// The ALU: r = a op b with exact flags.
template <typename T, int Op> inline T alu(LazyFlags& f, T a, T b) {
  T r;
  if constexpr (Op == kAdd) { r = T(a + b); set_flags_add<T>(f, a, b, r); }
  else if constexpr (Op == kAdc) { r = T(a + b + T(get_cf(f))); set_flags_add<T>(f, a, b, r); }
  else if constexpr (Op == kSub || Op == kCmp) { r = T(a - b); set_flags_sub<T>(f, a, b, r); }
  else if constexpr (Op == kSbb) { r = T(a - b - T(get_cf(f))); set_flags_sub<T>(f, a, b, r); }
  else if constexpr (Op == kAnd || Op == kTest) { r = T(a & b); set_flags_logic<T>(f, r); }
  else if constexpr (Op == kOr) { r = T(a | b); set_flags_logic<T>(f, r); }
  else { r = T(a ^ b); set_flags_logic<T>(f, r); }
  return r;
}
template <int Op> inline constexpr bool kWritesBack = Op != kCmp && Op != kTest;

// ADD r/m, reg (00 01 08 09 ... 38 39, 84 85)
template <typename T, int Op> Fault alu_EG(Vcpu& v, const Insn& i) {
  T a;
  VMLAB_TRY(read_E<T>(v, i, a));
  LazyFlags f = v.s.lazy;
  T r = alu<T, Op>(f, a, get_reg<T>(v.s, i.reg));
  if constexpr (kWritesBack<Op>) VMLAB_TRY(write_E<T>(v, i, r));
  v.s.lazy = f;
  return kNoFault;
}
// ADD reg, r/m (02 03 ... 3A 3B)
template <typename T, int Op> Fault alu_GE(Vcpu& v, const Insn& i) {
  T b;
  VMLAB_TRY(read_E<T>(v, i, b));
  T r = alu<T, Op>(v.s.lazy, get_reg<T>(v.s, i.reg), b);
  if constexpr (kWritesBack<Op>) set_reg<T>(v.s, i.reg, r);
  return kNoFault;
}
// ADD AL/eAX, imm (04 05 ... 3C 3D, A8 A9)
template <typename T, int Op> Fault alu_AI(Vcpu& v, const Insn& i) {
  T r = alu<T, Op>(v.s.lazy, get_reg<T>(v.s, EAX), T(i.imm));
  if constexpr (kWritesBack<Op>) set_reg<T>(v.s, EAX, r);
  return kNoFault;
}
// ADD r/m, imm (80 81 83 /op, F6 F7 /0 /1)
template <typename T, int Op> Fault alu_EI(Vcpu& v, const Insn& i) {
  T a;
  VMLAB_TRY(read_E<T>(v, i, a));
  LazyFlags f = v.s.lazy;
  T r = alu<T, Op>(f, a, T(i.imm));
  if constexpr (kWritesBack<Op>) VMLAB_TRY(write_E<T>(v, i, r));
  v.s.lazy = f;
  return kNoFault;
}

// INC/DEC r/m (FE FF /0 /1): CF unchanged.  A = 0 INC, 1 DEC.
template <typename T, int A> Fault incdec_E(Vcpu& v, const Insn& i) {
  T a;
  VMLAB_TRY(read_E<T>(v, i, a));
  T r = A ? T(a - 1) : T(a + 1);
  VMLAB_TRY(write_E<T>(v, i, r));
  if (A) set_flags_dec<T>(v.s.lazy, a, r); else set_flags_inc<T>(v.s.lazy, a, r);
  return kNoFault;
}
// INC/DEC r16/r32 (40+r, 48+r)
template <typename T, int A> Fault incdec_r(Vcpu& v, const Insn& i) {
  const unsigned r = i.opcode & 7;
  T a = get_reg<T>(v.s, r), res = A ? T(a - 1) : T(a + 1);
  set_reg<T>(v.s, r, res);
  if (A) set_flags_dec<T>(v.s.lazy, a, res); else set_flags_inc<T>(v.s.lazy, a, res);
  return kNoFault;
}
// NOT r/m (F6 F7 /2): no flags.
template <typename T, int> Fault not_E(Vcpu& v, const Insn& i) {
  T a;
  VMLAB_TRY(read_E<T>(v, i, a));
  return write_E<T>(v, i, T(~a));
}
// NEG r/m (F6 F7 /3): flags of 0 - a; CF = (a != 0).
template <typename T, int> Fault neg_E(Vcpu& v, const Insn& i) {
  T a;
  VMLAB_TRY(read_E<T>(v, i, a));
  T r = T(T(0) - a);
  VMLAB_TRY(write_E<T>(v, i, r));
  set_flags_sub<T>(v.s.lazy, T(0), a, r);
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
