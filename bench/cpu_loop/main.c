/* bench cpu_loop: a fixed integer workload with an exactly known instruction count.
 * Iterations: "iters=N" on the multiboot command line (-append), else BENCH_ITERS (build time).
 * Prints "instructions=<count of the workload function>" and "checksum=<...>" and exits 0. */
#include "rt.h"

#ifndef BENCH_ITERS
#define BENCH_ITERS 20000000u /* ~270M instructions */
#endif

uint32_t cpu_loop(uint32_t n);

void guest_main(const struct mb_info *mb) {
  (void)mb;
  uint32_t n = rt_cmdline_u32("iters", BENCH_ITERS) & ~1u; /* even: see loop.S */
  printf("bench cpu_loop: %u iterations\n", n);
  uint32_t sum = cpu_loop(n);
  uint64_t insns = 13ull * n + n / 2 + 18;
  printf("instructions=%llu\n", (unsigned long long)insns);
  printf("checksum=0x%08x\n", sum);
  exit_with(0);
}
