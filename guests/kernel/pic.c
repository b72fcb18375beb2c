/* pic.c: the two 8259A interrupt controllers of a PC.
 *
 * At power-on they deliver IRQ 0-7 as vectors 8-15, which collide with CPU exceptions, so we
 * reprogram them (ICW1-ICW4) to use vectors 32-47 and mask everything until a driver asks. */
#include "kernel.h"
#include "x86.h"

static uint16_t mask = 0xFFFF & ~(1u << 2);   /* IRQ 2 is the cascade from the slave */

static void write_masks(void) {
    outb(0x21, mask & 0xFF);
    outb(0xA1, mask >> 8);
}

void pic_init(void) {
    outb(0x20, 0x11); outb(0xA0, 0x11);        /* ICW1: edge, cascade, ICW4 follows */
    outb(0x21, T_IRQ0); outb(0xA1, T_IRQ0 + 8);/* ICW2: vector bases */
    outb(0x21, 0x04); outb(0xA1, 0x02);        /* ICW3: slave on master IRQ 2 */
    outb(0x21, 0x01); outb(0xA1, 0x01);        /* ICW4: 8086 mode, normal EOI */
    write_masks();
}

void pic_unmask(int irq) {
    mask &= ~(1u << irq);
    write_masks();
}

void pic_eoi(int irq) {
    if (irq >= 8) outb(0xA0, 0x20);
    outb(0x20, 0x20);
}
