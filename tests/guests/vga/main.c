/* vga: the VGA and Bochs VBE as a kernel's console and framebuffer drivers use them.
 *
 * Text: writes characters and attributes to 0xB8000 and reads them back, moves the cursor
 * (CRTC 0x0E/0x0F), programs a DAC entry with the 3-byte auto-increment and reads it back,
 * uses the attribute controller's flip-flop, waits for vertical retrace. PCI: finds the
 * display function 1234:1111 on bus 0, sizes its prefetchable 16 MiB BAR0, assigns it if
 * the firmware did not, enables memory decoding. VBE: negotiates the dispi ID, sets
 * 320x200x32 with the linear framebuffer, draws, and reads the pixels back through the LFB.
 *
 * Command line: `stay=text` stops after the text part, so the host test's screendump
 * (--screendump-at-exit) shows the text screen; otherwise it ends in the VBE mode with the
 * picture described in tests/guests/vga_screens.cmake. */
#include "rt.h"

static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static uint32_t pci_read(unsigned dev, unsigned reg) {
  outl(0xCF8, 0x80000000u | dev << 11 | (reg & 0xFC));
  return inl(0xCFC);
}
static void pci_write(unsigned dev, unsigned reg, uint32_t v) {
  outl(0xCF8, 0x80000000u | dev << 11 | (reg & 0xFC));
  outl(0xCFC, v);
}
static void dispi_write(uint16_t index, uint16_t v) { outw(0x1CE, index); outw(0x1CF, v); }
static uint16_t dispi_read(uint16_t index) { outw(0x1CE, index); return inw(0x1CF); }

static void text_part(void) {
  volatile uint16_t *text = (volatile uint16_t *)0xB8000;
  /* Row 0: "vmlab VGA" yellow on blue; cell (1, 0) a full block in light red; row 2 blank
   * on red. The host test looks at exactly these cells. */
  const char *msg = "vmlab VGA";
  for (unsigned i = 0; i < 80 * 25; ++i) text[i] = 0x0720;
  for (unsigned i = 0; msg[i]; ++i) text[i] = (uint16_t)(0x1E00 | (uint8_t)msg[i]);
  text[80] = 0x0CDB;
  for (unsigned i = 160; i < 240; ++i) text[i] = 0x4020;
  CHECK(text[0] == 0x1E76);
  CHECK(((volatile uint8_t *)0xB8000)[1] == 0x1E);

  /* Cursor to row 1, column 5 (shown by the screendump as lines 13-14 of that cell). */
  outb(0x3D4, 0x0E); outb(0x3D5, 0);
  outb(0x3D4, 0x0F); outb(0x3D5, 85);
  outb(0x3D4, 0x0F);
  CHECK(inb(0x3D5) == 85);

  /* DAC: entry 0x3F (colour 15 in mode 3, bright white) becomes light orange; read it back. */
  outb(0x3C8, 0x3F);
  outb(0x3C9, 63); outb(0x3C9, 40); outb(0x3C9, 10);
  CHECK(inb(0x3C8) == 0x40);
  outb(0x3C7, 0x3F);
  uint8_t r = inb(0x3C9), g = inb(0x3C9), b = inb(0x3C9);
  CHECK(r == 63 && g == 40 && b == 10);

  /* Attribute controller: reset the flip-flop, read palette register 1, put it back. */
  (void)inb(0x3DA);
  outb(0x3C0, 0x21);
  uint8_t ar1 = inb(0x3C1);
  outb(0x3C0, ar1);
  CHECK(ar1 == 0x01);
  CHECK(inb(0x3C0) == 0x21);

  /* Vertical retrace comes and goes (bounded waits: a wrong status register fails, not hangs). */
  unsigned n = 0;
  while (!(inb(0x3DA) & 0x08) && n < 20000000) ++n;
  CHECK(n < 20000000);
  while ((inb(0x3DA) & 0x08) && n < 20000000) ++n;
  CHECK(n < 20000000);
}

static uint32_t find_display(void) {
  for (unsigned dev = 0; dev < 32; ++dev)
    if (pci_read(dev, 0) == 0x11111234u) return dev;
  return 0xFFFFFFFFu;
}

static void vbe_part(void) {
  uint32_t dev = find_display();
  CHECK(dev != 0xFFFFFFFFu);
  if (dev == 0xFFFFFFFFu) return;
  CHECK(pci_read(dev, 0x08) >> 8 == 0x030000u);
  uint32_t bar = pci_read(dev, 0x10);
  pci_write(dev, 0x10, 0xFFFFFFFFu);
  uint32_t probe = pci_read(dev, 0x10);
  pci_write(dev, 0x10, bar);
  printf("display at 00:%02x.0, BAR0 %08x, size probe %08x\n", dev, bar, probe);
  CHECK(probe == 0xFF000008u);
  uint32_t lfb = bar & 0xFFFFFFF0u;
  if (lfb == 0) {  /* no firmware assigned it (vmlab -kernel): do it ourselves */
    lfb = 0xE0000000u;
    pci_write(dev, 0x10, lfb);
  }
  pci_write(dev, 0x04, pci_read(dev, 0x04) | 0x2);  /* memory decoding */

  dispi_write(0, 0xB0C5);
  CHECK(dispi_read(0) == 0xB0C5);
  dispi_write(0, 0xB0C0);
  CHECK(dispi_read(0) == 0xB0C0);
  dispi_write(0, 0xB0C4);
  CHECK(dispi_read(0x0A) == 256);  /* 16 MiB of video memory */
  dispi_write(4, 0);
  dispi_write(1, 320);
  dispi_write(2, 200);
  dispi_write(3, 32);
  dispi_write(4, 0x41);  /* enabled + LFB */
  CHECK(dispi_read(1) == 320 && dispi_read(2) == 200 && dispi_read(3) == 32);
  CHECK(dispi_read(6) == 320);

  /* Picture: dark blue background, a red 20x10 box at (10, 10), a green column x=100. */
  volatile uint32_t *fb = (volatile uint32_t *)lfb;
  for (unsigned y = 0; y < 200; ++y)
    for (unsigned x = 0; x < 320; ++x) {
      uint32_t c = 0x000040;
      if (x >= 10 && x < 30 && y >= 10 && y < 20) c = 0xFF0000;
      if (x == 100) c = 0x00FF00;
      fb[y * 320 + x] = c;
    }
  CHECK(fb[15 * 320 + 12] == 0xFF0000u);
  CHECK(fb[199 * 320 + 100] == 0x00FF00u);
  CHECK(fb[0] == 0x000040u);
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  text_part();
  const char *cmd = rt_cmdline();
  int stay_text = 0;
  for (const char *p = cmd; *p; ++p)
    if (p[0] == 's' && p[1] == 't' && p[2] == 'a' && p[3] == 'y' && p[4] == '=' && p[5] == 't') stay_text = 1;
  if (!stay_text) vbe_part();
  rt_finish();
}
