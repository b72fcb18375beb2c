/* console.c: the console = VGA text screen + COM1, for output and for input.
 *
 * Output goes to both: the 80x25 text buffer at 0xB8000 (two bytes per cell: character,
 * colour) and the serial port. Input comes from the keyboard (kbd.c) and the serial port
 * (uart.c) into one line buffer; the kernel echoes and handles backspace (a "cooked" tty),
 * and console_read_line() wakes up when Enter arrives.
 * Serial input is only taken while a program waits for a line (flow control: the UART and
 * the host hold the rest back), so typed-ahead text is echoed when it is read, not in the
 * middle of a program's output. Keys are taken at once: the keyboard cannot wait. */
#include "kernel.h"
#include "x86.h"

#define COLS 80
#define ROWS 25
static volatile uint16_t *const vga = (volatile uint16_t *)0xB8000;
static int row, col;
static const uint16_t attr = 0x07 << 8;   /* light grey on black */

static void vga_cursor(void) {
    uint16_t pos = row * COLS + col;
    outb(0x3D4, 0x0E); outb(0x3D5, pos >> 8);
    outb(0x3D4, 0x0F); outb(0x3D5, pos & 0xFF);
}

static void vga_putc(char c) {
    if (c == '\n') {
        col = 0; row++;
    } else if (c == '\b') {
        if (col > 0) vga[row * COLS + --col] = attr | ' ';
    } else if (c == '\r') {
        col = 0;
    } else {
        vga[row * COLS + col] = attr | (uint8_t)c;
        if (++col == COLS) { col = 0; row++; }
    }
    if (row == ROWS) {   /* scroll one line up */
        for (int i = 0; i < (ROWS - 1) * COLS; i++) vga[i] = vga[i + COLS];
        for (int i = (ROWS - 1) * COLS; i < ROWS * COLS; i++) vga[i] = attr | ' ';
        row = ROWS - 1;
    }
}

void console_init(void) {
    for (int i = 0; i < ROWS * COLS; i++) vga[i] = attr | ' ';
    row = col = 0;
    uart_init();
    vga_cursor();
}

void console_putc(char c) {
    vga_putc(c);
    if (c == '\n') uart_putc('\r');
    uart_putc(c);
}

void console_write(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) console_putc(s[i]);
    vga_cursor();
}

/* ---- input: a line being edited, and finished lines waiting to be read ---- */
#define INBUF 512
static char inbuf[INBUF];
static uint32_t in_r, in_w, in_e;   /* read, write (end of finished lines), edit positions */
static int reader_waiting;          /* someone sleeps in console_read_line */

int console_wants_input(void) { return reader_waiting; }

void console_input(char c) {
    if (c == '\r') c = '\n';
    if (c == '\b' || c == 0x7F) {           /* backspace: only within the line being typed */
        if (in_e != in_w) { in_e--; console_write("\b \b", 3); }
        return;
    }
    if (in_e - in_r >= INBUF - 1) return;   /* full: drop */
    if (c != '\n' && (c < ' ' || c > '~')) return;
    inbuf[in_e++ % INBUF] = c;
    console_write(&c, 1);                   /* echo */
    if (c == '\n') {
        in_w = in_e;
        reader_waiting = 0;
        wakeup(inbuf);
    }
}

/* Copies one line (without the newline) into buf; returns its length. */
int console_read_line(char *buf, size_t n) {
    while (in_r == in_w) {
        reader_waiting = 1;
        uart_irq();                  /* bytes held back while nobody was reading */
        if (in_r != in_w) break;
        sleep_on(inbuf);
    }
    size_t len = 0;
    while (in_r != in_w) {
        char c = inbuf[in_r++ % INBUF];
        if (c == '\n') break;
        if (len + 1 < n) buf[len++] = c;
    }
    buf[len] = 0;
    return (int)len;
}
