// Bit test and scan (SDM Vol. 2: BT BTS BTR BTC BSF BSR BSWAP). Memory forms with a register
// bit offset address the operand-sized word that holds the bit: the offset is signed and can
// reach anywhere in the segment (SDM Vol. 2, "Bit(BitBase, BitOffset)").
#pragma once
#include <bit>
#include "cpu/operands.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

enum BitOp : int { kBt, kBts, kBtr, kBtc };

template <typename T, int Op> inline Fault bit_op(Vcpu& v, const Insn& i, int32_t offset_words,
                                                   unsigned bit) {
  T x;
  uint32_t addr = 0;
  if (i.is_mem) {
    addr = effective_address(v.s, i) + uint32_t(offset_words) * sizeof(T);
    if (!i.addr32) addr &= 0xFFFF;
    VMLAB_TRY(read_mem<T>(v, i.seg, addr, x));
  } else {
    x = get_reg<T>(v.s, i.rm);
  }
  const bool old = (x >> bit) & 1;
  if constexpr (Op != kBt) {
    const T m = T(T(1) << bit);
    T r = Op == kBts ? T(x | m) : Op == kBtr ? T(x & ~m) : T(x ^ m);
    if (i.is_mem) VMLAB_TRY(write_mem<T>(v, i.seg, addr, r));
    else set_reg<T>(v.s, i.rm, r);
  }
  update_flags(v.s.lazy, CF, old ? CF : 0);
  return kNoFault;
}

// BT r/m, reg (0F A3 AB B3 BB)
template <typename T, int Op> Fault bt_EG(Vcpu& v, const Insn& i) {
  const T off = get_reg<T>(v.s, i.reg);
  const unsigned bit = off & (kBits<T> - 1);
  int32_t words = 0;
  if (i.is_mem) words = int32_t(sign_extend32(off)) >> (sizeof(T) == 2 ? 4 : 5);
  return bit_op<T, Op>(v, i, words, bit);
}
// BT r/m, imm8 (0F BA /4-/7): the immediate never moves the address.
template <typename T, int Op> Fault bt_EI(Vcpu& v, const Insn& i) {
  return bit_op<T, Op>(v, i, 0, i.imm & (kBits<T> - 1));
}

// BSF/BSR reg, r/m (0F BC BD). A = 0 BSF, 1 BSR. Zero source: ZF = 1, destination unchanged.
template <typename T, int A> Fault bsf_bsr(Vcpu& v, const Insn& i) {
  T x;
  VMLAB_TRY(read_E<T>(v, i, x));
  if (x == 0) {
    update_flags(v.s.lazy, ZF, ZF);
    return kNoFault;
  }
  const T idx = A ? T(kBits<T> - 1 - std::countl_zero(x)) : T(std::countr_zero(x));
  set_reg<T>(v.s, i.reg, idx);
  update_flags(v.s.lazy, ZF, 0);
  return kNoFault;
}

// BSWAP r32 (0F C8+r). With a 16-bit operand the result is undefined; P6 clears the word.
template <typename, int> Fault bswap(Vcpu& v, const Insn& i) {
  const unsigned r = i.opcode & 7;
  if (i.op32) v.s.gpr[r] = __builtin_bswap32(v.s.gpr[r]);
  else set_reg<uint16_t>(v.s, r, 0);
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
