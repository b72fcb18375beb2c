/* uart.c: COM1, a 16550A UART at port 0x3F8, IRQ 4.
 *
 * Sending: wait until the transmit holding register is empty (LSR bit 5), write THR.
 * Receiving: the UART interrupts when a byte arrives (IER bit 0); on a PC the UART's IRQ
 * output only reaches the interrupt controller when MCR.OUT2 is set. We leave the FIFOs off:
 * switching them on clears the receiver, which could drop a byte typed before boot. */
#include "kernel.h"
#include "x86.h"

#define COM1 0x3F8
#define THR 0   /* transmit holding (write) */
#define RBR 0   /* receive buffer (read) */
#define IER 1
#define LCR 3
#define MCR 4
#define LSR 5

void uart_init(void) {
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80);          /* DLAB: the next two ports are the divisor */
    outb(COM1 + 0, 1);               /* 115200 baud */
    outb(COM1 + 1, 0);
    outb(COM1 + LCR, 0x03);          /* 8 data bits, no parity, 1 stop bit */
    outb(COM1 + MCR, 0x0B);          /* DTR, RTS, OUT2 (the IRQ gate) */
    outb(COM1 + IER, 0x01);          /* interrupt on received data */
}

void uart_putc(char c) {
    for (int i = 0; i < 100000 && !(inb(COM1 + LSR) & 0x20); i++) {}
    outb(COM1 + THR, (uint8_t)c);
}

void uart_irq(void) {
    while (console_wants_input() && (inb(COM1 + LSR) & 0x01)) console_input((char)inb(COM1 + RBR));
}
