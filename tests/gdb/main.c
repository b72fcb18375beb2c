/* gdb_guest: a small multiboot guest for the gdb stub test (tests/gdb/run_gdb_test.sh): a
 * function to break in, a global to read and to watch, then the debug-exit port. */
#include "rt.h"

volatile uint32_t gdb_counter;
volatile uint32_t gdb_marker = 0x5EED1234;

__attribute__((noinline)) uint32_t gdb_work(uint32_t n) {
  uint32_t sum = 0;
  for (uint32_t i = 0; i < n; i++) sum += i * 3;
  return sum;
}

void guest_main(const struct mb_info *mb) {
  (void)mb;
  uint32_t s = gdb_work(100);
  gdb_counter = s;       /* the watchpoint fires here */
  printf("gdb guest: work %u counter %u\n", s, gdb_counter);
  CHECK(s == 14850);
  rt_finish();
}
