/* sti_shadow: a pending interrupt is taken exactly one instruction after STI.
 *
 * With IF=0 the guest waits until the PIT's IRQ 0 is requested at the 8259A (IRR bit 0), then
 * runs STI; NOP and a counting loop. STI holds interrupts off for one instruction (the NOP),
 * then the CPU must take the pending interrupt at once: the handler sees the counter still 0.
 * Ten rounds, so the code after STI is cached, chained and (on --backend bt) translated and
 * linked by the later ones: a technique that runs on past the shadow shows a counter above 0. */
#include "rt.h"

static volatile uint32_t counter_at_irq, irqs;

static int on_irq0(struct frame *f) {
  if (counter_at_irq == 0xFFFFFFFF) counter_at_irq = f->ecx; /* the round's first interrupt */
  irqs++;
  outb(0x20, 0x20); /* non-specific EOI */
  return 1;
}

static int irq0_requested(void) {
  outb(0x20, 0x0A); /* OCW3: read IRR */
  return inb(0x20) & 1;
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  rt_set_handler(0x20, on_irq0);
  outb(0x20, 0x11); outb(0xA0, 0x11); /* ICW1: edge, cascade, ICW4 follows */
  outb(0x21, 0x20); outb(0xA1, 0x28); /* ICW2: vector bases */
  outb(0x21, 0x04); outb(0xA1, 0x02); /* ICW3 */
  outb(0x21, 0x01); outb(0xA1, 0x01); /* ICW4: 8086 mode */
  outb(0x21, 0xFE);                   /* only IRQ 0 */
  outb(0xA1, 0xFF);
  outb(0x43, 0x34); /* PIT channel 0, mode 2, about 1 kHz */
  outb(0x40, 1193 & 0xFF);
  outb(0x40, 1193 >> 8);

  for (int round = 0; round < 10; ++round) {
    __asm__ volatile("cli");
    while (!irq0_requested()) {}
    const uint32_t before = irqs;
    counter_at_irq = 0xFFFFFFFF;
    uint32_t spins;
    __asm__ volatile(
        "xor %%ecx, %%ecx\n\t"
        "sti\n\t"
        "nop\n\t" /* the one instruction STI lets run */
        "1: inc %%ecx\n\t"
        "cmp $1000, %%ecx\n\t"
        "jb 1b\n\t"
        "cli"
        : "=c"(spins)
        :
        : "cc", "memory");
    (void)spins;
    CHECK(irqs > before);
    if (counter_at_irq != 0) printf("round %d: the interrupt came after %u loop rounds\n", round, counter_at_irq);
    CHECK(counter_at_irq == 0);
  }
  rt_finish();
}
