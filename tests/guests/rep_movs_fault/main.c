/* guest_rep_movs_fault: a REP MOVS whose destination (or source) page is not present faults
 * half-way. The #PF must report the registers of the interrupted iteration (ECX = elements
 * still to copy, ESI/EDI pointing at the faulting element, EIP = the REP MOVS itself); the
 * handler maps the page and returns, the copy resumes and completes with the right data. */
#include "rt.h"

#define DST_VA 0x40000000u /* 4 pages: 0x40000000..0x40003FFF */
#define SRC_VA 0x40800000u
#define PHYS_DST 0x00600000u
#define PHYS_SRC 0x00700000u

static uint8_t src_buf[0x3000];
static volatile uint32_t pf_count, pf_ecx, pf_esi, pf_edi, pf_eip, pf_cr2, pf_err;

/* Maps the faulting page (identity-offset: VA page -> its PHYS_* page) and resumes. */
static int map_on_fault(struct frame *f) {
  uint32_t cr2 = read_cr2();
  if (pf_count++ == 0) { /* record the first fault of a copy */
    pf_ecx = f->ecx, pf_esi = f->esi, pf_edi = f->edi, pf_eip = f->eip, pf_cr2 = cr2;
    pf_err = f->error;
  }
  uint32_t page = cr2 & ~0xFFFu;
  uint32_t phys = page >= SRC_VA ? PHYS_SRC + (page - SRC_VA) : PHYS_DST + (page - DST_VA);
  *rt_pte(page) = phys | PTE_P | PTE_W;
  invlpg(page);
  return 1;
}

struct copy { uint32_t ecx, esi, edi; };

__attribute__((noinline)) static struct copy rep_movsb(void *d, const void *s, uint32_t n) {
  struct copy r;
  __asm__ volatile(".globl rep_site_b\nrep_site_b: rep movsb" : "=c"(r.ecx), "=S"(r.esi), "=D"(r.edi) : "0"(n), "1"(s), "2"(d) : "memory");
  return r;
}
__attribute__((noinline)) static struct copy rep_movsd(void *d, const void *s, uint32_t n) {
  struct copy r;
  __asm__ volatile(".globl rep_site_d\nrep_site_d: rep movsl" : "=c"(r.ecx), "=S"(r.esi), "=D"(r.edi) : "0"(n), "1"(s), "2"(d) : "memory");
  return r;
}
__attribute__((noinline)) static struct copy rep_movsb_down(void *d_last, const void *s_last, uint32_t n) {
  struct copy r;
  __asm__ volatile("std\n rep movsb\n cld" : "=c"(r.ecx), "=S"(r.esi), "=D"(r.edi) : "0"(n), "1"(s_last), "2"(d_last) : "memory");
  return r;
}
extern char rep_site_b[], rep_site_d[];

static void unmap(uint32_t va, int pages) {
  for (int i = 0; i < pages; i++) {
    *rt_pte(va + 4096u * i) = 0;
    invlpg(va + 4096u * i);
  }
}

