// The integer vector operations of MMX, the SSE integer extensions and SSE2, written once for
// both register widths: `n` is 8 (an MMX register) or 16 (an XMM register). Pure functions of
// their inputs, so the unit tests call them directly.
//
//   Vec r = int_op(kPaddsw, a, b, /*n=*/8, /*imm=*/0);
#pragma once
#include "cpu/semantics/simd.h"
#include "cpu/simd/simd_access.h"

namespace vmlab::cpu::simd {

// dst OP src for the integer ops (Op < kNumIntOps). For the immediate shifts the count is
// `imm`; for the register shifts it is the low 64 bits of `b`.
Vec int_op(Op op, const Vec& a, const Vec& b, unsigned n, uint8_t imm);

}  // namespace vmlab::cpu::simd
