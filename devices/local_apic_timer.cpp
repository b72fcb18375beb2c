// Local APIC timer on the virtual Clock. Nothing ticks: the count is a reference time and the
// count at that time; reads compute it, and only the next expiry is on the Clock.
#include "devices/local_apic.h"

namespace vmlab::devices {

uint64_t LocalApic::timer_tick_ns() const {
  // Divide configuration bits 0, 1, 3 (SDM Figure 10-10): 0b111 = 1, else 2 << value.
  uint32_t d = state_.timer_divide;
  uint32_t v = (d & 3) | ((d >> 1) & 4);
  uint64_t div = v == 7 ? 1 : uint64_t(2) << v;
  return kNsPerBusTick * div;
}

uint32_t LocalApic::timer_current_count() const {
  const State& s = state_;
  if (!s.timer_armed) return 0;
  uint64_t now = clock_.now_ns();
  uint64_t e = now > s.timer_ref_ns ? (now - s.timer_ref_ns) / timer_tick_ns() : 0;
  if (e < s.timer_ref_count) return uint32_t(s.timer_ref_count - e);
  if (!(s.lvt_timer & kLvtPeriodic)) return 0;
  return uint32_t(s.timer_initial - (e - s.timer_ref_count) % s.timer_initial);
}

// Moves the reference to the last whole tick before `now`, delivering the interrupt if an expiry
// has passed since (several missed periods coalesce into one IRR bit, as they would in IRR).
void LocalApic::timer_rebase(uint64_t now) {
  State& s = state_;
  if (!s.timer_armed) return;
  uint64_t t = timer_tick_ns();
  uint64_t e = now > s.timer_ref_ns ? (now - s.timer_ref_ns) / t : 0;
  if (e < s.timer_ref_count) {
    s.timer_ref_ns += e * t;
    s.timer_ref_count = uint32_t(s.timer_ref_count - e);
    return;
  }
  deliver_local(s.lvt_timer);  // a masked timer counts on but does not interrupt
  if (!(s.lvt_timer & kLvtPeriodic)) {
    s.timer_armed = false;
    s.timer_ref_count = 0;
    return;
  }
  uint64_t into = (e - s.timer_ref_count) % s.timer_initial;
  s.timer_ref_ns += e * t;
  s.timer_ref_count = uint32_t(s.timer_initial - into);
}

void LocalApic::timer_reschedule() {
  if (timer_) { clock_.cancel(timer_); timer_ = 0; }
  if (!state_.timer_armed) return;
  uint64_t deadline = state_.timer_ref_ns + uint64_t(state_.timer_ref_count) * timer_tick_ns();
  timer_ = clock_.schedule(deadline, [this] { timer_fire(); });
}

void LocalApic::timer_fire() {
  timer_ = 0;
  timer_rebase(clock_.now_ns());
  timer_reschedule();
}

}  // namespace vmlab::devices
