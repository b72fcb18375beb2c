/* guest_simd, part 2: the exception rules of MMX/SSE/SSE2 as a guest sees them through the IDT
 * (SDM Vol. 3, 13.1 and the instruction exception tables): CR0.EM -> #UD, CR0.TS -> #NM,
 * misaligned m128 -> #GP(0), LDMXCSR reserved bits -> #GP(0), unmasked SIMD exception -> #XM
 * (CR4.OSXMMEXCPT) or #UD, with MXCSR's flag set and the destination unchanged. */
#include "rt.h"

#define CR4_OSXMMEXCPT (1u << 10)

static uint8_t buf[64] __attribute__((aligned(16)));
static uint32_t mxcsr_bad = 0x10000, mxcsr_unmask_ze = 0x1F80 & ~(1u << 9), mxcsr_default = 0x1F80;
static uint32_t mxcsr_out;
/* 1.0f as bits: the guest is built without floating point (-mgeneral-regs-only). */
static const uint32_t one[4] __attribute__((aligned(16))) = {0x3F800000, 0x3F800000, 0x3F800000, 0x3F800000};
static uint32_t result[4] __attribute__((aligned(16)));

static void movaps_misaligned(void) { __asm__ volatile("movaps 4(%0), %%xmm0" ::"r"(buf) : "memory"); }
static void movups_misaligned(void) { __asm__ volatile("movups 4(%0), %%xmm0" ::"r"(buf) : "memory"); }
static void paddb_xmm_misaligned(void) { __asm__ volatile("paddb 8(%0), %%xmm0" ::"r"(buf) : "memory"); }
static void ldmxcsr_reserved(void) { __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr_bad)); }
static void addps(void) { __asm__ volatile("addps %xmm0, %xmm0"); }
static void paddb_mmx(void) { __asm__ volatile("paddb %mm0, %mm0\n\temms"); }
/* xmm2 = 1.0 (x4); xmm2 /= 0 with ZE unmasked: faults, xmm2 must still hold 1.0. */
static void divps_unmasked(void) {
  __asm__ volatile("movaps (%0), %%xmm2\n\t"
                   "ldmxcsr %1\n\t"
                   "xorps %%xmm3, %%xmm3\n\t"
                   "divps %%xmm3, %%xmm2" ::"r"(one), "m"(mxcsr_unmask_ze) : "memory");
}
static void after_divps(void) {
  __asm__ volatile("stmxcsr %0\n\tldmxcsr %1\n\tmovaps %%xmm2, (%2)"
                   : "=m"(mxcsr_out) : "m"(mxcsr_default), "r"(result) : "memory");
}

void simd_fault_checks(uint32_t edx) {
  const uint32_t cr0 = read_cr0(), cr4 = read_cr4();
  write_cr0(cr0 | CR0_EM);
  rt_expect_trap("MMX with CR0.EM: #UD", paddb_mmx, VEC_UD, -1, 0);
  write_cr0(cr0 | CR0_TS);
  rt_expect_trap("MMX with CR0.TS: #NM", paddb_mmx, VEC_NM, -1, 0);
  write_cr0(cr0);
  if (!((edx >> 25) & 1)) return;
  write_cr0(cr0 | CR0_EM);
  rt_expect_trap("ADDPS with CR0.EM: #UD", addps, VEC_UD, -1, 0);
  write_cr0(cr0 | CR0_TS);
  rt_expect_trap("ADDPS with CR0.TS: #NM", addps, VEC_NM, -1, 0);
  write_cr0(cr0);
  rt_expect_trap("MOVAPS misaligned: #GP(0)", movaps_misaligned, VEC_GP, 0, 0);
  CHECK(rt_catch(movups_misaligned) == RT_NO_TRAP);
  if ((edx >> 26) & 1) rt_expect_trap("PADDB xmm, m128 misaligned: #GP(0)", paddb_xmm_misaligned, VEC_GP, 0, 0);
  rt_expect_trap("LDMXCSR reserved bit: #GP(0)", ldmxcsr_reserved, VEC_GP, 0, 0);
  rt_expect_trap("DIVPS by 0, ZE unmasked: #XM", divps_unmasked, VEC_XM, -1, 0);
  after_divps();
  CHECK((mxcsr_out & 0x3F) == 0x04);           /* ZE recorded */
  CHECK(result[0] == 0x3F800000 && result[3] == 0x3F800000); /* destination unchanged */
  write_cr4(cr4 & ~CR4_OSXMMEXCPT);
  rt_expect_trap("DIVPS by 0, ZE unmasked, no OSXMMEXCPT: #UD", divps_unmasked, VEC_UD, -1, 0);
  after_divps();
  write_cr4(cr4 & ~(1u << 9));
  rt_expect_trap("ADDPS without CR4.OSFXSR: #UD", addps, VEC_UD, -1, 0);
  write_cr4(cr4);
}
