// SSE/SSE2 floating point on the host's own SSE unit. The guest's rounding control, FTZ and
// DAZ are loaded into the host MXCSR with every exception masked (so nothing traps in the
// host), the one instruction runs, and the host's exception flags are read back. The host
// hardware then gives bit-exact IEEE results, QNaN propagation, the default QNaN, denormal
// handling, integer-indefinite conversions and RCP/RSQRT approximations exactly as an x86 CPU
// does (docs/simd.md explains why this is legitimate and where it is not enough).
//
//   Vec a = xmm(s, i.reg), b = ...;
//   uint32_t flags = host_arith(kAdd, FpForm::PS, a, b, 0, host_mxcsr(s.fpu.mxcsr));
#pragma once
#include <cstdint>
#include "cpu/semantics/simd.h"
#include "cpu/simd/simd_access.h"

namespace vmlab::cpu::simd {

enum class FpForm : uint8_t { PS, PD, SS, SD };

// The host MXCSR to compute a guest instruction with: guest RC and DAZ, FTZ only when the
// guest masks underflow (an unmasked underflow must see the tiny result), all exceptions
// masked, no flags.
uint32_t host_mxcsr(uint32_t guest_mxcsr);

// a = a OP b for kAdd kSub kMul kDiv kMin kMax kSqrt kRsqrt kRcp kCmp (imm = predicate 0-7),
// as the instruction with that form would leave its destination. Returns the MXCSR flags.
uint32_t host_arith(Op op, FpForm f, Vec& a, const Vec& b, uint8_t imm, uint32_t csr);

// COMISS/UCOMISS/COMISD/UCOMISD: EFLAGS ZF PF CF in `eflags`, returns the MXCSR flags.
uint32_t host_compare(bool ordered, bool dbl, const Vec& a, const Vec& b, uint32_t csr, uint32_t& eflags);

enum class Cvt : uint8_t {
  Dq2Ps, Ps2Dq, TPs2Dq, Ps2Pd, Pd2Ps, Dq2Pd, Pd2Dq, TPd2Dq, Ss2Sd, Sd2Ss,  // xmm <- xmm
  Si2Ss, Si2Sd,                                                          // xmm <- int32
  Ss2Si, TSs2Si, Sd2Si, TSd2Si,                                          // int32 <- xmm
};
// Runs one conversion: `a` is the destination XMM value (merged into for scalar forms), `b` the
// source, `gpr` the integer source or destination. Returns the MXCSR flags.
uint32_t host_convert(Cvt c, Vec& a, const Vec& b, uint32_t& gpr, uint32_t csr);

}  // namespace vmlab::cpu::simd
