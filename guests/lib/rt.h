/* The vmlab guest runtime: what every test guest, the demo and the benchmarks share.
 *
 *   void guest_main(const struct mb_info *mb) {          // called by the runtime after setup
 *     printf("hello\n");
 *     int v = rt_catch(provoke_gp);                      // run code, catch its exception
 *     CHECK(v == VEC_GP && rt_last.error == 0);
 *     rt_finish();                                       // report, exit through port 0xF4
 *   }
 *
 * The runtime installs its own GDT (ring 0 and ring 3 flat segments, a TSS), an IDT whose 256
 * gates all lead to rt_dispatch(), and masks the legacy PIC. Nothing here uses the FPU, IRQs
 * or BIOS services. Result convention: 0 written to port 0xF4 = pass, anything else = failure
 * code; QEMU/vmlab then exit with status (code << 1) | 1. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- selectors of the runtime's GDT ---- */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B  /* GDT slot 3, RPL 3 */
#define SEL_UDATA 0x23  /* GDT slot 4, RPL 3 */
#define SEL_TSS 0x28    /* GDT slot 5: the runtime's TSS, loaded in TR */
#define GDT_FIRST_FREE 6
#define GDT_ENTRIES 32

/* ---- exception vectors ---- */
enum {
  VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6,
  VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14,
  VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19,
  VEC_USER_EXIT = 0x30, /* int $0x30 from ring 3: "back to the kernel" (DPL 3 gate) */
};
#define RT_NO_TRAP (-1)

/* descriptor access bytes */
#define ACC_P 0x80
#define ACC_DPL(n) ((n) << 5)
#define ACC_CODE 0x9A   /* present, DPL0, code, readable */
#define ACC_DATA 0x92   /* present, DPL0, data, writable */
#define ACC_TSS32 0x89  /* present, DPL0, available 32-bit TSS */
#define GATE_INT32 0x8E /* present, DPL0, 32-bit interrupt gate */
#define GATE_TRAP32 0x8F
#define GATE_TASK 0x85
#define GATE_CALL32 0x8C
#define FLAGS_32 0x4    /* D/B = 1 */
#define FLAGS_4K 0x8    /* G = 1 */

#define EFL_CF 0x1
#define EFL_TF 0x100
#define EFL_IF 0x200
#define EFL_DF 0x400
#define EFL_OF 0x800
#define EFL_IOPL(n) ((uint32_t)(n) << 12)
#define EFL_NT 0x4000
#define EFL_RF 0x10000
#define EFL_VM 0x20000
#define EFL_AC 0x40000

#define CR0_PE 0x1
#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_TS 0x8
#define CR0_WP 0x10000
#define CR0_AM 0x40000
#define CR0_PG 0x80000000u
#define CR4_PSE 0x10
#define CR4_PAE 0x20
#define CR4_PGE 0x80

/* The stack picture rt_dispatch sees (built by trap.S). */
struct frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_ignored, ebx, edx, ecx, eax; /* pushal */
  uint32_t vector, error;                                  /* error = 0 if the CPU pushed none */
  uint32_t eip, cs, eflags;
  uint32_t esp, ss;                         /* only when coming from an outer ring or V86 */
  uint32_t v86_es, v86_ds, v86_fs, v86_gs;  /* only when coming from V86 */
};

/* What the last exception looked like (filled for every exception, handled or not). */
struct trap_info {
  uint32_t vector, error, eip, cs, eflags, cr2;
  uint32_t count; /* exceptions seen since boot */
};
extern volatile struct trap_info rt_last;

/* A 32-bit TSS followed by a full I/O permission bitmap (1 = port denied). */
struct tss32 {
  uint16_t link, r0;
  uint32_t esp0; uint16_t ss0, r1;
  uint32_t esp1; uint16_t ss1, r2;
  uint32_t esp2; uint16_t ss2, r3;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint16_t es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
  uint16_t trap, iomap_base;
} __attribute__((packed));
struct tss_with_iomap {
  struct tss32 tss;
  uint8_t iomap[8192 + 1]; /* the extra byte must be 0xFF (SDM 19.5.2) */
} __attribute__((packed));

