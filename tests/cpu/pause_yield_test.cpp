// PAUSE and Vcpu::yield_on_pause: on a machine that runs several vCPUs in turn on one thread,
// PAUSE ends the vCPU's slice right after it (before the lock attempt that follows it in a spin
// loop); otherwise PAUSE is a NOP and the slice runs to its budget.
#include <doctest/doctest.h>
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {
// 0x1000: L: inc eax; pause; inc ebx; jmp L     (a spin loop: pause, then the "lock attempt")
void load_spin(TestMachine& m) {
  m.flat32();
  m.load(0x1000, {0x40, 0xF3, 0x90, 0x43, 0xEB, 0xFA});
  m.v.s.eip = 0x1000;
}
}  // namespace

TEST_CASE("pause_ends_the_slice_right_after_it_with_yield_on_pause") {
  TestMachine m;
  load_spin(m);
  m.v.yield_on_pause = true;
  // Twice: the second run goes through cached (and chained) blocks.
  for (int round = 1; round <= 2; ++round) {
    const Exit e = m.run(100'000);
    CHECK(e.reason == ExitReason::BudgetSpent);
    CHECK(e.executed == (round == 1 ? 2u : 4u));  // inc eax; pause  (then inc ebx; jmp; inc; pause)
    CHECK(m.reg(EAX) == uint32_t(round));
    CHECK(m.reg(EBX) == uint32_t(round - 1));     // the instruction after PAUSE waits for the turn
    CHECK(m.v.s.eip == 0x1003);
    CHECK((m.v.attention.load() & kAttnYield) == 0);
  }
}

TEST_CASE("pause_is_a_nop_without_yield_on_pause") {
  TestMachine m;
  load_spin(m);
  const Exit e = m.run(100'000);
  CHECK(e.reason == ExitReason::BudgetSpent);
  CHECK(e.executed == 100'000);
  CHECK(m.reg(EAX) == 25'000);
  CHECK((m.v.attention.load() & kAttnYield) == 0);
}
