// SliceTimer: ends a KVM time slice. The interpreter's budget counts instructions; a vCPU
// inside KVM_RUN cannot count, so the KVM core turns the budget into host time and arms this
// one-shot per-thread POSIX timer. Its signal (SIGRTMIN+7, delivered to this thread only) makes
// KVM_RUN return EINTR, and sets kvm_run.immediate_exit so a signal that lands while the VMM is
// handling an exit makes the next KVM_RUN return at once instead of being lost.
//
//   SliceTimer t;                        // per vCPU thread
//   t.arm(&run_page, 500'000);           // 0.5 ms
//   while (!t.expired()) ioctl(vcpu, KVM_RUN, 0);
//   t.disarm();
#pragma once
#include <linux/kvm.h>
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <string>

namespace vmlab::kvm_backend {

class SliceTimer {
 public:
  SliceTimer() = default;
  ~SliceTimer();
  SliceTimer(const SliceTimer&) = delete;
  SliceTimer& operator=(const SliceTimer&) = delete;

  // Starts a slice of `ns` on the calling thread. Returns "" or what failed.
  std::string arm(kvm_run* run, uint64_t ns);
  void disarm();
  bool expired() const;
  uint64_t signals() const;  // slices ended by the signal (all threads), for stats

  static int signal_number();

 private:
  timer_t timer_{};
  bool created_ = false;
  pid_t tid_ = 0;  // the thread the timer signals
};

}  // namespace vmlab::kvm_backend
