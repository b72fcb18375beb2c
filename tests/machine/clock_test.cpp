// Clock: deterministic time, timer ordering, cancellation, budgets, idling.
#include "machine/clock.h"

#include <doctest/doctest.h>

#include <vector>

using vmlab::machine::Clock;

TEST_CASE("clock_deterministic_time_follows_instructions") {
  Clock c(Clock::Mode::Deterministic);
  CHECK(c.now_ns() == 0);
  c.advance_instructions(1000);
  CHECK(c.now_ns() == 1000 * Clock::kNsPerInstruction);
}

TEST_CASE("clock_fires_due_timers_in_deadline_order_and_only_once") {
  Clock c(Clock::Mode::Deterministic);
  std::vector<int> order;
  c.schedule(300, [&] { order.push_back(3); });
  c.schedule(100, [&] { order.push_back(1); });
  auto t2 = c.schedule(200, [&] { order.push_back(2); });
  c.schedule(5000, [&] { order.push_back(9); });
  CHECK(*c.next_deadline() == 100);
  CHECK(c.cancel(t2));
  CHECK_FALSE(c.cancel(t2));
  c.advance_instructions(30);  // 300 ns
  CHECK(c.run_due() == 2);
  CHECK(order == std::vector<int>{1, 3});
  CHECK(c.run_due() == 0);
  CHECK(c.pending() == 1);
  CHECK(*c.next_deadline() == 5000);
}

TEST_CASE("clock_callback_may_reschedule_itself") {
  Clock c(Clock::Mode::Deterministic);
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    c.schedule(c.now_ns() + 100, tick);
  };
  c.schedule(100, tick);
  c.advance_instructions(10);
  CHECK(c.run_due() == 1);
  CHECK(ticks == 1);
  CHECK(*c.next_deadline() == 200);
}

TEST_CASE("clock_budget_reaches_exactly_the_next_deadline") {
  Clock c(Clock::Mode::Deterministic);
  CHECK(c.instruction_budget(50000) == 50000);
  c.schedule(1005, [] {});
  CHECK(c.instruction_budget(50000) == 101);  // rounds up: 101 insns = 1010 ns >= 1005
  CHECK(c.instruction_budget(7) == 7);
  c.advance_instructions(200);
  CHECK(c.instruction_budget(50000) == 1);  // overdue
}

TEST_CASE("clock_idle_jumps_to_deadline_in_deterministic_mode") {
  Clock c(Clock::Mode::Deterministic);
  c.advance_instructions(10);
  c.idle_until(1'000'000);
  CHECK(c.now_ns() == 1'000'000);
  c.idle_until(5);  // never backwards
  CHECK(c.now_ns() == 1'000'000);
}

TEST_CASE("clock_realtime_moves_with_the_host_and_ignores_instructions") {
  Clock c(Clock::Mode::RealTime);
  uint64_t t0 = c.now_ns();
  c.idle_until(t0 + 2'000'000);
  CHECK(c.now_ns() >= t0 + 2'000'000);
  CHECK(c.instruction_budget(1'000'000, 20'000) == 20'000);
}

TEST_CASE("deterministic_time_follows_the_attached_instruction_counter_within_a_slice") {
  using vmlab::machine::Clock;
  Clock clock(Clock::Mode::Deterministic);
  uint64_t retired = 1000;  // a CPU that already ran before the counter was attached
  clock.attach_instruction_counter(&retired);
  CHECK(clock.now_ns() == 0);
  retired += 7;  // mid-slice: the CPU has retired 7 more, the run loop has not synced yet
  CHECK(clock.now_ns() == 7 * Clock::kNsPerInstruction);
  clock.advance_instructions(7);  // end of the slice: no jump, no double counting
  CHECK(clock.now_ns() == 7 * Clock::kNsPerInstruction);
  retired = 5;  // counter reset behind the clock's back (e.g. a restore): time never goes back
  CHECK(clock.now_ns() == 7 * Clock::kNsPerInstruction);
  bool fired = false;
  clock.schedule(20 * Clock::kNsPerInstruction, [&] { fired = true; });
  CHECK(clock.instruction_budget(1000) == 13);
  clock.idle_until(20 * Clock::kNsPerInstruction);
  CHECK(clock.run_due() == 1);
  CHECK(fired);
}
