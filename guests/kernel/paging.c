/* paging.c: physical pages and two-level page tables.
 *
 * Physical memory: every page between the end of the kernel image and the end of RAM sits on
 * a free list; a free page holds the address of the next one (we can write it because the
 * kernel maps all RAM at the same virtual address).
 *
 * Address spaces: a page directory has 1024 entries of 4 MiB each. The kernel's entries (below
 * USER_BASE, and the local APIC) point to page tables built once at boot and shared by every
 * process; the user entries (USER_BASE..USER_TOP) belong to the process. Switching process =
 * loading its directory into CR3 (which also flushes the TLB's user entries). */
#include "kernel.h"
#include "x86.h"

#define PDX(va) ((va) >> 22)
#define PTX(va) (((va) >> 12) & 0x3FF)
#define PTE_ADDR(e) ((e) & ~0xFFFu)

static uint32_t *kernel_pd;
static void *free_list;
static uint32_t nfree, ntotal;
uint32_t kernel_end_phys;

/* Whole pages are cleared and copied 4 bytes at a time with the string instructions. */
static void page_zero(void *p) {
    uint32_t d = (uint32_t)p, n = PAGE_SIZE / 4;
    __asm__ volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(0) : "memory");
}

static void page_copy(void *dst, const void *src) {
    uint32_t d = (uint32_t)dst, s = (uint32_t)src, n = PAGE_SIZE / 4;
    __asm__ volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

void *page_alloc(void) {
    void *p = free_list;
    if (!p) return 0;
    free_list = *(void **)p;
    nfree--;
    page_zero(p);
    return p;
}

void page_free(void *p) {
    *(void **)p = free_list;
    free_list = p;
    nfree++;
}

uint32_t pages_free(void) { return nfree; }
uint32_t pages_total(void) { return ntotal; }

/* The entry for va in directory pd; with create, a missing page table is allocated. */
uint32_t *pte_walk(uint32_t *pd, uint32_t va, int create) {
    uint32_t *pde = &pd[PDX(va)];
    if (!(*pde & PTE_P)) {
        if (!create) return 0;
        uint32_t *pt = page_alloc();
        if (!pt) return 0;
        /* User bit on the directory entry for user tables; the PTE decides per page. */
        *pde = (uint32_t)pt | PTE_P | PTE_W | (va >= USER_BASE && va < USER_TOP ? PTE_U : 0);
    }
    return &((uint32_t *)PTE_ADDR(*pde))[PTX(va)];
}

void load_pgdir(uint32_t *pd) { write_cr3((uint32_t)pd); }

void paging_init(uint32_t ram_end) {
    extern char __image_end[];
    kernel_end_phys = ((uint32_t)__image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (ram_end > USER_BASE - (4u << 20)) ram_end = USER_BASE - (4u << 20);   /* keep KSCRATCH free */
    for (uint32_t a = kernel_end_phys; a + PAGE_SIZE <= ram_end; a += PAGE_SIZE) {
        page_free((void *)a);
        ntotal++;
    }
    kernel_pd = page_alloc();
    /* Identity map all RAM for the kernel (not page 0: a NULL dereference should fault). */
    for (uint32_t a = PAGE_SIZE; a < ram_end; a += PAGE_SIZE)
        *pte_walk(kernel_pd, a, 1) = a | PTE_P | PTE_W;
    /* The VGA text buffer and the rest of the ISA hole below 1 MiB are RAM-like: mapped above. */
    *pte_walk(kernel_pd, KSCRATCH, 1) = 0;                                    /* ptemod's table */
    *pte_walk(kernel_pd, LAPIC_BASE, 1) = LAPIC_BASE | PTE_P | PTE_W | PTE_PCD | PTE_PWT;
    load_pgdir(kernel_pd);
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 |= 0x80010000u;   /* PG, and WP: the kernel too respects read-only pages */
    __asm__ volatile(".globl paging_enable_insn\npaging_enable_insn:\n\t"   /* trap.c names it */
                     "mov %0, %%cr0" : : "r"(cr0) : "memory");
}

uint32_t *pgdir_new(void) {
    uint32_t *pd = page_alloc();
    if (!pd) return 0;
    for (int i = 0; i < 1024; i++)
        if (i < (int)PDX(USER_BASE) || i >= (int)PDX(USER_TOP)) pd[i] = kernel_pd[i];
    return pd;
}

void pgdir_free(uint32_t *pd) {
    for (uint32_t i = PDX(USER_BASE); i < PDX(USER_TOP); i++) {
        if (!(pd[i] & PTE_P)) continue;
        uint32_t *pt = (uint32_t *)PTE_ADDR(pd[i]);
        for (int j = 0; j < 1024; j++)
            if (pt[j] & PTE_P) page_free((void *)PTE_ADDR(pt[j]));
        page_free(pt);
    }
    page_free(pd);
}

int user_range_ok(uint32_t va, uint32_t len) {
    return va >= USER_BASE && va < USER_TOP && len <= USER_TOP - va;
}

int map_user_page(struct proc *p, uint32_t va) {
    uint32_t *pte = pte_walk(p->pgdir, va, 1);
    if (!pte) return -1;
    if (*pte & PTE_P) return 0;
    void *page = page_alloc();
    if (!page) return -1;
    *pte = (uint32_t)page | PTE_P | PTE_W | PTE_U;
    p->user_pages++;
    return 0;
}

/* fork: give dst a copy of every user page of src (copied now, not copy-on-write). */
int copy_user_space(struct proc *dst, struct proc *src) {
    for (uint32_t i = PDX(USER_BASE); i < PDX(USER_TOP); i++) {
        if (!(src->pgdir[i] & PTE_P)) continue;
        uint32_t *pt = (uint32_t *)PTE_ADDR(src->pgdir[i]);
        for (uint32_t j = 0; j < 1024; j++) {
            if (!(pt[j] & PTE_P)) continue;
            uint32_t va = i << 22 | j << 12;
            if (map_user_page(dst, va) < 0) return -1;
            page_copy((void *)PTE_ADDR(*pte_walk(dst->pgdir, va, 0)), (void *)PTE_ADDR(pt[j]));
        }
    }
    return 0;
}

void unmap_user_range(struct proc *p, uint32_t va, uint32_t len) {
    for (uint32_t a = va & ~(PAGE_SIZE - 1); a < va + len; a += PAGE_SIZE) {
        uint32_t *pte = pte_walk(p->pgdir, a, 0);
        if (!pte || !(*pte & PTE_P)) continue;
        page_free((void *)PTE_ADDR(*pte));
        *pte = 0;
        invlpg(a);
        p->user_pages--;
    }
}

/* Demand zero: the first touch of any user page maps a fresh zeroed page. A fault on a page
 * that is present (a protection fault) or outside user space is not ours to fix. */
int page_fault(struct trapframe *tf) {
    uint32_t addr = read_cr2();
    if ((tf->err & 1) || !current || !user_range_ok(addr, 1)) return 0;
    if (map_user_page(current, addr & ~(PAGE_SIZE - 1)) < 0) {
        printk("kernel: out of memory\n");
        return 0;
    }
    return 1;
}

/* The scheduler runs on the kernel's own directory: a process's may be freed under it. */
void load_kernel_pgdir(void) { load_pgdir(kernel_pd); }

/* The PTE of the kernel scratch page (the ptemod benchmark changes it). */
uint32_t *kscratch_pte(void) { return pte_walk(kernel_pd, KSCRATCH, 0); }
