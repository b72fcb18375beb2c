/* guest_io_bitmap: IN/OUT at CPL 3 with IOPL 0 are checked against the TSS I/O permission
 * bitmap: allowed when every bit of the accessed ports is 0, #GP(0) otherwise, and #GP(0) when
 * the bitmap bit lies beyond the TSS limit. With IOPL 3 the bitmap is not consulted. */
#include "rt.h"

extern void u_out80(void), u_in80(void), u_out80_dx(void), u_out81(void), u_outw80(void);
extern void u_inl7c(void);
extern char u_out81_site[], u_outw80_site[], u_out80_site[];

static void allow(uint16_t port, int yes) {
  if (yes) rt_tss.iomap[port / 8] &= (uint8_t)~(1u << (port % 8));
  else rt_tss.iomap[port / 8] |= (uint8_t)(1u << (port % 8));
}

static void expect_ok(const char *name, void (*fn)(void), uint32_t eflags) {
  int v = rt_catch_user(fn, eflags);
  int ok = CHECK(v == VEC_USER_EXIT);
  printf("%s %s: %s\n", ok ? "ok" : "FAIL", name, v == VEC_USER_EXIT ? "allowed" : "faulted");
}

/* Reloads TR after changing the TSS descriptor (clear the busy bit first). */
static void set_tss_limit(uint32_t limit) {
  rt_gdt[SEL_TSS / 8] = rt_seg_desc((uint32_t)&rt_tss, limit, ACC_TSS32, 0);
  __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  printf("guest_io_bitmap: I/O permission bitmap at CPL 3, IOPL 0\n");
  allow(0x80, 1);
  for (int p = 0x7c; p < 0x80; p++) allow((uint16_t)p, 1);
  expect_ok("OUT 0x80 (bit clear)", u_out80, 0x2);
  expect_ok("IN 0x80 (bit clear)", u_in80, 0x2);
  expect_ok("OUT DX=0x80 (bit clear)", u_out80_dx, 0x2);
  expect_ok("IN dword 0x7c-0x7f (4 bits clear)", u_inl7c, 0x2);
  rt_expect_user_trap("OUT 0x81 (bit set) -> #GP(0)", u_out81, 0x2, VEC_GP, 0, u_out81_site);
  rt_expect_user_trap("OUT word 0x80-0x81 (second bit set) -> #GP(0)", u_outw80, 0x2, VEC_GP, 0,
                      u_outw80_site);
  expect_ok("OUT 0x81 with IOPL 3 (bitmap not consulted)", u_out81, 0x2 | EFL_IOPL(3));
  /* A TSS limit that ends the bitmap after port 0x7f: port 0x80's bit is beyond it. */
  set_tss_limit(sizeof(struct tss32) + 0x10 - 1);
  rt_expect_user_trap("OUT 0x80 with its bit beyond the TSS limit -> #GP(0)", u_out80, 0x2, VEC_GP,
                      0, u_out80_site);
  set_tss_limit(sizeof rt_tss - 1);
  expect_ok("OUT 0x80 after restoring the TSS limit", u_out80, 0x2);
  allow(0x80, 0);
  rt_expect_user_trap("OUT 0x80 after setting its bit -> #GP(0)", u_out80, 0x2, VEC_GP, 0,
                      u_out80_site);
}
