/* kbench.c: the nanobenchmarks that must run in kernel mode (SYS_KBENCH). Each runs `iters`
 * times between two clock samples and returns the differences (host ns or TSC ticks, guest
 * instructions, exits); bench.c in user space divides by iters. Interrupts are off here. */
#include "kernel.h"
#include "syscall.h"
#include "x86.h"

static void *scratch_a, *scratch_b;   /* the two frames ptemod swaps */

int32_t kbench_run(int which, uint32_t iters, uint64_t out[3]) {
    uint64_t t0[3], t1[3];
    volatile uint32_t *tpr = (volatile uint32_t *)(LAPIC_BASE + 0x80);
    if (which == KB_PTEMOD && !scratch_a) {
        scratch_a = page_alloc();
        scratch_b = page_alloc();
        if (!scratch_a || !scratch_b) return -1;
    }
    clock_sample(t0);
    switch (which) {
    case KB_IN:
        /* The master PIC's interrupt mask register: reading it changes nothing. */
        for (uint32_t i = 0; i < iters; i++) (void)inb(0x21);
        break;
    case KB_TPRWR:
        for (uint32_t i = 0; i < iters; i++) *tpr = 0;   /* TPR 0: accept every priority */
        break;
    case KB_PTEMOD: {
        extern uint32_t *kscratch_pte(void);
        volatile uint32_t *e = kscratch_pte();
        for (uint32_t i = 0; i < iters; i++) {
            *e = (uint32_t)((i & 1) ? scratch_b : scratch_a) | PTE_P | PTE_W;
            invlpg(KSCRATCH);
        }
        *e = 0;
        invlpg(KSCRATCH);
        break;
    }
    default:
        return -1;
    }
    clock_sample(t1);
    for (int i = 0; i < 3; i++) out[i] = (t0[i] == ~0ull) ? ~0ull : t1[i] - t0[i];
    return 0;
}
