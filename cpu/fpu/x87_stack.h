// The x87 register stack as software sees it: ST(i) addressing through TOP, tags, push/pop,
// the stack-fault responses, and how exception flags from an operation are merged into FSW
// (with the "deliver the result or not" decision for unmasked exceptions).
//
//   if (fpu::empty(f, 0)) return fpu::stack_underflow(f, 0);   // masked: ST0 = indefinite
//   fpu::Ext80 a = fpu::st(f, 0);
//   if (fpu::merge_exceptions(f, r.sw)) fpu::set_st(f, 0, r.value);
#pragma once
#include <cstdint>
#include "cpu/fpu/host_x87.h"
#include "cpu/fpu_state.h"

namespace vmlab::cpu::fpu {

// FSW bits (SDM Vol. 1, 8.1.3).
inline constexpr uint16_t kFswIE = 1u << 0, kFswDE = 1u << 1, kFswZE = 1u << 2,
                          kFswOE = 1u << 3, kFswUE = 1u << 4, kFswPE = 1u << 5,
                          kFswSF = 1u << 6, kFswES = 1u << 7, kFswC0 = 1u << 8,
                          kFswC1 = 1u << 9, kFswC2 = 1u << 10, kFswC3 = 1u << 14,
                          kFswB = 1u << 15, kFswTop = 7u << 11;
inline constexpr uint16_t kFswExceptions = 0x3F;  // IE..PE, also the FCW mask bits
inline constexpr uint16_t kFswCC = kFswC0 | kFswC1 | kFswC2 | kFswC3;
// FCW: bit 6 is reserved and reads as 1, bits 7 and 13-15 read as 0.
inline constexpr uint16_t kFcwWritable = 0x1F3F, kFcwFixed = 0x0040;

inline constexpr uint16_t kTagValid = 0, kTagZero = 1, kTagSpecial = 2, kTagEmpty = 3;

// The QNaN "real indefinite" (negative, quiet, fraction 1000...).
inline constexpr Ext80 kIndefinite{0xC000000000000000ull, 0xFFFF};

inline Ext80 to_ext(const FpuReg& r) { return Ext80{r.mantissa, r.sign_exp}; }

inline unsigned top(const FpuState& f) { return (f.fsw >> 11) & 7; }
inline void set_top(FpuState& f, unsigned t) {
  f.fsw = uint16_t((f.fsw & ~kFswTop) | ((t & 7) << 11));
}
inline unsigned phys(const FpuState& f, unsigned i) { return (top(f) + i) & 7; }
inline unsigned tag(const FpuState& f, unsigned physical) { return (f.ftw >> (2 * physical)) & 3; }
inline void set_tag(FpuState& f, unsigned physical, unsigned t) {
  f.ftw = uint16_t((f.ftw & ~(3u << (2 * physical))) | ((t & 3) << (2 * physical)));
}
inline bool empty(const FpuState& f, unsigned i) { return tag(f, phys(f, i)) == kTagEmpty; }

// The tag a value gets when written (FSTENV's full tag: zero, special = NaN/inf/denormal/
// unsupported, valid).
inline unsigned tag_for(const Ext80& x) {
  const unsigned e = x.sign_exp & 0x7FFF;
  if (e == 0x7FFF) return kTagSpecial;
  if (e == 0) return x.mantissa == 0 ? kTagZero : kTagSpecial;
  return (x.mantissa >> 63) ? kTagValid : kTagSpecial;  // unnormal
}
// Recomputes every non-empty tag from the register contents (what FSTENV/FSAVE report).
inline void refresh_tags(FpuState& f) {
  for (unsigned p = 0; p < 8; ++p)
    if (tag(f, p) != kTagEmpty) set_tag(f, p, tag_for(to_ext(f.st[p])));
}

inline Ext80 st(const FpuState& f, unsigned i) { return to_ext(f.st[phys(f, i)]); }
inline void set_phys(FpuState& f, unsigned p, const Ext80& x) {
  f.st[p].mantissa = x.mantissa;
  f.st[p].sign_exp = x.sign_exp;
  set_tag(f, p, tag_for(x));
}
inline void set_st(FpuState& f, unsigned i, const Ext80& x) { set_phys(f, phys(f, i), x); }
inline void push(FpuState& f, const Ext80& x) {
  set_top(f, top(f) - 1);
  set_st(f, 0, x);
}
inline void pop(FpuState& f) {
  set_tag(f, top(f), kTagEmpty);
  set_top(f, top(f) + 1);
}
inline void set_c1(FpuState& f, bool c1) { f.fsw = uint16_t(c1 ? (f.fsw | kFswC1) : (f.fsw & ~kFswC1)); }
// Sets C0..C3 to the given bits (C1 included), from a host FSW or built by hand.
inline void set_cc(FpuState& f, uint16_t cc_bits, uint16_t which = kFswCC) {
  f.fsw = uint16_t((f.fsw & ~which) | (cc_bits & which));
}

// ES and B summarise "an unmasked exception flag is set" (B mirrors ES on a 387 and later).
inline void update_summary(FpuState& f) {
  if (f.fsw & ~f.fcw & kFswExceptions) f.fsw |= kFswES | kFswB;
  else f.fsw &= uint16_t(~(kFswES | kFswB));
}

// Merges an operation's exception bits (IE..PE, SF) into FSW and returns whether the result may
// be written: an unmasked IE, DE or ZE (and for a memory destination an unmasked OE or UE)
// leaves the destination and TOP unchanged (SDM Vol. 1, 8.5).
// An unmasked IE, DE or ZE stops the instruction before it computes anything, so the
// post-computation flags (OE, UE, PE) the host's masked evaluation also produced are dropped.
inline bool merge_exceptions(FpuState& f, uint16_t exc, bool memory_dest = false) {
  exc &= kFswExceptions | kFswSF;
  constexpr uint16_t kPre = kFswIE | kFswDE | kFswZE;
  if (exc & ~f.fcw & kPre) exc &= kPre | kFswSF;
  f.fsw |= exc;
  const uint16_t unmasked = exc & ~f.fcw & kFswExceptions;
  if (unmasked) f.fsw |= kFswES | kFswB;
  const uint16_t blocking = kPre | (memory_dest ? (kFswOE | kFswUE) : 0);
  return !(unmasked & blocking);
}

// Stack underflow (an empty source): IE+SF, C1=0. Masked: ST(dest) = indefinite.
// Returns whether the instruction may go on (pop etc.), i.e. IE is masked.
inline bool stack_underflow(FpuState& f, int dest_i) {
  set_c1(f, false);
  const bool ok = merge_exceptions(f, kFswIE | kFswSF);
  if (ok && dest_i >= 0) set_st(f, unsigned(dest_i), kIndefinite);
  return ok;
}
// Stack overflow (pushing onto a full ST(7)): IE+SF, C1=1. Masked: push the indefinite.
inline void stack_overflow(FpuState& f) {
  const bool ok = merge_exceptions(f, kFswIE | kFswSF);
  set_c1(f, true);
  if (ok) push(f, kIndefinite);
}
// Is there room to push (is ST(7) empty)?
inline bool can_push(const FpuState& f) { return empty(f, 7); }

}  // namespace vmlab::cpu::fpu
