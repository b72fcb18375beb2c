// Shared plumbing for the MMX/SSE/SSE2 handlers in cpu/simd: the 128-bit value type, the
// CR0/CR4 checks that decide #UD/#NM/#MF before an instruction runs, MMX/XMM register access
// (MMi aliases the mantissa of physical x87 register Ri) and 64/128-bit memory operands with
// the 16-byte alignment rule.
//
//   VMLAB_TRY(check_mmx(v.s));
//   uint64_t src;
//   VMLAB_TRY(read_Q(v, i, src));             // MMX register or m64
//   set_mm(v.s, i.reg, mm(v.s, i.reg) + src);
//   mmx_transition(v.s);                      // TOP = 0, all tags valid
#pragma once
#include <cstdint>
#include <cstring>
#include "cpu/decode/insn.h"
#include "cpu/fpu/x87.h"
#include "cpu/operands.h"
#include "cpu/vcpu.h"

namespace vmlab::cpu::simd {

// 16 bytes, little-endian, element k of type T at byte k*sizeof(T). An MMX value uses b[0..7].
struct Vec {
  uint8_t b[16] = {};
  template <typename T> T get(unsigned k) const {
    T x;
    std::memcpy(&x, b + k * sizeof(T), sizeof(T));
    return x;
  }
  template <typename T> void set(unsigned k, T x) { std::memcpy(b + k * sizeof(T), &x, sizeof(T)); }
};

// MXCSR bits (SDM Vol. 1, 10.2.3).
inline constexpr uint32_t kMxcsrIE = 1u << 0, kMxcsrDE = 1u << 1, kMxcsrZE = 1u << 2,
                          kMxcsrOE = 1u << 3, kMxcsrUE = 1u << 4, kMxcsrPE = 1u << 5,
                          kMxcsrDAZ = 1u << 6, kMxcsrFlags = 0x3F, kMxcsrMasks = 0x3F << 7,
                          kMxcsrRC = 3u << 13, kMxcsrFTZ = 1u << 15;
// The MXCSR bits LDMXCSR accepts are fpu::kMxcsrMask (cpu/fpu/x87.h), the one MXCSR_MASK that
// FXSAVE reports and FXRSTOR checks. DAZ (bit 6) is implemented here (host_fp.cpp) whichever
// way that mask says.

// MMX-class instructions (SDM Vol. 3, 13.1; each MMX instruction's exception table): EM -> #UD,
// TS -> #NM, a pending unmasked x87 exception -> #MF (CR0.NE=1) or FERR# (CR0.NE=0), by the
// same rule as a waiting x87 instruction (fpu::check_pending).
inline Fault check_mmx(Vcpu& v) {
  if (v.s.cr0 & CR0_EM) return fault_ud();
  if (v.s.cr0 & CR0_TS) return make_fault(kNM);
  return fpu::check_pending(v);
}
// SSE/SSE2-class instructions (SDM Vol. 3, 13.1.4): EM or no CR4.OSFXSR -> #UD, TS -> #NM.
inline Fault check_sse(const CpuState& s) {
  if ((s.cr0 & CR0_EM) || !(s.cr4 & CR4_OSFXSR)) return fault_ud();
  if (s.cr0 & CR0_TS) return make_fault(kNM);
  return kNoFault;
}
// An SSE instruction that also reads or writes an MMX register (CVTPI2PS, MOVQ2DQ, ...).
inline Fault check_sse_mmx(Vcpu& v) {
  VMLAB_TRY(check_sse(v.s));
  return fpu::check_pending(v);
}
// An unmasked SIMD floating-point exception: #XM when the OS said it handles it, else #UD.
inline Fault simd_fp_fault(const CpuState& s) {
  return (s.cr4 & CR4_OSXMMEXCPT) ? make_fault(kXM) : fault_ud();
}

// Every MMX instruction but EMMS: TOP = 0 and every tag valid (SDM Vol. 1, 9.5.1).
inline void mmx_transition(CpuState& s) {
  s.fpu.fsw = uint16_t(s.fpu.fsw & ~(7u << 11));
  s.fpu.ftw = 0;
}

inline uint64_t mm(const CpuState& s, unsigned r) { return s.fpu.st[r & 7].mantissa; }
// An MMX write also sets the exponent and sign bits of the aliased x87 register to ones.
inline void set_mm(CpuState& s, unsigned r, uint64_t x) {
  s.fpu.st[r & 7].mantissa = x;
  s.fpu.st[r & 7].sign_exp = 0xFFFF;
}
inline Vec mm_vec(const CpuState& s, unsigned r) {
  Vec v;
  v.set<uint64_t>(0, mm(s, r));
  return v;
}
inline Vec xmm(const CpuState& s, unsigned r) {
  Vec v;
  v.set<uint64_t>(0, s.fpu.xmm[r & 7].lo);
  v.set<uint64_t>(1, s.fpu.xmm[r & 7].hi);
  return v;
}
inline void set_xmm(CpuState& s, unsigned r, const Vec& v) {
  s.fpu.xmm[r & 7].lo = v.get<uint64_t>(0);
  s.fpu.xmm[r & 7].hi = v.get<uint64_t>(1);
}

// ---- memory operands ------------------------------------------------------------------------

enum class Align : uint8_t { None, A16 };

// The second half of a 16-byte operand: the offset wraps at the address size.
inline uint32_t ea_plus(const Insn& i, uint32_t a, uint32_t d) { return (a + d) & addr_mask(i); }

// Legacy-SSE 128-bit operands must be 16-byte aligned (linear address) except the forms the
// SDM names unaligned (MOVUPS, MOVUPD, MOVDQU, MASKMOVDQU): #GP(0).
inline Fault check_align16(const Vcpu& v, const Insn& i, uint32_t a, Align al) {
  if (al == Align::A16 && ((v.s.seg[i.seg].base + a) & 15)) return fault_gp(0);
  return kNoFault;
}

template <typename T> inline Fault read_m(Vcpu& v, const Insn& i, T& out) {
  return read_mem<T>(v, i.seg, effective_address(v.s, i), out);
}
template <typename T> inline Fault write_m(Vcpu& v, const Insn& i, T x) {
  return write_mem<T>(v, i.seg, effective_address(v.s, i), x);
}
inline Fault read_m128(Vcpu& v, const Insn& i, Vec& out, Align al) {
  const uint32_t a = effective_address(v.s, i);
  VMLAB_TRY(check_align16(v, i, a, al));
  uint64_t lo, hi;
  VMLAB_TRY(read_mem<uint64_t>(v, i.seg, a, lo));
  VMLAB_TRY(read_mem<uint64_t>(v, i.seg, ea_plus(i, a, 8), hi));
  out.set<uint64_t>(0, lo);
  out.set<uint64_t>(1, hi);
  return kNoFault;
}
// Both halves are checked before either is written, so a fault leaves memory unchanged.
inline Fault write_m128(Vcpu& v, const Insn& i, const Vec& x, Align al) {
  const uint32_t a = effective_address(v.s, i);
  VMLAB_TRY(check_align16(v, i, a, al));
  VMLAB_TRY(probe_write_mem(v, i.seg, a, 8));
  VMLAB_TRY(probe_write_mem(v, i.seg, ea_plus(i, a, 8), 8));
  VMLAB_TRY(write_mem<uint64_t>(v, i.seg, a, x.get<uint64_t>(0)));
  return write_mem<uint64_t>(v, i.seg, ea_plus(i, a, 8), x.get<uint64_t>(1));
}

// The Q operand (ModRM r/m): an MMX register or m64.
inline Fault read_Q(Vcpu& v, const Insn& i, uint64_t& out) {
  if (!i.is_mem) {
    out = mm(v.s, i.rm);
    return kNoFault;
  }
  return read_m<uint64_t>(v, i, out);
}
// The W operand: an XMM register or m128 (alignment as the form says).
inline Fault read_W(Vcpu& v, const Insn& i, Vec& out, Align al) {
  if (!i.is_mem) {
    out = xmm(v.s, i.rm);
    return kNoFault;
  }
  return read_m128(v, i, out, al);
}
// A W operand read as a scalar of `bytes` (4 or 8) or the low 64 bits: a register gives its
// low bytes, memory reads only that many bytes (no alignment rule).
inline Fault read_W_low(Vcpu& v, const Insn& i, Vec& out, unsigned bytes) {
  if (!i.is_mem) {
    out = xmm(v.s, i.rm);
    return kNoFault;
  }
  out = Vec{};
  if (bytes == 4) {
    uint32_t x;
    VMLAB_TRY(read_m<uint32_t>(v, i, x));
    out.set<uint32_t>(0, x);
  } else {
    uint64_t x;
    VMLAB_TRY(read_m<uint64_t>(v, i, x));
    out.set<uint64_t>(0, x);
  }
  return kNoFault;
}

}  // namespace vmlab::cpu::simd

namespace vmlab::cpu::simd {

// The mandatory-prefix form: F3 and F2 take precedence over 66 (SDM Vol. 2, 2.1.2).
enum class Form : uint8_t { None, P66, F3, F2 };
inline Form form_of(const Insn& i) {
  if (i.rep == Rep::Rep) return Form::F3;
  if (i.rep == Rep::Repne) return Form::F2;
  return i.opsize_prefix ? Form::P66 : Form::None;
}

}  // namespace vmlab::cpu::simd