extern struct tss_with_iomap rt_tss;
extern uint64_t rt_gdt[GDT_ENTRIES];
extern uint64_t rt_idt[256];
extern char rt_stubs[];          /* entry stub of vector v at rt_stubs + 16*v */
extern char rt_user_stack_top[]; /* stack used by rt_catch_user */
extern char rt_kernel_stack_top[]; /* TSS.ESP0: ring-0 stack on entry from ring 3 / V86 */

/* ---- multiboot ---- */
struct mb_info {
  uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
  uint32_t mods_count, mods_addr;
};
const char *rt_cmdline(void); /* "" when the loader passed none */
/* Value of "key=N" in the command line, or `dflt`. */
uint32_t rt_cmdline_u32(const char *key, uint32_t dflt);

/* ---- descriptors ---- */
uint64_t rt_seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
void rt_gdt_set(int index, uint64_t desc);
uint64_t rt_gate_desc(uint32_t offset, uint16_t selector, uint8_t type_attr, uint8_t params);
void rt_idt_set(int vector, uint64_t gate);
/* Restore IDT entry `vector` to its default: interrupt gate to the stub, given DPL. */
void rt_idt_default(int vector, int dpl);
void rt_reload_segments(void);

/* ---- exceptions ---- */
/* A handler returns 1 to resume the interrupted code through IRET (after fixing *f), or 0 to
 * fall back to the default: unwind to the armed rt_catch, else report and fail. */
typedef int (*trap_handler)(struct frame *f);
void rt_set_handler(int vector, trap_handler h);
int rt_catch(void (*fn)(void));
int rt_catch_user(void (*fn)(void), uint32_t eflags);
void rt_longjmp(int vector) __attribute__((noreturn));
void rt_user_exit(void);

/* ---- output and result ---- */
void rt_putc(char c);
void rt_puts(const char *s);
void rt_e9_putc(char c);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
void exit_with(uint32_t code) __attribute__((noreturn));

extern int rt_failures;
/* CHECK(cond): prints "ok"/"FAIL" lines; failures are counted and end in a non-zero exit. */
#define CHECK(cond) rt_check((cond), #cond, __FILE__, __LINE__)
int rt_check(int ok, const char *what, const char *file, int line);
/* Runs fn, expects exception `vector` with `error` (or -1: don't check) at EIP `eip`
 * (0: don't check). Prints one line named `name`. Returns 1 on success. */
int rt_expect_trap(const char *name, void (*fn)(void), int vector, int32_t error, const void *eip);
int rt_expect_user_trap(const char *name, void (*fn)(void), uint32_t eflags, int vector,
                        int32_t error, const void *eip);
void rt_finish(void) __attribute__((noreturn)); /* exit 0 if no failures, else 1 */

void guest_main(const struct mb_info *mb); /* provided by each guest */

/* ---- string helpers (gcc may emit calls to these even when freestanding) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ---- 2-level paging with 4 KiB pages (PSE/PAE tests build their own tables) ---- */
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_U 0x4
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_A 0x20
#define PTE_D 0x40
#define PTE_PS 0x80
#define PTE_G 0x100
extern uint32_t rt_page_dir[1024];
/* Identity-map [0, mb MiB) with `flags` on every PTE; other PDEs not present. */
void rt_paging_identity(uint32_t mb, uint32_t flags);
/* PTE for `va`, allocating a page table (PDE flags P|W|U) if needed. */
uint32_t *rt_pte(uint32_t va);
void rt_paging_on(void);  /* CR3 = rt_page_dir, CR0.PG = 1 (WP as it was) */
void rt_paging_off(void);

/* ---- privileged instructions ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t read_cr0(void) { uint32_t v; __asm__ volatile("mov %%cr0, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr2(void) { uint32_t v; __asm__ volatile("mov %%cr2, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr3(void) { uint32_t v; __asm__ volatile("mov %%cr3, %0" : "=r"(v)); return v; }
static inline uint32_t read_cr4(void) { uint32_t v; __asm__ volatile("mov %%cr4, %0" : "=r"(v)); return v; }
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline uint32_t read_eflags(void) { uint32_t v; __asm__ volatile("pushfl; popl %0" : "=r"(v)); return v; }
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
static inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}
static inline uint16_t read_tr(void) { uint16_t v; __asm__ volatile("str %0" : "=r"(v)); return v; }
