// Clock: the machine's virtual time in nanoseconds, and timer events on it.
//
// Two modes:
//   Deterministic - time is derived from work done: every retired guest instruction advances it
//                   by kNsPerInstruction (10 ns, i.e. a 100 MIPS virtual CPU), and an idle
//                   (halted) CPU jumps straight to the next timer deadline. Two runs of the same
//                   guest see the same times, so they print the same output and counters.
//   RealTime      - time is the host's monotonic clock since the machine started; an idle CPU
//                   sleeps until the next deadline.
//
//   Clock clock(Clock::Mode::Deterministic);
//   TimerId t = clock.schedule(clock.now_ns() + 1'000'000, [&] { pit.tick(); });
//   clock.advance_instructions(exit.executed);
//   clock.run_due();                 // fires every timer whose deadline has passed
//   clock.cancel(t);
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

namespace vmlab::machine {

using TimerId = uint64_t;

class Clock {
 public:
  enum class Mode : uint8_t { Deterministic, RealTime };
  static constexpr uint64_t kNsPerInstruction = 10;

  explicit Clock(Mode mode);
  Mode mode() const { return mode_; }

  uint64_t now_ns() const;
  // The CPU retired `n` instructions (moves deterministic time; real time moves by itself).
  void advance_instructions(uint64_t n);
  // Deterministic time also follows this counter of retired instructions (the CPU's
  // CpuState::instructions_retired) between advance_instructions() calls, so a device read in
  // the middle of a run slice (a PIT count, the RTC's update-in-progress bit) sees time move.
  void attach_instruction_counter(const uint64_t* retired);
  // The CPU is idle until `deadline_ns`: deterministic time jumps there; real time sleeps, but
  // at most `max_sleep_ns` so the caller can notice stop requests.
  void idle_until(uint64_t deadline_ns, uint64_t max_sleep_ns = 10'000'000);

  // Calls `fn` once when time reaches `deadline_ns`. The callback may schedule more timers.
  TimerId schedule(uint64_t deadline_ns, std::function<void()> fn);
  bool cancel(TimerId id);  // false if it already fired or never existed
  std::optional<uint64_t> next_deadline() const;
  size_t pending() const { return timers_.size(); }
  // Fires every timer whose deadline <= now, earliest first; returns how many fired.
  unsigned run_due();

  // How many instructions the CPU may run before the next deadline (at least 1, at most
  // `max_slice`). Real-time mode cannot predict: it returns `realtime_slice`.
  uint64_t instruction_budget(uint64_t max_slice, uint64_t realtime_slice = 20'000) const;

 private:
  uint64_t host_ns() const;
  Mode mode_;
  uint64_t virtual_ns_ = 0;     // deterministic time at the last advance_instructions()
  const uint64_t* retired_ = nullptr;  // the CPU's retired-instruction counter, if attached
  uint64_t retired_at_sync_ = 0;       // its value at the last advance_instructions()
  uint64_t host_start_ns_ = 0;  // real-time origin
  TimerId next_id_ = 1;
  std::map<std::pair<uint64_t, TimerId>, std::function<void()>> timers_;  // (deadline, id)
  std::unordered_map<TimerId, uint64_t> deadline_of_;
};

}  // namespace vmlab::machine
