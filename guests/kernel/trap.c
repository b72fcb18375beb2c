/* trap.c: the interrupt descriptor table and the one C function every trap goes through.
 *
 * Every gate is an interrupt gate (IF is cleared on entry), so the kernel always runs with
 * interrupts off: with one CPU that is all the locking it needs. Only vector 0x80 (system
 * calls) may be raised from ring 3 by `int`; for any other vector `int n` in user mode is a #GP.
 *
 * What trap() does with a fault depends on who faulted:
 *   user mode   -> demand-zero page fault: map and resume; #DE with a handler: run it;
 *                  anything else: kill the process with a message (the kernel goes on)
 *   kernel mode -> page fault on a user address: demand zero (copying to a fresh user buffer);
 *                  #GP at rdmsr_safe: the MSR is absent; anything else is a kernel bug: panic */
#include "kernel.h"
#include "x86.h"

struct gate { uint16_t off_lo, sel; uint8_t zero, type; uint16_t off_hi; } __attribute__((packed));
static struct gate idt[256];

static void set_gate(int vec, uint32_t handler, int dpl) {
    idt[vec] = (struct gate){ handler & 0xFFFF, KERNEL_CS, 0, (uint8_t)(0x8E | dpl << 5), handler >> 16 };
}

void idt_init(void) {
    extern const uint32_t vector_table[];   /* entry.S: pairs (vector, stub), ends with -1 */
    for (int i = 0; vector_table[i] != 0xFFFFFFFFu; i += 2)
        set_gate(vector_table[i], vector_table[i + 1], vector_table[i] == T_SYSCALL ? 3 : 0);
    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) idtr = { sizeof idt - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static const char *const names[20] = {
    "divide error (#DE)", "debug (#DB)", "NMI", "breakpoint (#BP)", "overflow (#OF)",
    "bound range (#BR)", "invalid opcode (#UD)", "no FPU (#NM)", "double fault (#DF)", "?",
    "invalid TSS (#TS)", "segment not present (#NP)", "stack fault (#SS)",
    "general protection (#GP)", "page fault (#PF)", "?", "x87 error (#MF)",
    "alignment check (#AC)", "machine check (#MC)", "SIMD error (#XM)",
};

/* A user #DE with a registered handler: save the user state, run handler(fault_eip) on the
 * user stack; the handler comes back with the sigreturn system call (syscall.c). */
static int deliver_de(struct trapframe *tf) {
    if (!current->de_handler || current->in_handler) return 0;
    uint32_t sp = tf->user_esp - 8;
    if (!user_range_ok(sp, 8)) return 0;
    current->saved_tf = *tf;
    current->in_handler = 1;
    ((uint32_t *)sp)[0] = 0;          /* return address: the handler must not return */
    ((uint32_t *)sp)[1] = tf->eip;    /* argument: where the fault happened */
    tf->user_esp = sp;
    tf->eip = current->de_handler;
    return 1;
}

static void irq(int n) {
    pic_eoi(n);   /* before the handler: a timer tick may switch to another process */
    switch (n) {
    case IRQ_TIMER: ticks++; break;
    case IRQ_KBD: kbd_irq(); break;
    case IRQ_COM1: uart_irq(); break;
    default: break;
    }
}

void trap(struct trapframe *tf) {
    int from_user = (tf->cs & 3) == 3;
    if (tf->trapno == T_SYSCALL) {
        current->tf = tf;
        tf->eax = (uint32_t)syscall_dispatch(tf);
        return;
    }
    if (tf->trapno >= T_IRQ0 && tf->trapno < T_IRQ0 + 16) {
        irq(tf->trapno - T_IRQ0);
        /* Preemption: a tick that interrupted a process in ring 3 ends its time slice. */
        if (tf->trapno == T_IRQ0 + IRQ_TIMER && from_user) yield();
        return;
    }
    if (tf->trapno == T_PF && page_fault(tf)) return;
    if (from_user) {
        if (tf->trapno == T_DE && deliver_de(tf)) return;
        char why[96];
        if (tf->trapno == T_PF) {
            uint32_t addr = read_cr2();
            const char *what = addr < USER_BASE || addr >= USER_TOP ? "touched kernel memory"
                                                                   : "bad user access";
            snprintf(why, sizeof why, "page fault (#PF) at %p: %s", addr, what);
        } else if (tf->trapno == T_GP) {
            snprintf(why, sizeof why, "general protection (#GP): privileged instruction or bad access");
        } else {
            snprintf(why, sizeof why, "%s", tf->trapno < 20 ? names[tf->trapno] : "unknown trap");
        }
        proc_kill_current(why, tf);
    }
    if (tf->trapno == T_PF && current && user_range_ok(read_cr2(), 1))
        proc_kill_current("out of memory copying to a user buffer", tf);   /* not the kernel's fault */
    if (tf->trapno == T_GP && tf->eip == (uint32_t)rdmsr_safe_insn) {
        tf->eip = (uint32_t)rdmsr_safe_fail;   /* the MSR does not exist: report, not crash */
        return;
    }
    extern char paging_enable_insn[];
    if (tf->trapno == T_GP && tf->eip == (uint32_t)paging_enable_insn)
        panic("the CPU refused to turn on paging (#GP on MOV to CR0): no 32-bit paging here");
    printk("kernel: trap %u (%s) at eip %p, error %x, cr2 %p\n", tf->trapno,
           tf->trapno < 20 ? names[tf->trapno] : "?", tf->eip, tf->err, read_cr2());
    panic("unexpected trap in kernel mode");
}
