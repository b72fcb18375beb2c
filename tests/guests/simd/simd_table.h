/* The case table built from simd_cases.def, and the order runs happen in -- shared by the
 * guest (main.c) and the host generator (gen_expected.cpp), so both enumerate identical runs:
 *   for each case, for each input set, for each MXCSR (fp cases: simd_fp_mxcsr; others 0x1F80). */
#pragma once
#include <stdint.h>
#include <string.h>
#include "simd_kernel.h"

typedef void (*simd_fn)(uint8_t *blk);

#define CASE(name, fp, insn) \
  static void simd_k_##name(uint8_t *blk) { SIMD_KERNEL(blk, insn); }
#define MMX(name, insn) \
  static void simd_k_##name(uint8_t *blk) { SIMD_KERNEL_MMX(blk, insn); }
#include "simd_cases.def"
#undef CASE
#undef MMX

struct simd_case {
  const char *name;
  int fp;
  simd_fn fn;
};
static const struct simd_case simd_cases[] = {
#define CASE(name, fp, insn) {#name, fp, simd_k_##name},
#define MMX(name, insn) {#name, 0, simd_k_##name},
#include "simd_cases.def"
#undef CASE
#undef MMX
};
#define SIMD_N_CASES ((int)(sizeof simd_cases / sizeof simd_cases[0]))

static inline int simd_n_mxcsr(const struct simd_case *c) { return c->fp ? SIMD_N_FP_MXCSR : 1; }
static inline uint32_t simd_mxcsr(const struct simd_case *c, int m) {
  return c->fp ? simd_fp_mxcsr[m] : 0x1F80;
}

/* Fills the block for one run: inputs, MXCSR, everything else zero. */
static inline void simd_prepare(uint8_t *blk, int input, uint32_t mxcsr) {
  memset(blk, 0, SIMD_BLOCK);
  memcpy(blk, simd_inputs[input], 56);
  memcpy(blk + 56, &mxcsr, 4);
}
