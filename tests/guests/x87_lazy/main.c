/* guest_x87_lazy: lazy FPU context switching with CR0.TS, the way an OS kernel does it. Two
 * "tasks" keep live values on the x87 register stack (and their own control word) across
 * switches; a switch only sets CR0.TS, and the first x87 instruction (or WAIT, with CR0.MP) of
 * the next task raises #NM, whose handler does CLTS, saves the previous owner's FPU state and
 * restores the new task's. Done once with FNSAVE/FRSTOR and once with FXSAVE/FXRSTOR; the
 * results must equal, bit for bit, the same steps run without any switching. */
#include "rt.h"

#define STEPS 12

static uint8_t fsave_area[2][108];
static uint8_t fx_area[2][512] __attribute__((aligned(16)));
static int current, owner = -1, use_fx, started[2];
static unsigned nm_count;

static int nm_handler(struct frame *f) {
  (void)f;
  __asm__ volatile("clts");
  if (owner >= 0) {
    if (use_fx) __asm__ volatile("fxsave %0" : "=m"(fx_area[owner]));
    else __asm__ volatile("fnsave %0" : "=m"(fsave_area[owner]));
  }
  if (!started[current]) {
    __asm__ volatile("fninit");
    started[current] = 1;
  } else if (use_fx) {
    __asm__ volatile("fxrstor %0" ::"m"(fx_area[current]));
  } else {
    __asm__ volatile("frstor %0" ::"m"(fsave_area[current]));
  }
  owner = current;
  ++nm_count;
  return 1; /* re-run the instruction that faulted */
}

static void switch_to(int task) {
  current = task;
  write_cr0(read_cr0() | CR0_TS);
}

static const uint16_t cw_a = 0x037F, cw_b = 0x067F; /* task B: round down, 53-bit precision */

/* Task A: ST1 = pi, ST0 = x; x = x * pi + 1, every third step x = sqrt(x). */
static void step_a(int k) {
  if (k == 0) {
    __asm__ volatile("fldcw %0\n\tfldpi\n\tfld1" ::"m"(cw_a));
    return;
  }
  __asm__ volatile("fmul %st(1), %st\n\tfld1\n\tfaddp");
  if (k % 3 == 0) __asm__ volatile("fsqrt");
}
/* Task B: y = sqrt(y) + 1/3 with y0 = 2; ST1 holds 3. Starts some steps with WAIT. */
static void step_b(int k) {
  if (k == 0) {
    __asm__ volatile("fldcw %0\n\tfld1\n\tfld1\n\tfadd %%st(0), %%st\n\tfadd %%st(1), %%st\n\t"
                     "fld1\n\tfadd %%st(0), %%st" ::"m"(cw_b)); /* ST2 = 1, ST1 = 3, ST0 = 2 */
    return;
  }
  if (k % 2) __asm__ volatile("fwait");
  __asm__ volatile("fsqrt\n\tfld1\n\tfdiv %st(2), %st\n\tfaddp");
  if (k % 4 == 0) __asm__ volatile("fsin");
}
static void finish(uint8_t out[10]) {
  __asm__ volatile("fstpt %0\n\tfninit" : "=m"(*(uint8_t(*)[10])out));
}

static int same(const uint8_t *a, const uint8_t *b) { return memcmp(a, b, 10) == 0; }
static void show(const char *name, const uint8_t *v) {
  int k;
  printf("%s:", name);
  for (k = 9; k >= 0; --k) printf(" %02x", v[k]);
  printf("\n");
}

static void run_switched(int fx, uint8_t ra[10], uint8_t rb[10]) {
  int k;
  use_fx = fx;
  owner = -1;
  started[0] = started[1] = 0;
  nm_count = 0;
  for (k = 0; k < STEPS; ++k) {
    switch_to(0);
    step_a(k);
    switch_to(1);
    step_b(k);
  }
  switch_to(0);
  finish(ra); /* #NM: brings A back */
  switch_to(1);
  finish(rb);
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  uint8_t ref_a[10], ref_b[10], a[10], b[10];
  int k;
  uint32_t r[4];
  cpuid(1, 0, r);
  CHECK((r[3] & 1) != 0);
  write_cr0((read_cr0() & ~(uint32_t)(CR0_EM | CR0_TS)) | CR0_MP | 0x20 /* NE */);
  rt_set_handler(VEC_NM, nm_handler);

  /* Reference: each task alone, no switching. */
  __asm__ volatile("fninit");
  for (k = 0; k < STEPS; ++k) step_a(k);
  finish(ref_a);
  for (k = 0; k < STEPS; ++k) step_b(k);
  finish(ref_b);
  show("task A alone", ref_a);
  show("task B alone", ref_b);
  CHECK(!same(ref_a, ref_b));

  run_switched(0, a, b);
  printf("FNSAVE/FRSTOR switching: %u #NM\n", nm_count);
  CHECK(nm_count == 2 * STEPS + 2);
  CHECK(same(a, ref_a));
  CHECK(same(b, ref_b));

  if (r[3] & (1u << 24)) {
    write_cr4(read_cr4() | 0x200 /* OSFXSR */);
    run_switched(1, a, b);
    printf("FXSAVE/FXRSTOR switching: %u #NM\n", nm_count);
    CHECK(nm_count == 2 * STEPS + 2);
    CHECK(same(a, ref_a));
    CHECK(same(b, ref_b));
  } else {
    printf("FXSR not advertised: FXSAVE switching not tested\n");
    CHECK(0);
  }
  write_cr0(read_cr0() & ~(uint32_t)CR0_TS);
  rt_finish();
}
