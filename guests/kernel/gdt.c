/* gdt.c: segments and the task state segment.
 *
 * Paging does the real protection, so the segments are flat (base 0, limit 4 GiB); they exist
 * because x86 needs a code and data segment per privilege level. The order is the one
 * SYSENTER/SYSEXIT assume: kernel code, kernel data = +8, user code = +16, user data = +24.
 * The TSS is only used for one thing: ESP0, the kernel stack the CPU switches to when an
 * interrupt arrives in ring 3. */
#include "kernel.h"
#include "x86.h"

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi, es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));

static struct tss tss;
static uint64_t gdt[6];
uint32_t tss_esp0_slot;   /* copy of tss.esp0 that sysenter_entry loads */

/* A segment descriptor: base, 20-bit limit, access byte, flags (G, D/B) nibble. */
static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    uint64_t d = limit & 0xFFFF;
    d |= (uint64_t)(base & 0xFFFFFF) << 16;
    d |= (uint64_t)access << 40;
    d |= (uint64_t)((limit >> 16) & 0xF) << 48;
    d |= (uint64_t)(flags & 0xF) << 52;
    d |= (uint64_t)(base >> 24) << 56;
    return d;
}

void gdt_init(void) {
    gdt[0] = 0;
    gdt[1] = seg(0, 0xFFFFF, 0x9A, 0xC);   /* kernel code: present, DPL0, exec/read */
    gdt[2] = seg(0, 0xFFFFF, 0x92, 0xC);   /* kernel data: present, DPL0, read/write */
    gdt[3] = seg(0, 0xFFFFF, 0xFA, 0xC);   /* user code: DPL3 */
    gdt[4] = seg(0, 0xFFFFF, 0xF2, 0xC);   /* user data: DPL3 */
    tss.ss0 = KERNEL_DS;
    tss.iomap_base = sizeof tss;           /* no I/O bitmap: ring 3 may not touch any port */
    gdt[5] = seg((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0);   /* 32-bit TSS, available */

    struct { uint16_t limit; uint32_t base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (uint32_t)gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x08, $1f\n"           /* reload CS */
                     "1:\tmov $0x10, %%ax\n\t"
                     "mov %%ax, %%ds\n\tmov %%ax, %%es\n\tmov %%ax, %%ss\n\t"
                     "xor %%ax, %%ax\n\tmov %%ax, %%fs\n\tmov %%ax, %%gs\n\t"
                     "mov $0x28, %%ax\n\tltr %%ax"
                     : : "m"(gdtr) : "eax", "memory");

    /* SYSENTER enters at sysenter_entry with CS = 0x08, SS = 0x10; the ESP it loads is never
     * used for more than one instruction (see entry.S), but must be a valid address. */
    extern void sysenter_entry(void);
    wrmsr(0x174, KERNEL_CS);
    wrmsr(0x175, (uint32_t)&tss_esp0_slot);
    wrmsr(0x176, (uint32_t)sysenter_entry);
}

void tss_set_kernel_stack(uint32_t esp0) {
    tss.esp0 = esp0;
    tss_esp0_slot = esp0;
}
