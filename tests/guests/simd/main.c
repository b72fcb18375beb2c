/* guest_simd: MMX, SSE and SSE2 conformance (issue #4, acceptance 2). Runs every case of
 * simd_cases.def on every input set (and, for floating point, every MXCSR mode) and compares
 * a hash of all results -- registers, EFLAGS, MXCSR, stored memory -- with what the build
 * host's CPU produced for the same instruction on the same bits (gen_expected.cpp). Cases
 * listed in tests/conformance/KNOWN_FAILURES.md are reported but do not fail the run. The
 * runtime does not touch the FPU: this guest enables it (CR0.EM=0, CR0.MP=1, CR4.OSFXSR,
 * CR4.OSXMMEXCPT) after checking CPUID. */
#include "rt.h"
#include "simd_table.h"
#include "simd_expected.h"

#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)

_Static_assert(sizeof(simd_known_failure) == SIMD_N_CASES, "regenerate simd_expected.h");

static uint8_t blk[SIMD_BLOCK] __attribute__((aligned(16)));
static uint8_t fxarea[512] __attribute__((aligned(16)));

/* The MXCSR bits this CPU accepts, as an OS finds out: FXSAVE's MXCSR_MASK (0 = 0xFFBF). */
static uint32_t mxcsr_mask(uint32_t edx) {
  if (!((edx >> 24) & 1)) return 0xFFBF;
  uint32_t m;
  __asm__ volatile("fxsave (%0)" ::"r"(fxarea) : "memory");
  memcpy(&m, fxarea + 28, 4);
  return m ? m : 0xFFBF;
}

/* Which CPUID feature a case needs: sse2_* SSE2, sse_* SSE, mmx_* MMX (the few MMX-register
 * instructions that SSE/SSE2 added -- PAVGB, PSHUFW, PADDQ, PMULUDQ ... -- ride along). */
static int case_enabled(const char *name, uint32_t edx) {
  if (!memcmp(name, "sse2_", 5)) return (edx >> 26) & 1;
  if (!memcmp(name, "sse_", 4)) return (edx >> 25) & 1;
  return (edx >> 23) & 1;
}

void simd_fault_checks(uint32_t edx); /* faults.c */

void guest_main(const struct mb_info *mb) {
  (void)mb;
  uint32_t id[4];
  cpuid(1, 0, id);
  const uint32_t edx = id[3];
  printf("guest_simd: CPUID.1:EDX MMX=%u SSE=%u SSE2=%u; %d cases\n", (edx >> 23) & 1,
         (edx >> 25) & 1, (edx >> 26) & 1, SIMD_N_CASES);
  if (!CHECK((edx >> 23) & 1)) rt_finish(); /* MMX must be there */
  write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
  if ((edx >> 25) & 1) write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);

  const uint32_t mask = mxcsr_mask(edx);
  int k = 0, runs = 0, skipped = 0, known = 0, no_daz = 0;
  for (int c = 0; c < SIMD_N_CASES; ++c) {
    const struct simd_case *sc = &simd_cases[c];
    const int n = SIMD_N_INPUTS * simd_n_mxcsr(sc);
    if (!case_enabled(sc->name, edx)) {
      k += n;
      ++skipped;
      continue;
    }
    int bad = 0;
    for (int i = 0; i < SIMD_N_INPUTS; ++i)
      for (int m = 0; m < simd_n_mxcsr(sc); ++m, ++k) {
        if (simd_mxcsr(sc, m) & ~mask) { /* e.g. DAZ on a CPU without it: LDMXCSR would #GP */
          ++no_daz;
          continue;
        }
        simd_prepare(blk, i, simd_mxcsr(sc, m));
        sc->fn(blk);
        ++runs;
        if (simd_hash(blk + SIMD_OUT) == simd_expected[k]) continue;
        if (bad++ < 3) {
          printf("  %s input %d mxcsr %04x got:", sc->name, i, simd_mxcsr(sc, m));
          for (int b = 0; b < SIMD_OUT_LEN; ++b) printf("%s%02x", b % 16 ? "" : " ", blk[SIMD_OUT + b]);
          printf("\n");
        }
      }
    if (bad && simd_known_failure[c]) {
      printf("known %s: %d runs differ (KNOWN_FAILURES.md)\n", sc->name, bad);
      ++known;
    } else if (bad) {
      rt_check(0, sc->name, __FILE__, __LINE__);
    }
  }
  simd_fault_checks(edx);
  printf("guest_simd: %d runs, %d cases skipped (feature not advertised), %d runs skipped "
         "(MXCSR_MASK %04x), %d known failures, %d failing cases\n",
         runs, skipped, no_daz, mask, known, rt_failures);
  rt_finish();
}
