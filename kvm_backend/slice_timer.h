// SliceTimer: ends a KVM time slice. The interpreter's budget counts instructions; a vCPU
// inside KVM_RUN cannot count, so the KVM core turns the budget into host time and arms this
// one-shot per-thread POSIX timer. Its signal (SIGRTMIN+7, delivered to this thread only) makes
// KVM_RUN return EINTR, and sets kvm_run.immediate_exit so a signal that lands while the VMM is
// handling an exit makes the next KVM_RUN return at once instead of being lost. kick() sends the
// same signal to another vCPU thread (-smp N on threads): its slice ends the same way.
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
  // Kicks the vCPU thread `thread` (a pthread_t) out of KVM_RUN, the way QEMU's
  // qemu_cpu_kick does: the same signal as the timer, so the slice of the run() call that
  // thread is in ends (KVM_RUN returns EINTR, or at once through immediate_exit if the signal
  // lands outside it). Async-signal-safe. Returns false if the signal could not be sent.
  static bool kick(unsigned long thread);
  // Installs the signal handler (done by arm() too); call before the first kick().
  static std::string prepare();

 private:
  timer_t timer_{};
  bool created_ = false;
  pid_t tid_ = 0;  // the thread the timer signals
};

}  // namespace vmlab::kvm_backend
