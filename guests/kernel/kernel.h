/* kernel.h: what the kernel's files share. Read this first.
 *
 * Memory map (virtual = physical below 1 GiB, supervisor only; each process adds its own
 * user pages from 1 GiB up):
 *   0x00000000-0x00000FFF  not mapped (catches NULL in the kernel)
 *   0x00100000-...         the kernel image (kernel.ld), then free physical pages
 *   0x3FC00000-0x3FFFFFFF  one kernel scratch page table (the ptemod benchmark)
 *   0x40000000-0xBFFFFFFF  user space: program at USER_BASE, stack below USER_STACK_TOP;
 *                          any untouched user page is demand-zero
 *   0xFEE00000             local APIC registers (uncached, supervisor)
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

/* ---- segments (gdt.c): the order SYSENTER/SYSEXIT require ---- */
#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_CS   (0x18 | 3)
#define USER_DS   (0x20 | 3)
#define TSS_SEL   0x28

/* ---- address space ---- */
#define PAGE_SIZE       4096u
#define USER_BASE       0x40000000u
#define USER_STACK_TOP  0xBFFFF000u
#define USER_TOP        0xC0000000u
#define KSCRATCH        0x3FC00000u
#define LAPIC_BASE      0xFEE00000u
#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u

/* ---- interrupt vectors ---- */
#define T_DE 0
#define T_GP 13
#define T_PF 14
#define T_IRQ0 32           /* the 8259s are remapped to 32-47 */
#define IRQ_TIMER 0
#define IRQ_KBD 1
#define IRQ_COM1 4
#define T_SYSCALL 0x80

/* What entry.S pushes on every trap, lowest address first (struct order = push order reversed). */
struct trapframe {
    uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;   /* pusha */
    uint32_t gs, fs, es, ds;
    uint32_t trapno, err;
    uint32_t eip, cs, eflags;      /* pushed by the CPU */
    uint32_t user_esp, user_ss;    /* pushed by the CPU only when coming from ring 3 */
};

/* Callee-saved registers of a kernel thread that is switched out (entry.S swtch). */
struct context {
    uint32_t edi, esi, ebx, ebp, eip;
};

/* ---- processes (proc.c, sched.c) ---- */
#define NPROC 16
#define KSTACK_SIZE 8192
enum procstate { UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
    int pid, ppid;
    enum procstate state;
    char name[16];
    uint32_t *pgdir;               /* page directory (physical = virtual) */
    uint32_t user_pages;           /* user pages mapped, for ps */
    uint8_t *kstack;               /* KSTACK_SIZE bytes; the TSS points at its top */
    struct context *ctx;           /* where swtch left this process */
    struct trapframe *tf;          /* the current system call's frame */
    void *chan;                    /* sleeping on this */
    int exit_code;
    uint32_t de_handler;           /* user #DE handler (0 = none: #DE kills) */
    int in_handler;
    struct trapframe saved_tf;     /* user state while the #DE handler runs */
};
extern struct proc *current;

/* ---- console.c, uart.c, kbd.c ---- */
void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t n);
void console_input(char c);                    /* a key or a serial byte arrived */
int console_read_line(char *buf, size_t n);    /* sleeps until a line is typed */
int console_wants_input(void);                 /* a reader waits: take serial bytes */
void uart_init(void);
void uart_putc(char c);
void uart_irq(void);
void kbd_init(void);
void kbd_irq(void);
int printk(const char *fmt, ...);
void panic(const char *msg) __attribute__((noreturn));

/* ---- lib.c ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
void strlcpy(char *d, const char *s, size_t n);
int vsnprintf(char *buf, size_t n, const char *fmt, __builtin_va_list ap);
int snprintf(char *buf, size_t n, const char *fmt, ...);

/* ---- gdt.c, trap.c, pic.c, pit.c ---- */
void gdt_init(void);
void tss_set_kernel_stack(uint32_t esp0);
extern uint32_t tss_esp0_slot;       /* sysenter's stack pointer is read from here */
void idt_init(void);
void trap(struct trapframe *tf);
void pic_init(void);
void pic_unmask(int irq);
void pic_eoi(int irq);
void pit_init(unsigned hz);
extern volatile uint32_t ticks;

/* ---- paging.c ---- */
void paging_init(uint32_t ram_end);
void *page_alloc(void);                          /* one zeroed page, or 0 */
void page_free(void *p);
uint32_t pages_free(void), pages_total(void);
uint32_t *pgdir_new(void);                       /* kernel half shared, user half empty */
void pgdir_free(uint32_t *pd);
uint32_t *pte_walk(uint32_t *pd, uint32_t va, int create);
int map_user_page(struct proc *p, uint32_t va);  /* a fresh zero page; 0 = ok */
int copy_user_space(struct proc *dst, struct proc *src);
void unmap_user_range(struct proc *p, uint32_t va, uint32_t len);
void load_pgdir(uint32_t *pd);
void load_kernel_pgdir(void);
int page_fault(struct trapframe *tf);            /* 1 = handled (demand zero) */
int user_range_ok(uint32_t va, uint32_t len);
extern uint32_t kernel_end_phys;

/* ---- proc.c, sched.c ---- */
struct proc *proc_table(void);
struct proc *proc_spawn(const char *image, const char *arg);
int proc_fork(void);
int proc_exec(const char *image, const char *arg);
void proc_exit(int code) __attribute__((noreturn));
int proc_wait(int *status);
void proc_kill_current(const char *why, struct trapframe *tf) __attribute__((noreturn));
void proc_list(void);
void scheduler(void) __attribute__((noreturn));
void yield(void);
void sleep_on(void *chan);
void wakeup(void *chan);
void swtch(struct context **old, struct context *new_ctx);   /* entry.S */
void trapret(void);                                          /* entry.S */

/* ---- syscall.c, user images (images.S), bench.c ---- */
int32_t syscall_dispatch(struct trapframe *tf);
struct user_image { const char *name; const uint8_t *start, *end; };
const struct user_image *find_image(const char *name);
extern const struct user_image user_images[];
int32_t kbench_run(int which, uint32_t iters, uint64_t out[3]);

/* ---- vmlab.c: what the host tells us (CPUID leaves 0x4000000x, vmlab MSRs) ---- */
void vmlab_detect(void);
const char *vmlab_technique(void);     /* "interp", ..., or 0 when not on vmlab */
int vmlab_technique_id(void);          /* -1 when not on vmlab */
void clock_sample(uint64_t out[3]);    /* host ns (or TSC), insns, exits; ~0 = unknown */
int clock_is_host_ns(void);
int rdmsr_safe(uint32_t msr, uint64_t *value);                /* entry.S; -1 = #GP */
extern char rdmsr_safe_insn[], rdmsr_safe_fail[];

/* ---- acpi.c ---- */
void power_off(void) __attribute__((noreturn));

/* ---- main.c ---- */
extern char boot_cmdline[256];
const char *cmdline_get(const char *key);   /* value of key=... (until a space), or 0 */
