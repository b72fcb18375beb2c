// How a SIMD floating-point instruction's exception flags decide its outcome (SDM Vol. 1,
// 11.5.1-11.5.2): pre-computation exceptions (IE, DE, ZE) that are unmasked stop the
// instruction before the post-computation ones (OE, UE, PE) are looked at; any unmasked
// exception leaves the destination unchanged and raises #XM (or #UD without CR4.OSXMMEXCPT);
// otherwise all flags are ORed into MXCSR and the result is written.
//
//   uint32_t flags = host_arith(...);
//   VMLAB_TRY(commit_fp_flags(v.s, flags));   // on success write the destination
#pragma once
#include "cpu/simd/simd_access.h"

namespace vmlab::cpu::simd {

inline Fault commit_fp_flags(CpuState& s, uint32_t flags) {
  const uint32_t unmasked = flags & ~(s.fpu.mxcsr >> 7) & kMxcsrFlags;
  constexpr uint32_t pre = kMxcsrIE | kMxcsrDE | kMxcsrZE;
  if (unmasked & pre) {
    s.fpu.mxcsr |= flags & pre;
    return simd_fp_fault(s);
  }
  s.fpu.mxcsr |= flags;
  return unmasked ? simd_fp_fault(s) : kNoFault;
}

// An unmasked underflow is signalled for any tiny result, exact or not, where the masked
// response (what the host computes) flags only tiny *and* inexact ones. An exact tiny result
// is a denormal the host returned without UE: count it as underflow when UM is clear.
inline bool is_denormal(uint64_t bits, bool dbl) {
  if (dbl) return ((bits >> 52) & 0x7FF) == 0 && (bits & 0xFFFFFFFFFFFFFull) != 0;
  return ((bits >> 23) & 0xFF) == 0 && (bits & 0x7FFFFF) != 0;
}
inline uint32_t exact_underflow(const CpuState& s, const Vec& r, unsigned lanes, bool dbl) {
  if (s.fpu.mxcsr & (kMxcsrUE << 7)) return 0;  // masked: the host's answer is right
  for (unsigned k = 0; k < lanes; ++k)
    if (is_denormal(dbl ? r.get<uint64_t>(k) : r.get<uint32_t>(k), dbl)) return kMxcsrUE;
  return 0;
}

}  // namespace vmlab::cpu::simd
