/* self_ipi: an interrupt that an ordinary memory write raises is taken when the block ends.
 *
 * A counting loop writes a local APIC register every round with one MOV: the TPR (with 0, no
 * change), except at count 100 the ICR: a fixed self-IPI (a plain MOV to MMIO, no I/O port, no
 * flags change). The interrupt must come right after the block that wrote it: the handler sees
 * the count still 100 (101 where an emulator lets one more round pass). The loop is one block
 * that branches to itself, so it is cached, chained and (on --backend bt) translated and linked
 * to itself before count 100: a technique that keeps following links after the write's handler
 * ran, without asking whether an interrupt is now pending, shows a count far above 100. */
#include "rt.h"

#define LAPIC_BASE 0xFEE00000u
#define VEC_SELF 0x40

static volatile uint32_t count_at_ipi, ipis;

static void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(LAPIC_BASE + reg) = v; }

static int on_self_ipi(struct frame *f) {
  if (count_at_ipi == 0xFFFFFFFF) count_at_ipi = f->ecx;
  ipis++;
  lapic_write(0xB0, 0); /* EOI */
  return 1;
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  outb(0x21, 0xFF); /* the 8259As stay out of it */
  outb(0xA1, 0xFF);
  rt_set_handler(VEC_SELF, on_self_ipi);
  lapic_write(0xF0, 0x100 | 0xFF); /* SVR: APIC on, spurious vector 0xFF */
  __asm__ volatile("sti");
  for (int round = 0; round < 10; ++round) {
    const uint32_t before = ipis;
    count_at_ipi = 0xFFFFFFFF;
    uint32_t spins;
    __asm__ volatile(
        "xor %%ecx, %%ecx\n\t"
        "1: inc %%ecx\n\t"
        "mov %[tpr], %%edi\n\t" /* every round writes the TPR (0: no change) ... */
        "xor %%esi, %%esi\n\t"
        "cmp $100, %%ecx\n\t"
        "cmove %[icr], %%edi\n\t" /* ... but round 100 the ICR: vector, fixed, self */
        "cmove %[low], %%esi\n\t"
        "movl %%esi, (%%edi)\n\t"
        "cmp $1000, %%ecx\n\t"
        "jb 1b"
        : "=c"(spins)
        : [icr] "r"(LAPIC_BASE + 0x300), [low] "r"(VEC_SELF | (1u << 18)), [tpr] "r"(LAPIC_BASE + 0x80)
        : "cc", "memory", "esi", "edi");
    (void)spins;
    CHECK(ipis == before + 1);
    if (count_at_ipi != 100) printf("round %d: the self-IPI came at count %u\n", round, count_at_ipi);
    CHECK(count_at_ipi == 100 || count_at_ipi == 101);
  }
  rt_finish();
}
