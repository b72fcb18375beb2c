/* serial_echo: the 16550A receive path as a driver uses it.
 *
 * Default (the guest_serial_echo test, also run on QEMU): a loopback self-test - with MCR
 * loop set, bytes written to THR arrive in the receive FIFO; checks LSR.DR, the FIFO order,
 * the received-data interrupt at the trigger level and the IRQ through the PIC.
 *
 * With "echo=1" on the command line (tests/guests/serial_echo/run_echo.cmake): an interrupt
 * driven echo. IRQ 4 reads every received byte and sends it back upper-cased; a 'q' ends the
 * run with "bye" and a pass (status 1). The host feeds it through -serial stdio (a pipe) or
 * -serial tcp:... */
#include "rt.h"

#define COM1 0x3F8
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)

static volatile uint32_t irq4_count, rx_count;
static volatile int quit;

static void pic_init(void) {
  outb(0x20, 0x11); outb(0xA0, 0x11); /* ICW1: edge, cascade, ICW4 follows */
  outb(0x21, 0x20); outb(0xA1, 0x28); /* ICW2: vector bases 0x20 / 0x28 */
  outb(0x21, 0x04); outb(0xA1, 0x02); /* ICW3: slave on IRQ 2 */
  outb(0x21, 0x01); outb(0xA1, 0x01); /* ICW4: 8086 mode */
  outb(0x21, 0xEF);                   /* only IRQ 4 (COM1) unmasked */
  outb(0xA1, 0xFF);
}

static void uart_init(void) {
  outb(LCR, 0x80); /* DLAB: divisor 1 = 115200 baud */
  outb(COM1 + 0, 1);
  outb(COM1 + 1, 0);
  outb(LCR, 0x03); /* 8N1 */
  outb(FCR, 0x07); /* FIFO on, both cleared, trigger level 1 */
}

static void put_raw(uint8_t c) {
  for (int i = 0; i < 100000 && !(inb(LSR) & 0x20); i++) {
  }
  outb(THR, c);
}

static int on_irq4(struct frame *f) {
  (void)f;
  irq4_count++;
  while (inb(LSR) & 0x01) {
    uint8_t c = inb(RBR);
    rx_count++;
    if (c == 'q') quit = 1;
    if (c >= 'a' && c <= 'z') c = (uint8_t)(c - 'a' + 'A');
    put_raw(c);
  }
  outb(0x20, 0x20);
  return 1;
}

static void loopback_test(void) {
  uart_init();
  /* A slow line (divisor 0x8000, about 3.5 baud): the character timeout (4 character times
   * without FIFO activity, which real chips and QEMU report ahead of "data available") cannot
   * fire between the writes and the IIR read below, even on a loaded host. */
  outb(LCR, 0x83);
  outb(COM1 + 0, 0x00);
  outb(COM1 + 1, 0x80);
  outb(LCR, 0x03);
  outb(FCR, 0x87); /* trigger level 8 */
  outb(MCR, 0x1B); /* loop + OUT2 + RTS + DTR: SOUT feeds SIN inside the chip */
  CHECK((inb(LSR) & 0x01) == 0);
  outb(IER, 0x01); /* received-data interrupt */
  for (int i = 0; i < 8; i++) outb(THR, (uint8_t)('0' + i));
  CHECK(inb(LSR) & 0x01);
  CHECK((inb(IIR) & 0x0F) == 0x04); /* received data available: the trigger level is reached */
  int in_order = 1;
  for (int i = 0; i < 8; i++) in_order &= inb(RBR) == (uint8_t)('0' + i);
  CHECK(in_order);
  CHECK((inb(LSR) & 0x01) == 0);
  CHECK((inb(IIR) & 0x01) == 1); /* nothing pending */
  outb(IER, 0);
  outb(MCR, 0x0B);
  uart_init(); /* back to 115200 baud for the output that follows */
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  if (!rt_cmdline_u32("echo", 0)) {
    loopback_test();
    rt_finish();
  }
  printf("serial_echo: type, 'q' quits\n");
  rt_set_handler(0x24, on_irq4);
  pic_init();
  uart_init();
  outb(MCR, 0x0B); /* DTR, RTS, OUT2 (the PC's IRQ gate) */
  outb(IER, 0x01); /* received data (and character timeout) */
  __asm__ volatile("sti");
  while (!quit) __asm__ volatile("hlt");
  __asm__ volatile("cli");
  printf("\nbye after %u bytes, %u interrupts\n", rx_count, irq4_count);
  rt_finish();
}
