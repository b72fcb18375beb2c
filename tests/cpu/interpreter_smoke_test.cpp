// Small real-mode and 32-bit programs run on the interpreter end to end.
#include <doctest/doctest.h>
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

TEST_CASE("real_mode_loop_sums_one_to_ten") {
  TestMachine m;
  // xor ax,ax; mov cx,10; l: add ax,cx; loop l; hlt
  m.load(0x100, {0x31, 0xC0, 0xB9, 0x0A, 0x00, 0x01, 0xC8, 0xE2, 0xFC, 0xF4});
  Exit e = m.run();
  CHECK(e.reason == ExitReason::Halted);
  CHECK(m.reg(EAX) == 55);
  CHECK(m.reg(ECX) == 0);
  CHECK(m.v.s.eip == 0x10A);
  CHECK(e.executed == 1 + 1 + 20 + 1);
}
