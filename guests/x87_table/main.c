/* guest_x87_table: runs the x87 result table (x87_cases.h: arithmetic in every rounding and
 * precision mode, transcendentals, integer/BCD/real conversions, compares, FCOMI flags,
 * masked and unmasked exception flags) and compares each case, bit for bit, with the hash the
 * host generator computed on the host CPU's x87 at build time (x87_expected.h).
 * On QEMU (qemu_quirks=1) mismatches are reported but do not fail: TCG's x87 is softfloat
 * with libm transcendentals, not a model of the hardware. */
#include "rt.h"
#include "x87_cases.h"
#include "x87_expected.h"

static void print_mismatch(unsigned n, const struct x87_digest *d, uint32_t want) {
  const struct x87_case c = x87_case_at(n);
  unsigned k;
  printf("MISMATCH case %u: %s a=%u b=%u cw=%u hash %08x expected %08x\n  digest", n,
         c.op < X87_NOPS ? x87_op_names[c.op] : "fldconst", c.a, c.b, c.cw, x87_hash(d), want);
  for (k = 0; k < sizeof(d->b); ++k) printf(" %02x", d->b[k]);
  printf("\n");
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  const int qemu_quirks = (int)rt_cmdline_u32("qemu_quirks", 0);
  const uint32_t only_op = rt_cmdline_u32("op", 0xFFFFFFFFu); /* debugging: one operation */
  uint32_t r[4];
  cpuid(1, 0, r);
  CHECK((r[3] & 1) != 0); /* CPUID.FPU */
  write_cr0((read_cr0() & ~(uint32_t)(CR0_EM | CR0_TS)) | CR0_MP | 0x20 /* NE */);
  unsigned n, bad = 0;
  unsigned bad_by_op[X87_NOPS + 1] = {0};
  static struct x87_out o;
  for (n = 0; n < X87_NCASES; ++n) {
    struct x87_digest d;
    const struct x87_case c = x87_case_at(n);
    if (only_op != 0xFFFFFFFFu && c.op != only_op) continue;
    x87_run(c, &o);
    x87_digest_of(&o, &d);
    const uint32_t h = x87_hash(&d);
    if (h != x87_expected[n]) {
      if (bad < 40) print_mismatch(n, &d, x87_expected[n]);
      ++bad;
      ++bad_by_op[c.op < X87_NOPS ? c.op : X87_NOPS];
    }
  }
  printf("x87 table: %u cases, %u mismatches\n", (unsigned)X87_NCASES, bad);
  for (n = 0; n <= X87_NOPS; ++n)
    if (bad_by_op[n]) printf("  %s: %u\n", n < X87_NOPS ? x87_op_names[n] : "fldconst", bad_by_op[n]);
  if (qemu_quirks) {
    if (bad) printf("note: mismatches not counted on QEMU (softfloat x87)\n");
  } else {
    CHECK(bad == 0);
  }
  rt_finish();
}
