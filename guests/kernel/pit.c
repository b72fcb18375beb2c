/* pit.c: the 8254 programmable interval timer, channel 0, as the scheduler's clock.
 *
 * The PIT counts down at 1.193182 MHz; in mode 2 (rate generator) it raises IRQ 0 each time
 * the count reaches zero, so divisor = 1193182 / hz. trap.c calls yield() on each tick that
 * interrupted user mode: that is the whole preemptive round-robin policy. */
#include "kernel.h"
#include "x86.h"

volatile uint32_t ticks;

void pit_init(unsigned hz) {
    uint32_t divisor = 1193182u / hz;
    outb(0x43, 0x34);                 /* channel 0, lobyte/hibyte, mode 2, binary */
    outb(0x40, divisor & 0xFF);
    outb(0x40, divisor >> 8);
    pic_unmask(IRQ_TIMER);
}
