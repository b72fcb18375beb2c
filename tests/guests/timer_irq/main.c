/* timer_irq: the PC timers reach the CPU through the 8259A pair.
 *
 * Programs the PICs as Linux does (vectors 0x20-0x2F, cascade on IRQ 2), the PIT channel 0 in
 * mode 2 at about 1 kHz and the RTC periodic interrupt at 1024 Hz (IRQ 8, through the slave),
 * then waits with STI; HLT. Checks that both interrupts arrive, that IRQ 0 keeps the PIT's
 * rate against the RTC's (both are derived from the same virtual time), that ISR/IRR read
 * back, that the PIT's channel 2 counts down and shows OUT on port 0x61, and that the RTC
 * date registers hold valid BCD. */
#include "rt.h"

static volatile uint32_t pit_ticks, rtc_ticks;

static uint8_t cmos_read(uint8_t reg) {
  outb(0x70, reg);
  return inb(0x71);
}
static void cmos_write(uint8_t reg, uint8_t v) {
  outb(0x70, reg);
  outb(0x71, v);
}

static int on_irq0(struct frame *f) {
  (void)f;
  pit_ticks++;
  outb(0x20, 0x20); /* non-specific EOI to the master */
  return 1;
}

static int on_irq8(struct frame *f) {
  (void)f;
  rtc_ticks++;
  (void)cmos_read(0x0C); /* reading register C acknowledges the RTC and lowers IRQ 8 */
  outb(0xA0, 0x20);      /* EOI to the slave, then to the master (IRQ 2 cascade) */
  outb(0x20, 0x20);
  return 1;
}

static int bcd_ok(uint8_t v, uint8_t max) {
  return (v & 0x0F) <= 9 && (v >> 4) <= 9 && ((v >> 4) * 10 + (v & 0x0F)) <= max;
}

static void pic_init(void) {
  outb(0x20, 0x11); outb(0xA0, 0x11); /* ICW1: edge, cascade, ICW4 follows */
  outb(0x21, 0x20); outb(0xA1, 0x28); /* ICW2: vector bases */
  outb(0x21, 0x04); outb(0xA1, 0x02); /* ICW3: slave on IRQ 2 */
  outb(0x21, 0x01); outb(0xA1, 0x01); /* ICW4: 8086 mode */
  outb(0x21, 0xFA);                   /* unmask IRQ 0 and IRQ 2 (cascade) */
  outb(0xA1, 0xFE);                   /* unmask IRQ 8 */
}

static uint16_t pit2_read(void) {
  outb(0x43, 0x80); /* latch channel 2 */
  uint8_t lo = inb(0x42);
  return (uint16_t)(lo | (inb(0x42) << 8));
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  rt_set_handler(0x20, on_irq0);
  rt_set_handler(0x28, on_irq8);
  pic_init();

  /* OCW3 read-register select: IRR and ISR are both empty before anything runs. */
  outb(0x20, 0x0B);
  CHECK(inb(0x20) == 0x00); /* ISR */

  outb(0x43, 0x34); /* channel 0, LSB then MSB, mode 2 */
  outb(0x40, 1193 & 0xFF);
  outb(0x40, 1193 >> 8); /* 1193182 / 1193 = 1000.2 Hz */

  cmos_write(0x0A, 0x26);                          /* 32.768 kHz base, rate 6 = 1024 Hz */
  cmos_write(0x0B, cmos_read(0x0B) | 0x40);        /* PIE */
  (void)cmos_read(0x0C);

  __asm__ volatile("sti");
  while (pit_ticks < 100) __asm__ volatile("hlt");
  __asm__ volatile("cli");
  uint32_t p = pit_ticks, r = rtc_ticks;
  printf("after %u PIT ticks: %u RTC periodic interrupts\n", p, r);
  CHECK(p >= 100);
  /* 100 ms at 1024 Hz is about 102 RTC interrupts; allow for the start-up phase. */
  CHECK(r >= 80 && r <= 130);

  /* Channel 2, gated on through port 0x61 bit 0, in mode 0 counts down; OUT (bit 5) is low
   * until the count runs out. */
  outb(0x61, (inb(0x61) & 0xFC) | 0x01);
  outb(0x43, 0xB0); /* channel 2, LSB then MSB, mode 0 */
  outb(0x42, 0xFF);
  outb(0x42, 0xFF);
  uint16_t a = pit2_read();
  for (volatile int i = 0; i < 2000; ++i) {}
  uint16_t b = pit2_read();
  printf("PIT channel 2: %u then %u\n", a, b);
  CHECK(b < a);
  CHECK((inb(0x61) & 0x20) == 0);

  uint8_t sec = cmos_read(0x00), min = cmos_read(0x02), hour = cmos_read(0x04);
  uint8_t day = cmos_read(0x07), mon = cmos_read(0x08), year = cmos_read(0x09);
  printf("RTC: 20%02x-%02x-%02x %02x:%02x:%02x\n", year, mon, day, hour, min, sec);
  CHECK(bcd_ok(sec, 59) && bcd_ok(min, 59) && bcd_ok(hour, 23));
  CHECK(bcd_ok(day, 31) && day != 0 && bcd_ok(mon, 12) && mon != 0 && bcd_ok(year, 99));
  CHECK(cmos_read(0x0D) & 0x80); /* register D: valid RAM and time */
  rt_finish();
}
