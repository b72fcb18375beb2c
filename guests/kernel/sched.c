/* sched.c: the round-robin scheduler, sleep and wakeup.
 *
 * The scheduler is a loop on the boot stack: it picks the next RUNNABLE process after the one
 * that ran last, switches to its address space and kernel stack (swtch), and gets control back
 * when that process gives up the CPU: on a timer tick in user mode (trap.c), when it sleeps, or
 * when it exits. With nothing to run it halts until an interrupt makes something runnable. */
#include "kernel.h"
#include "x86.h"

static struct context *scheduler_ctx;

/* Where a new process's kernel thread starts; it returns into trapret (see proc_alloc). */
void forkret(void) {}

void scheduler(void) {
    int last = 0;
    for (;;) {
        struct proc *next = 0;
        struct proc *table = proc_table();
        for (int k = 1; k <= NPROC && !next; k++) {
            struct proc *p = &table[(last + k) % NPROC];
            if (p->state == RUNNABLE) { next = p; last = (int)(p - table); }
        }
        if (!next) {
            /* Idle: wait for an interrupt with interrupts on, then look again. */
            sti();
            hlt();
            cli();
            continue;
        }
        current = next;
        next->state = RUNNING;
        tss_set_kernel_stack((uint32_t)(next->kstack + KSTACK_SIZE));
        load_pgdir(next->pgdir);
        swtch(&scheduler_ctx, next->ctx);
        /* The process gave up the CPU. */
        load_kernel_pgdir();
        current = 0;
    }
}

/* Give the CPU back to the scheduler; returns when this process is picked again. */
static void sched(void) {
    swtch(&current->ctx, scheduler_ctx);
}

void yield(void) {
    if (current->state == RUNNING) current->state = RUNNABLE;
    sched();
}

void sleep_on(void *chan) {
    current->chan = chan;
    current->state = SLEEPING;
    sched();
    current->chan = 0;
}

void wakeup(void *chan) {
    struct proc *table = proc_table();
    for (int i = 0; i < NPROC; i++)
        if (table[i].state == SLEEPING && table[i].chan == chan) table[i].state = RUNNABLE;
}
