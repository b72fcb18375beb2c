// RunWatchdog: turns an execution core that does not return into a reported failure. A
// background thread watches the armed run; past the time limit it sets kAttnStop on the Vcpu
// (the core checks attention between instructions and returns), and disarm() says it fired.
// A core stuck inside one instruction never sees the bit: callers keep a process-level backstop.
//
//   RunWatchdog dog(2.0);
//   dog.arm(vcpu);
//   Exit e = core.run(vcpu, budget);
//   if (dog.disarm()) report("hang: run() did not return within 2 s");
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cpu/vcpu.h"

namespace vmlab::fuzz {

class RunWatchdog {
 public:
  explicit RunWatchdog(double seconds) : limit_(seconds), thread_([this] { loop(); }) {}
  ~RunWatchdog() {
    {
      std::lock_guard<std::mutex> g(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  RunWatchdog(const RunWatchdog&) = delete;
  RunWatchdog& operator=(const RunWatchdog&) = delete;

  void arm(cpu::Vcpu& v) {
    std::lock_guard<std::mutex> g(mu_);
    vcpu_ = &v;
    fired_ = false;
    since_ = std::chrono::steady_clock::now();
  }
  bool fired() {
    std::lock_guard<std::mutex> g(mu_);
    return fired_;
  }
  // Returns true when the limit passed during the armed run (kAttnStop is then cleared again).
  bool disarm() {
    std::lock_guard<std::mutex> g(mu_);
    bool f = fired_;
    if (f && vcpu_) vcpu_->attention.fetch_and(~cpu::kAttnStop);
    vcpu_ = nullptr;
    fired_ = false;
    return f;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> g(mu_);
    while (!quit_) {
      cv_.wait_for(g, std::chrono::milliseconds(20));
      if (vcpu_ && !fired_ &&
          std::chrono::steady_clock::now() - since_ > std::chrono::duration<double>(limit_)) {
        fired_ = true;
        vcpu_->attention.fetch_or(cpu::kAttnStop);
      }
    }
  }

  double limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  cpu::Vcpu* vcpu_ = nullptr;
  bool fired_ = false;
  bool quit_ = false;
  std::chrono::steady_clock::time_point since_;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace vmlab::fuzz
