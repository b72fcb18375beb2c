// Multiply and divide (SDM Vol. 2: MUL IMUL DIV IDIV). Results wider than the operand go to
// AH:AL / DX:AX / EDX:EAX. CF = OF = "the high half is significant"; SF ZF PF AF are
// undefined and follow the low half here. DIV/IDIV raise #DE on a zero divisor and on a
// quotient that does not fit.
#pragma once
#include "cpu/operands.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

template <typename T> using Wide = std::conditional_t<sizeof(T) == 4, uint64_t, uint32_t>;
template <typename T> using SWide = std::conditional_t<sizeof(T) == 4, int64_t, int32_t>;
template <typename T> using Signed = std::make_signed_t<T>;

// Writes a double-width result: AX for bytes, DX:AX or EDX:EAX otherwise.
template <typename T> inline void set_acc_wide(CpuState& s, uint64_t r) {
  if constexpr (sizeof(T) == 1) {
    set_reg<uint16_t>(s, EAX, uint16_t(r));
  } else {
    set_reg<T>(s, EAX, T(r));
    set_reg<T>(s, EDX, T(r >> kBits<T>));
  }
}
template <typename T> inline uint64_t get_acc_wide(const CpuState& s) {
  if constexpr (sizeof(T) == 1) return get_reg<uint16_t>(s, EAX);
  else return (uint64_t(get_reg<T>(s, EDX)) << kBits<T>) | get_reg<T>(s, EAX);
}

// MUL r/m (F6 F7 /4)
template <typename T, int> Fault mul_E(Vcpu& v, const Insn& i) {
  T b;
  VMLAB_TRY(read_E<T>(v, i, b));
  const uint64_t r = uint64_t(get_reg<T>(v.s, EAX)) * b;
  set_acc_wide<T>(v.s, r);
  const bool hi = (r >> kBits<T>) != 0;
  set_flags_cf_of<T>(v.s.lazy, T(r), hi, hi);
  return kNoFault;
}

// IMUL r/m (F6 F7 /5)
template <typename T, int> Fault imul_E(Vcpu& v, const Insn& i) {
  T b;
  VMLAB_TRY(read_E<T>(v, i, b));
  const int64_t r = int64_t(Signed<T>(get_reg<T>(v.s, EAX))) * int64_t(Signed<T>(b));
  set_acc_wide<T>(v.s, uint64_t(r));
  const bool ovf = r != int64_t(Signed<T>(T(r)));
  set_flags_cf_of<T>(v.s.lazy, T(r), ovf, ovf);
  return kNoFault;
}

template <typename T> inline T imul_trunc(LazyFlags& f, T a, T b) {
  const int64_t r = int64_t(Signed<T>(a)) * int64_t(Signed<T>(b));
  const bool ovf = r != int64_t(Signed<T>(T(r)));
  set_flags_cf_of<T>(f, T(r), ovf, ovf);
  return T(r);
}
// IMUL reg, r/m (0F AF)
template <typename T, int> Fault imul_GE(Vcpu& v, const Insn& i) {
  T b;
  VMLAB_TRY(read_E<T>(v, i, b));
  set_reg<T>(v.s, i.reg, imul_trunc<T>(v.s.lazy, get_reg<T>(v.s, i.reg), b));
  return kNoFault;
}
// IMUL reg, r/m, imm (69 6B)
template <typename T, int> Fault imul_GEI(Vcpu& v, const Insn& i) {
  T b;
  VMLAB_TRY(read_E<T>(v, i, b));
  set_reg<T>(v.s, i.reg, imul_trunc<T>(v.s.lazy, b, T(i.imm)));
  return kNoFault;
}

// DIV r/m (F6 F7 /6)
template <typename T, int> Fault div_E(Vcpu& v, const Insn& i) {
  T d;
  VMLAB_TRY(read_E<T>(v, i, d));
  if (d == 0) return make_fault(kDE);
  const uint64_t n = get_acc_wide<T>(v.s), q = n / d, r = n % d;
  if (q >> kBits<T>) return make_fault(kDE);
  if constexpr (sizeof(T) == 1) set_reg<uint16_t>(v.s, EAX, uint16_t((r << 8) | q));
  else { set_reg<T>(v.s, EAX, T(q)); set_reg<T>(v.s, EDX, T(r)); }
  return kNoFault;
}

// IDIV r/m (F6 F7 /7): quotient truncates toward zero, remainder has the dividend's sign.
template <typename T, int> Fault idiv_E(Vcpu& v, const Insn& i) {
  T d;
  VMLAB_TRY(read_E<T>(v, i, d));
  if (d == 0) return make_fault(kDE);
  constexpr unsigned W = kBits<T>;
  const uint64_t raw = get_acc_wide<T>(v.s);
  // Sign-extend the 2W-bit dividend to 64 bits (for W = 32 it already is 64 bits).
  const int64_t n = W == 32 ? int64_t(raw) : int64_t(raw << (64 - 2 * W)) >> (64 - 2 * W);
  const int64_t dv = int64_t(Signed<T>(d));
  if (n == INT64_MIN && dv == -1) return make_fault(kDE);  // the C++ division would overflow
  const int64_t q = n / dv, r = n % dv;
  const int64_t qmin = -(int64_t(1) << (W - 1)), qmax = (int64_t(1) << (W - 1)) - 1;
  if (q < qmin || q > qmax) return make_fault(kDE);
  if constexpr (sizeof(T) == 1) set_reg<uint16_t>(v.s, EAX, uint16_t((uint8_t(r) << 8) | uint8_t(q)));
  else { set_reg<T>(v.s, EAX, T(q)); set_reg<T>(v.s, EDX, T(r)); }
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
