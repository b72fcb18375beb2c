/* rt_dispatch: the C half of every exception/interrupt (see trap.S), and the check helpers
 * test guests use to report. */
#include "rt.h"

volatile struct trap_info rt_last;
static trap_handler handlers[256];
extern volatile uint32_t rt_jb_armed;
int rt_failures;

void rt_set_handler(int vector, trap_handler h) { handlers[vector] = h; }

void rt_dispatch(struct frame *f) {
  rt_last.vector = f->vector;
  rt_last.error = f->error;
  rt_last.eip = f->eip;
  rt_last.cs = f->cs;
  rt_last.eflags = f->eflags;
  rt_last.cr2 = f->vector == VEC_PF ? read_cr2() : 0;
  rt_last.count++;
  if (handlers[f->vector] && handlers[f->vector](f)) return; /* resume via IRET */
  if (rt_jb_armed) rt_longjmp((int)f->vector);
  static int reporting;
  if (reporting++) { /* faulted while printing the report: give up quietly */
    rt_puts("\nFAIL exception while reporting an exception\n");
    exit_with(0x7F);
  }
  printf("FAIL unexpected exception %u error 0x%x at %04x:%08x eflags 0x%x cr2 0x%x\n",
         f->vector, f->error, f->cs, f->eip, f->eflags, rt_last.cr2);
  exit_with(0x40 + (f->vector & 0x3F));
}

int rt_check(int ok, const char *what, const char *file, int line) {
  if (!ok) {
    rt_failures++;
    printf("FAIL %s:%d: %s\n", file, line, what);
  }
  return ok;
}

static int judge(const char *name, int got, int vector, int32_t error, const void *eip) {
  int ok = got == vector && (error < 0 || rt_last.error == (uint32_t)error) &&
           (!eip || rt_last.eip == (uint32_t)eip);
  if (got == RT_NO_TRAP) {
    printf("FAIL %s: no exception (expected vector %d)\n", name, vector);
  } else {
    printf("%s %s: vector %u error 0x%x eip 0x%08x", ok ? "ok" : "FAIL", name, rt_last.vector,
           rt_last.error, rt_last.eip);
    if (!ok) printf(" (expected vector %d error 0x%x eip %p)", vector, (uint32_t)error, eip);
    printf("\n");
  }
  if (!ok) rt_failures++;
  return ok;
}

int rt_expect_trap(const char *name, void (*fn)(void), int vector, int32_t error, const void *eip) {
  return judge(name, rt_catch(fn), vector, error, eip);
}

int rt_expect_user_trap(const char *name, void (*fn)(void), uint32_t eflags, int vector,
                        int32_t error, const void *eip) {
  return judge(name, rt_catch_user(fn, eflags), vector, error, eip);
}

void rt_finish(void) {
  if (rt_failures) {
    printf("FAILED: %d check(s) failed\n", rt_failures);
    exit_with(1);
  }
  printf("PASSED\n");
  exit_with(0);
}
