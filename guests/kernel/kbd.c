/* kbd.c: the PS/2 keyboard behind the i8042 controller, IRQ 1.
 *
 * The controller translates the keyboard's codes to scancode set 1: one byte per key press
 * (the "make" code), the same with bit 7 set on release (the "break" code). We track Shift
 * and turn presses into ASCII with two small tables (US layout). */
#include "kernel.h"
#include "x86.h"

static const char normal[0x3A] =
    "\0\0331234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
static const char shifted[0x3A] =
    "\0\033!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
static int shift;

void kbd_init(void) {
    while (inb(0x64) & 0x01) inb(0x60);   /* drop anything already waiting */
    outb(0x64, 0x60);                     /* write the controller's command byte: */
    outb(0x60, 0x65);                     /* kbd IRQ on, system flag, mouse off, translate */
    pic_unmask(IRQ_KBD);
}

void kbd_irq(void) {
    if (!(inb(0x64) & 0x01)) return;
    uint8_t sc = inb(0x60);
    int release = sc & 0x80;
    sc &= 0x7F;
    if (sc == 0x2A || sc == 0x36) { shift = !release; return; }   /* left / right shift */
    if (release || sc >= sizeof normal) return;
    char c = shift ? shifted[sc] : normal[sc];
    if (c) console_input(c);
}
