/* bench mem_paging: a memory-heavy loop with paging on, touching many pages.
 * 16 MiB at virtual 0x40000000 is mapped with 4 KiB pages onto physical 16..32 MiB (4096
 * pages: far more than any TLB holds). Each round writes one word in every page, with the
 * offset moving each round, then reads them back and sums. "rounds=N" on the command line,
 * else BENCH_ROUNDS. Prints "page_touches=..." and "checksum=..." and exits 0. */
#include "rt.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 200u
#endif
#define VBASE 0x40000000u
#define PBASE 0x01000000u
#define PAGES 4096u

void guest_main(const struct mb_info *mb) {
  (void)mb;
  uint32_t rounds = rt_cmdline_u32("rounds", BENCH_ROUNDS);
  printf("bench mem_paging: %u rounds over %u pages\n", rounds, PAGES);
  rt_paging_identity(8, PTE_P | PTE_W);
  for (uint32_t i = 0; i < PAGES; i++) *rt_pte(VBASE + i * 4096u) = (PBASE + i * 4096u) | PTE_P | PTE_W;
  rt_paging_on();
  uint32_t sum = 0;
  for (uint32_t r = 0; r < rounds; r++) {
    uint32_t off = (r * 68u) & 0xFFCu;
    /* Stride 4097 pages (mod 4096) walks the pages in a scattered order. */
    for (uint32_t i = 0, p = 0; i < PAGES; i++, p = (p + 1237u) & (PAGES - 1))
      *(volatile uint32_t *)(VBASE + p * 4096u + off) = p ^ r;
    for (uint32_t i = 0; i < PAGES; i++) sum += *(volatile uint32_t *)(VBASE + i * 4096u + off);
  }
  rt_paging_off();
  printf("page_touches=%llu\n", 2ull * rounds * PAGES);
  printf("checksum=0x%08x\n", sum);
  exit_with(0);
}
