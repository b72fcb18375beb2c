// Clock: virtual time and timer events (see clock.h for the two modes).
#include "machine/clock.h"

#include <time.h>

#include <algorithm>

namespace vmlab::machine {

Clock::Clock(Mode mode) : mode_(mode) { host_start_ns_ = host_ns(); }

uint64_t Clock::host_ns() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

uint64_t Clock::now_ns() const {
  if (mode_ != Mode::Deterministic) return host_ns() - host_start_ns_;
  // Instructions retired since the last sync, if the counter is attached (and was not reset
  // behind our back: a smaller value counts as none).
  const uint64_t in_flight = (retired_ && *retired_ > retired_at_sync_) ? *retired_ - retired_at_sync_ : 0;
  return virtual_ns_ + in_flight * kNsPerInstruction;
}

void Clock::advance_instructions(uint64_t n) {
  if (mode_ == Mode::Deterministic) virtual_ns_ += n * kNsPerInstruction;
  if (retired_) retired_at_sync_ = *retired_;
}

void Clock::attach_instruction_counter(const uint64_t* retired) {
  retired_ = retired;
  retired_at_sync_ = retired ? *retired : 0;
}

void Clock::idle_until(uint64_t deadline_ns, uint64_t max_sleep_ns) {
  if (mode_ == Mode::Deterministic) {
    virtual_ns_ = std::max(now_ns(), deadline_ns);
    if (retired_) retired_at_sync_ = *retired_;
    return;
  }
  uint64_t now = now_ns();
  if (deadline_ns <= now) return;
  uint64_t wait = std::min(deadline_ns - now, max_sleep_ns);
  timespec ts{time_t(wait / 1'000'000'000ull), long(wait % 1'000'000'000ull)};
  nanosleep(&ts, nullptr);  // EINTR (a signal) just ends the nap early
}

TimerId Clock::schedule(uint64_t deadline_ns, std::function<void()> fn) {
  TimerId id = next_id_++;
  timers_.emplace(std::make_pair(deadline_ns, id), std::move(fn));
  deadline_of_[id] = deadline_ns;
  return id;
}

bool Clock::cancel(TimerId id) {
  auto it = deadline_of_.find(id);
  if (it == deadline_of_.end()) return false;
  timers_.erase({it->second, id});
  deadline_of_.erase(it);
  return true;
}

std::optional<uint64_t> Clock::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->first.first;
}

unsigned Clock::run_due() {
  unsigned fired = 0;
  uint64_t now = now_ns();
  // One at a time: a callback may schedule (even an already-due timer) or cancel others.
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    deadline_of_.erase(node.key().second);
    node.mapped()();
    ++fired;
  }
  return fired;
}

uint64_t Clock::instruction_budget(uint64_t max_slice, uint64_t realtime_slice) const {
  max_slice = std::max<uint64_t>(max_slice, 1);
  if (mode_ == Mode::RealTime) return std::clamp<uint64_t>(realtime_slice, 1, max_slice);
  auto next = next_deadline();
  if (!next) return max_slice;
  const uint64_t now = now_ns();
  if (*next <= now) return 1;
  uint64_t n = (*next - now + kNsPerInstruction - 1) / kNsPerInstruction;
  return std::clamp<uint64_t>(n, 1, max_slice);
}

}  // namespace vmlab::machine
