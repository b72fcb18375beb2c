// Shifts and rotates (SDM Vol. 2: RCL RCR ROL ROR SAL SAR SHL SHR SHLD SHRD).
// The count is masked to 5 bits (286 and later). A masked count of 0 changes nothing, flags
// included. OF is architecturally defined for count 1; for larger counts this computes it
// with the count-1 formula on the final result, as P6 does.
#pragma once
#include "cpu/operands.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

enum ShiftOp : int { kRol, kRor, kRcl, kRcr, kShl, kShr, kSal, kSar };
enum ShiftCount : int { kCount1 = 0, kCountCL = 1, kCountImm = 2 };

template <typename T> inline bool msb(T x) { return x >> (kBits<T> - 1); }

// r = x shifted; updates flags. `cnt` already masked to 5 bits and non-zero.
template <typename T> inline T shift_op(LazyFlags& f, int op, T x, unsigned cnt) {
  constexpr unsigned W = kBits<T>;
  switch (op) {
    case kRol: {
      const unsigned c = cnt % W;
      T r = c ? T((x << c) | (x >> (W - c))) : x;
      const bool cf = r & 1;
      update_flags(f, CF | OF, (cf ? CF : 0) | ((msb(r) ^ cf) ? OF : 0));
      return r;
    }
    case kRor: {
      const unsigned c = cnt % W;
      T r = c ? T((x >> c) | (x << (W - c))) : x;
      const bool cf = msb(r);
      update_flags(f, CF | OF, (cf ? CF : 0) | ((cf ^ bool((r >> (W - 2)) & 1)) ? OF : 0));
      return r;
    }
    case kRcl:
    case kRcr: {
      const unsigned c = cnt % (W + 1);
      if (c == 0) {  // a whole turn: value and CF unchanged, OF from them (as the 286 and P6)
        const bool cf = get_cf(f);
        const bool of = op == kRcl ? (msb(x) ^ cf) : (msb(x) ^ bool((x >> (W - 2)) & 1));
        update_flags(f, OF, of ? OF : 0);
        return x;
      }
      const uint64_t mask = (uint64_t(1) << (W + 1)) - 1;
      const uint64_t val = (uint64_t(get_cf(f)) << W) | x;
      const uint64_t rot = op == kRcl ? ((val << c) | (val >> (W + 1 - c))) & mask
                                      : ((val >> c) | (val << (W + 1 - c))) & mask;
      T r = T(rot);
      const bool cf = (rot >> W) & 1;
      const bool of = op == kRcl ? (msb(r) ^ cf) : (msb(r) ^ bool((r >> (W - 2)) & 1));
      update_flags(f, CF | OF, (cf ? CF : 0) | (of ? OF : 0));
      return r;
    }
    case kShl:
    case kSal: {
      const uint64_t wide = uint64_t(x) << cnt;
      T r = T(wide);
      const bool cf = (wide >> W) & 1;
      set_flags_cf_of<T>(f, r, cf, msb(r) ^ cf);
      return r;
    }
    case kShr: {
      T r = cnt < W ? T(x >> cnt) : T(0);
      const bool cf = cnt <= W ? ((uint64_t(x) >> (cnt - 1)) & 1) : false;
      // OF is that of the last 1-bit step: the original MSB for count 1, else 0.
      set_flags_cf_of<T>(f, r, cf, cnt == 1 && msb(x));
      return r;
    }
    default: {  // kSar
      const int64_t sx = int64_t(int32_t(sign_extend32(x)));
      T r = T(sx >> cnt);
      set_flags_cf_of<T>(f, r, (sx >> (cnt - 1)) & 1, false);
      return r;
    }
  }
}

// ROL..SAR r/m, 1 / CL / imm8 (D0-D3, C0 C1 /op). A = op | count-source << 4.
template <typename T, int A> Fault shift_E(Vcpu& v, const Insn& i) {
  constexpr int op = A & 7, src = A >> 4;
  unsigned cnt = src == kCount1 ? 1 : src == kCountCL ? (v.s.gpr[ECX] & 0xFF) : (i.imm & 0xFF);
  cnt &= 31;
  T x;
  VMLAB_TRY(read_E<T>(v, i, x));
  if (cnt == 0) return kNoFault;
  LazyFlags f = v.s.lazy;
  T r = shift_op<T>(f, op, x, cnt);
  VMLAB_TRY(write_E<T>(v, i, r));
  v.s.lazy = f;
  return kNoFault;
}

// SHLD/SHRD r/m, reg, imm8/CL (0F A4 A5 AC AD). A = 0 SHLD, 1 SHRD; | count-source << 4.
// A 16-bit operand with a count above 16 shifts through dest:src:dest, as P6 does.
template <typename T, int A> Fault shxd_E(Vcpu& v, const Insn& i) {
  constexpr unsigned W = kBits<T>;
  constexpr bool right = A & 1;
  unsigned cnt = ((A >> 4) == kCountCL ? v.s.gpr[ECX] : i.imm) & 31;
  T d;
  VMLAB_TRY(read_E<T>(v, i, d));
  if (cnt == 0) return kNoFault;
  const T s = get_reg<T>(v.s, i.reg);
  T r;
  bool cf;
  if constexpr (W == 32) {
    if (!right) {
      const uint64_t wide = (uint64_t(d) << 32) | s;
      r = T((wide << cnt) >> 32);
      cf = (d >> (32 - cnt)) & 1;
    } else {
      const uint64_t wide = (uint64_t(s) << 32) | d;
      r = T(wide >> cnt);
      cf = (d >> (cnt - 1)) & 1;
    }
  } else {
    const uint64_t wide = right ? ((uint64_t(d) << 32) | (uint64_t(s) << 16) | d)
                                : ((uint64_t(d) << 32) | (uint64_t(s) << 16) | s);
    if (!right) {
      r = T(wide >> (32 - cnt));
      cf = (wide >> (48 - cnt)) & 1;
    } else {
      r = T(wide >> cnt);
      cf = (wide >> (cnt - 1)) & 1;
    }
  }
  VMLAB_TRY(write_E<T>(v, i, r));
  set_flags_cf_of<T>(v.s.lazy, r, cf, msb(r) ^ msb(d));
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
