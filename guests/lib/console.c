/* Output for guests: COM1 (a 16550 transmitter: wait for LSR.THRE, write THR), port 0xE9,
 * a small printf (%d %u %x %X %s %c %p, width and '0' flag, 'l'/'ll' length), and the exit
 * through QEMU's isa-debug-exit device at port 0xF4. */
#include "rt.h"

#define COM1 0x3F8
#define COM1_LSR (COM1 + 5)
#define LSR_THRE 0x20

void rt_putc(char c) {
  if (c == '\n') rt_putc('\r');
  /* Bounded wait: a machine without a UART must not hang the guest. */
  for (int i = 0; i < 100000 && !(inb(COM1_LSR) & LSR_THRE); i++) {
  }
  outb(COM1, (uint8_t)c);
}

void rt_e9_putc(char c) { outb(0xE9, (uint8_t)c); }

void rt_puts(const char *s) {
  while (*s) rt_putc(*s++);
}

static void put_unsigned(unsigned long long v, unsigned base, int upper, int width, char pad) {
  char buf[24];
  int n = 0;
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  /* 32-bit values (almost all) use plain DIV; only wider ones need libgcc's 64-bit helpers. */
  for (uint32_t w = (uint32_t)v; v >> 32 == 0;) {
    do {
      buf[n++] = digits[w % base];
      w /= base;
    } while (w);
    v = 0;
    break;
  }
  while (v) {
    buf[n++] = digits[v % base];
    v /= base;
  }
  while (n < width--) rt_putc(pad);
  while (n) rt_putc(buf[--n]);
}

int vprintf(const char *fmt, va_list ap) {
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      rt_putc(*fmt);
      continue;
    }
    fmt++;
    char pad = ' ';
    int width = 0, longs = 0;
    if (*fmt == '0') pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    while (*fmt == 'l') longs++, fmt++;
    unsigned long long u;
    switch (*fmt) {
      case 'd': {
        long long s = longs >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
        if (s < 0) rt_putc('-'), u = 0ull - (unsigned long long)s;
        else u = (unsigned long long)s;
        put_unsigned(u, 10, 0, width, pad);
        break;
      }
      case 'u': case 'x': case 'X':
        u = longs >= 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
        put_unsigned(u, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, pad);
        break;
      case 'p':
        rt_puts("0x");
        put_unsigned((uintptr_t)va_arg(ap, void *), 16, 0, 8, '0');
        break;
      case 's': {
        const char *s = va_arg(ap, const char *);
        rt_puts(s ? s : "(null)");
        break;
      }
      case 'c': rt_putc((char)va_arg(ap, int)); break;
      case '%': rt_putc('%'); break;
      case 0: return 0;
      default: rt_putc('%'); rt_putc(*fmt);
    }
  }
  return 0;
}

int printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  return 0;
}

void exit_with(uint32_t code) {
  outl(0xF4, code);
  /* No debug-exit device: stop here (IF=0, so vmlab reports a halted machine). */
  for (;;) __asm__ volatile("cli; hlt");
}
