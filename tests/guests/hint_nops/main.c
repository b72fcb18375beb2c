/* guest_hint_nops: the 0F 18..0F 1F opcode range is "NOP Ev / hints" on every CPU since the
 * Pentium Pro (SDM vol. 2, NOP and "Reserved NOP"): they must execute as NOPs, never #UD.
 * Real code depends on it: gcc's multi-byte NOP padding (0F 1F /0) and CET's ENDBR32
 * (F3 0F 1E FB), which Debian's libgcc starts its 64-bit division helpers with. This guest
 * runs each form, then divides 64-bit numbers through libgcc. */
#include "rt.h"

static void hints(void) {
  __asm__ volatile(
      ".byte 0x0f, 0x1f, 0x00\n"                         /* nopl (%eax) */
      ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00\n"       /* nopw 0(%eax,%eax,1) */
      ".byte 0x0f, 0x1f, 0x80, 0, 0, 0, 0\n"             /* nopl 0(%eax) disp32 */
      ".byte 0xf3, 0x0f, 0x1e, 0xfb\n"                   /* endbr32 */
      ".byte 0x0f, 0x18, 0x00\n"                         /* prefetchnta (%eax) */
      ".byte 0x0f, 0x1e, 0xc0\n"                         /* reserved NOP (0F 1E /r) */
      ::"a"(0x100000)
      : "memory");
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_hint_nops: 0F 18..0F 1F execute as NOPs; libgcc 64-bit division\n");
  int v = rt_catch(hints);
  if (CHECK(v == RT_NO_TRAP)) printf("ok NOP Ev / ENDBR32 / PREFETCH hints: no exception\n");
  else printf("FAIL NOP Ev / ENDBR32 / PREFETCH hints: vector %d at eip 0x%08x\n", v, rt_last.eip);
  volatile uint64_t a = 5400000000000123ull, b = 1000003ull;
  volatile int64_t c = -5400000000000123ll;
  uint64_t q = a / b, r = a % b;
  int64_t sq = c / (int64_t)b;
  int ok = CHECK(q == 5399983800ull) && CHECK(r == 48723ull) && CHECK(q * b + r == a) &&
           CHECK(sq == -5399983800ll);
  printf("%s 64-bit division through libgcc: %llu / %llu = %llu rest %llu\n", ok ? "ok" : "FAIL",
         (unsigned long long)a, (unsigned long long)b, (unsigned long long)q,
         (unsigned long long)r);
}
