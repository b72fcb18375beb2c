/* 2-level paging with 4 KiB pages: an identity map for the kernel and helpers to change single
 * PTEs. Page tables come from a small static pool. */
#include "rt.h"

#define POOL_TABLES 16
uint32_t rt_page_dir[1024] __attribute__((aligned(4096)));
static uint32_t pool[POOL_TABLES][1024] __attribute__((aligned(4096)));
static int pool_used;

uint32_t *rt_pte(uint32_t va) {
  uint32_t *pde = &rt_page_dir[va >> 22];
  if (!(*pde & PTE_P)) {
    if (pool_used == POOL_TABLES) {
      printf("FAIL rt_pte: page-table pool exhausted\n");
      exit_with(0x3F);
    }
    uint32_t *pt = pool[pool_used++];
    memset(pt, 0, 4096);
    *pde = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
  }
  uint32_t *pt = (uint32_t *)(*pde & ~0xFFFu);
  return &pt[(va >> 12) & 1023];
}

void rt_paging_identity(uint32_t mb, uint32_t flags) {
  memset(rt_page_dir, 0, sizeof rt_page_dir);
  pool_used = 0;
  for (uint32_t va = 0; va < (mb << 20); va += 4096) *rt_pte(va) = va | flags;
}

void rt_paging_on(void) {
  write_cr3((uint32_t)rt_page_dir);
  write_cr0(read_cr0() | CR0_PG);
}

void rt_paging_off(void) {
  write_cr0(read_cr0() & ~CR0_PG);
  write_cr3(0);
}
