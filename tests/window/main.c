/* window_guest: what the window test (run_window_test.sh) looks at. Writes a banner in colour to
 * the VGA text screen, hides the cursor (so the window and a screendump match exactly), then
 * echoes keys from the PS/2 keyboard (scancode set 1, as the 8042 translates by default) onto
 * the screen and COM1, forever. */
#include "rt.h"

static volatile uint16_t *const text = (volatile uint16_t *)0xB8000;

static void put_at(int row, int col, const char *s, uint8_t attr) {
  for (; *s; ++s, ++col) text[row * 80 + col] = (uint16_t)(attr << 8 | (uint8_t)*s);
}

static char set1_to_ascii(uint8_t sc) {
  static const char row1[] = "qwertyuiop"; /* 0x10-0x19 */
  static const char row2[] = "asdfghjkl";  /* 0x1E-0x26 */
  static const char row3[] = "zxcvbnm";    /* 0x2C-0x32 */
  if (sc >= 0x10 && sc <= 0x19) return row1[sc - 0x10];
  if (sc >= 0x1E && sc <= 0x26) return row2[sc - 0x1E];
  if (sc >= 0x2C && sc <= 0x32) return row3[sc - 0x2C];
  if (sc == 0x39) return ' ';
  return 0;
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  for (int i = 0; i < 80 * 25; ++i) text[i] = 0x0720;
  put_at(0, 0, "vmlab window test", 0x1E);  /* yellow on blue */
  put_at(2, 0, "keys:", 0x0A);              /* green */
  outb(0x3D4, 0x0A);
  outb(0x3D5, 0x20); /* cursor off */
  printf("window guest ready\n");
  int col = 6;
  for (;;) {
    if (!(inb(0x64) & 1)) continue;
    uint8_t sc = inb(0x60);
    char c = set1_to_ascii(sc);
    if (!c || col >= 80) continue;
    char s[2] = {c, 0};
    put_at(2, col++, s, 0x0F);
    printf("key %c\n", c);
  }
}
