/* The MMX/SSE/SSE2 conformance kernel, shared by the guest (32-bit, freestanding C) and the
 * host-side generator (64-bit C++): one inline-asm template runs one instruction on a block of
 * inputs and stores every register it can change, so the guest and the host CPU execute
 * exactly the same instruction on the same bits.
 *
 * Block layout (16-byte aligned, offsets in bytes):
 *   0 xmm0 in   16 xmm1 in (also the aligned m128 operand)   32 mm0 in   40 mm1 in (m64)
 *   48 eax in   52 edx in   56 mxcsr in   60 saved mxcsr
 *   64 xmm0 out 80 mm0 out  88 eax out  92 edx out  96 mxcsr out  100-104 ZF PF CF OF SF
 *   112 store area (m128 destination of the store forms), 128 bytes in all.
 * The output (bytes 64-127) is what is compared. */
#pragma once
#include <stdint.h>

#define SIMD_BLOCK 128
#define SIMD_OUT 64
#define SIMD_OUT_LEN 64

#if defined(__x86_64__)
#define SIMD_P "%%rsi"
#define SIMD_CLOBBERS "memory", "xmm0", "xmm1", "mm0", "mm1"
#else
#define SIMD_P "%%esi"
#define SIMD_CLOBBERS "memory" /* guests build with -mgeneral-regs-only: no vector names */
#endif
/* A memory operand at offset `off` of the block, e.g. M(16) = the aligned m128 input. */
#define M(off) #off "(" SIMD_P ")"

/* Loads the inputs, makes EFLAGS known (TEST gives ZF=PF=1, CF=OF=SF=0), runs `insn`, stores
 * the results, restores the caller's MXCSR and leaves the x87 unit empty (EMMS). */
#define SIMD_KERNEL(blk, insn)                                                                \
  __asm__ volatile("stmxcsr 60(" SIMD_P ")\n\t"                                              \
                   "ldmxcsr 56(" SIMD_P ")\n\t"                                              \
                   "movups 0(" SIMD_P "), %%xmm0\n\t"                                        \
                   "movups 16(" SIMD_P "), %%xmm1\n\t"                                       \
                   "movq 32(" SIMD_P "), %%mm0\n\t"                                          \
                   "movq 40(" SIMD_P "), %%mm1\n\t"                                          \
                   "movl 48(" SIMD_P "), %%eax\n\t"                                          \
                   "movl 52(" SIMD_P "), %%edx\n\t"                                          \
                   "testl $0, 56(" SIMD_P ")\n\t" insn "\n\t"                                \
                   "setz 100(" SIMD_P ")\n\t"                                                \
                   "setp 101(" SIMD_P ")\n\t"                                                \
                   "setc 102(" SIMD_P ")\n\t"                                                \
                   "seto 103(" SIMD_P ")\n\t"                                                \
                   "sets 104(" SIMD_P ")\n\t"                                                \
                   "movups %%xmm0, 64(" SIMD_P ")\n\t"                                       \
                   "movq %%mm0, 80(" SIMD_P ")\n\t"                                          \
                   "movl %%eax, 88(" SIMD_P ")\n\t"                                          \
                   "movl %%edx, 92(" SIMD_P ")\n\t"                                          \
                   "stmxcsr 96(" SIMD_P ")\n\t"                                              \
                   "ldmxcsr 60(" SIMD_P ")\n\t"                                              \
                   "emms"                                                                    \
                   :                                                                         \
                   : "S"(blk)                                                                \
                   : "eax", "edx", "cc", SIMD_CLOBBERS)

/* The same for MMX-only cases: no MXCSR or XMM access, so it runs without CR4.OSFXSR (the
 * XMM and MXCSR outputs stay zero). */
#define SIMD_KERNEL_MMX(blk, insn)                                                            \
  __asm__ volatile("movq 32(" SIMD_P "), %%mm0\n\t"                                          \
                   "movq 40(" SIMD_P "), %%mm1\n\t"                                          \
                   "movl 48(" SIMD_P "), %%eax\n\t"                                          \
                   "movl 52(" SIMD_P "), %%edx\n\t"                                          \
                   "testl $0, 56(" SIMD_P ")\n\t" insn "\n\t"                                \
                   "setz 100(" SIMD_P ")\n\t"                                                \
                   "setp 101(" SIMD_P ")\n\t"                                                \
                   "setc 102(" SIMD_P ")\n\t"                                                \
                   "seto 103(" SIMD_P ")\n\t"                                                \
                   "sets 104(" SIMD_P ")\n\t"                                                \
                   "movq %%mm0, 80(" SIMD_P ")\n\t"                                          \
                   "movl %%eax, 88(" SIMD_P ")\n\t"                                          \
                   "movl %%edx, 92(" SIMD_P ")\n\t"                                          \
                   "emms"                                                                    \
                   :                                                                         \
                   : "S"(blk)                                                                \
                   : "eax", "edx", "cc", SIMD_CLOBBERS)

/* FNV-1a over the output bytes: the expected table holds one hash per run. */
static inline uint64_t simd_hash(const uint8_t *out) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (int k = 0; k < SIMD_OUT_LEN; ++k) h = (h ^ out[k]) * 0x100000001b3ull;
  return h;
}