static void check_case(const char *name, int dword, uint32_t dst, const uint8_t *src, uint32_t bytes,
                       uint32_t expect_faults, uint32_t fault_va, uint32_t expect_err) {
  pf_count = 0;
  struct copy r = dword ? rep_movsd((void *)dst, src, bytes / 4) : rep_movsb((void *)dst, src, bytes);
  uint32_t done_at_fault = fault_va - (fault_va >= SRC_VA ? (uint32_t)src : dst);
  uint32_t size = dword ? 4 : 1;
  int ok = CHECK(pf_count == expect_faults) && CHECK(pf_cr2 == fault_va) && CHECK(pf_err == expect_err) &&
           CHECK(pf_ecx == (bytes - done_at_fault) / size) &&
           CHECK(pf_esi == (uint32_t)src + done_at_fault) && CHECK(pf_edi == dst + done_at_fault) &&
           CHECK(r.ecx == 0) && CHECK(r.esi == (uint32_t)src + bytes) && CHECK(r.edi == dst + bytes) &&
           CHECK(memcmp((void *)dst, src, bytes) == 0);
  printf("%s %s: #PF at cr2 0x%08x err %u with ecx 0x%x esi 0x%08x edi 0x%08x eip 0x%08x; final ecx %u\n",
         ok ? "ok" : "FAIL", name, pf_cr2, pf_err, pf_ecx, pf_esi, pf_edi, pf_eip, r.ecx);
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_rep_movs_fault: REP MOVS restarts after a page fault\n");
  for (uint32_t i = 0; i < sizeof src_buf; i++) src_buf[i] = (uint8_t)(i * 7 + 3);
  rt_paging_identity(16, PTE_P | PTE_W);
  rt_set_handler(VEC_PF, map_on_fault);
  rt_paging_on();

  /* Only the first destination page is mapped: a 0x2000-byte copy from offset 0x800 faults
   * on the second page, then on the third. */
  *rt_pte(DST_VA) = PHYS_DST | PTE_P | PTE_W;
  check_case("rep movsb, destination faults", 0, DST_VA + 0x800, src_buf, 0x2000, 2, DST_VA + 0x1000, 2);
  CHECK(pf_eip == (uint32_t)rep_site_b);
  unmap(DST_VA, 4);

  *rt_pte(DST_VA) = PHYS_DST | PTE_P | PTE_W;
  check_case("rep movsd, destination faults", 1, DST_VA + 0x400, src_buf, 0x2000, 2, DST_VA + 0x1000, 2);
  CHECK(pf_eip == (uint32_t)rep_site_d);
  unmap(DST_VA, 4);

  /* DF = 1: copying downwards, the top page mapped, the two below it not. */
  *rt_pte(DST_VA + 0x2000) = (PHYS_DST + 0x2000) | PTE_P | PTE_W;
  {
    pf_count = 0;
    uint32_t n = 0x2000, dlo = DST_VA + 0x800;
    const uint8_t *slo = src_buf;
    struct copy r = rep_movsb_down((void *)(dlo + n - 1), slo + n - 1, n);
    int ok = CHECK(pf_count == 2) && CHECK(pf_cr2 == DST_VA + 0x1FFF) && CHECK(pf_err == 2) &&
             CHECK(pf_ecx == n - 0x800) && CHECK(pf_edi == DST_VA + 0x1FFF) &&
             CHECK(pf_esi == (uint32_t)slo + n - 1 - 0x800) && CHECK(r.ecx == 0) &&
             CHECK(r.edi == dlo - 1) && CHECK(r.esi == (uint32_t)slo - 1) &&
             CHECK(memcmp((void *)dlo, slo, n) == 0);
    printf("%s rep movsb with DF=1, destination faults: #PF at cr2 0x%08x with ecx 0x%x esi 0x%08x "
           "edi 0x%08x; final ecx %u\n", ok ? "ok" : "FAIL", pf_cr2, pf_ecx, pf_esi, pf_edi, r.ecx);
  }
  unmap(DST_VA, 4);

  /* Source side: copy from an unmapped-in-the-middle source mapping into plain memory. */
  for (uint32_t i = 0; i < 0x3000; i++) ((uint8_t *)PHYS_SRC)[i] = src_buf[i];
  *rt_pte(SRC_VA) = PHYS_SRC | PTE_P | PTE_W;
  *rt_pte(DST_VA) = PHYS_DST | PTE_P | PTE_W;
  *rt_pte(DST_VA + 0x1000) = (PHYS_DST + 0x1000) | PTE_P | PTE_W;
  check_case("rep movsb, source faults", 0, DST_VA, (const uint8_t *)SRC_VA + 0x100, 0x1800, 1,
             SRC_VA + 0x1000, 0);
  rt_paging_off();
}
