/* printk.c: formatted output to the console, and panic for the impossible.
 * A panic must not look like a clean power-off: it writes 3 to isa-debug-exit (port 0xF4, when
 * the emulator has one: exit status 7) and otherwise halts. */
#include <stdarg.h>
#include "kernel.h"
#include "x86.h"

int printk(const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_write(buf, strlen(buf));
    return n;
}

void panic(const char *msg) {
    cli();
    printk("kernel panic: %s\n", msg);
    outb(0xF4, 3);
    for (;;) hlt();
}