/* MXCSR values every floating point case runs under: the four rounding modes, and FTZ+DAZ
 * with two of them. All exceptions masked (an unmasked one would trap the host generator;
 * the unit tests cover #XM). */
static const uint32_t simd_fp_mxcsr[] = {0x1F80, 0x3F80, 0x5F80, 0x7F80, 0x9FC0, 0xFFC0};
#define SIMD_N_FP_MXCSR 6

/* Input sets: xmm0[4] xmm1[4] mm0[2] mm1[2] eax edx, as 32-bit words. */
#define SIMD_N_INPUTS 14
static const uint32_t simd_inputs[SIMD_N_INPUTS][14] = {
  /* singles: ordinary values, halves for rounding, big values for conversion overflow */
  {0x3F800000, 0x40200000, 0xC0200000, 0x3DCCCCCD, 0x40400000, 0x3EAAAAAB, 0x4F32D05E, 0xBF800000,
   0x0102807F, 0x80FF7F00, 0x00000003, 0x00000000, 0x00000005, 0xFFFFFFFF},
  {0x3FC00000, 0xBFC00000, 0x7149F2CA, 0xCF32D05E, 0x40200000, 0x3F000000, 0x7149F2CA, 0x3F800000,
   0x7FFF8000, 0x00010002, 0x8000FFFF, 0x7FFF0001, 0x80000000, 0x00000010},
  /* special values: zeros, infinities, NaNs, denormals, smallest normal */
  {0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x80000000, 0x00000000, 0x7F800000, 0x7F800000,
   0xFFFFFFFF, 0xFFFFFFFF, 0x00000010, 0x00000000, 0x7FFFFFFF, 0x01000001},
  {0x7FC00000, 0x7F800001, 0x3F800000, 0xFFC00001, 0x3F800000, 0x7FC00000, 0x7FA00000, 0xFFC00001,
   0x12345678, 0x9ABCDEF0, 0x0000000F, 0x00000000, 0xFFFFFFF0, 0x00000000},
  {0x00000001, 0x00400000, 0x00800000, 0x80C00000, 0x3F000000, 0x00800000, 0x80000001, 0x00400000,
   0x80808080, 0x7F7F7F7F, 0x00000040, 0x00000000, 0x00000001, 0x80000000},
  {0x00800000, 0x7F7FFFFF, 0x7F7FFFFF, 0x3F800001, 0x3F000000, 0x40000000, 0xBF800000, 0x33800000,
   0xFF00FF00, 0x00FF00FF, 0x00000000, 0x00000001, 0x4B800001, 0xCB800001},
  /* doubles: 1.0 0.1 | -2.5 1/3, 1e300 3e9 | 1e300 -0.5, QNaN SNaN, denormal min-normal */
  {0x00000000, 0x3FF00000, 0x9999999A, 0x3FB99999, 0x00000000, 0xC0040000, 0x55555555, 0x3FD55555,
   0x00050004, 0x00030002, 0x0000001F, 0x00000000, 0x7FFFFFFF, 0x00000007},
  {0x8800759C, 0x7E37E43C, 0xC0000000, 0x41E65A0B, 0x8800759C, 0x7E37E43C, 0x00000000, 0xBFE00000,
   0x8000FFFF, 0x00018000, 0x00000020, 0x00000000, 0x80000001, 0x7FFFFFFF},
  {0x00000000, 0x7FF80000, 0x00000001, 0x7FF00000, 0x00000000, 0x3FF00000, 0x00000000, 0x7FF00000,
   0x00000001, 0x00000002, 0x00000041, 0x00000000, 0x00000000, 0x00000000},
  {0x00000001, 0x00000000, 0x00000000, 0x00100000, 0x00000000, 0x3FE00000, 0x00000000, 0x80100000,
   0xFFFF0000, 0x0000FFFF, 0x00000000, 0x00000001, 0x00000123, 0xFFFFFF00},
  {0x00000000, 0x41DFFFFF, 0x00200000, 0xC1E00000, 0x00000000, 0x40080000, 0x00000000, 0x80000000,
   0x5A5A5A5A, 0xA5A5A5A5, 0x0000003F, 0x00000000, 0x00000004, 0x00000009},
  /* integers: small shift counts in xmm1's low quadword, saturation edges */
  {0x807F0180, 0x7FFF8001, 0xFFFF0000, 0x00017FFF, 0x00000007, 0x00000000, 0x80008000, 0x7FFF7FFF,
   0x00FF7F80, 0xFF000180, 0x7F7F8080, 0xFFFE0100, 0x000000FF, 0xDEADBEEF},
  {0x12345678, 0x9ABCDEF0, 0x0F1E2D3C, 0x4B5A6978, 0x0000000F, 0x00000000, 0x00FF00FF, 0xFF00FF00,
   0x8000FFFF, 0x7FFF0000, 0xFFFF8000, 0x00007FFF, 0x00000002, 0x0000FFFF},
  {0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x00000001, 0x00000021, 0x00000000, 0x11111111, 0x22222222,
   0x01234567, 0x89ABCDEF, 0xFEDCBA98, 0x76543210, 0xFFFF8001, 0x00008000},
};
