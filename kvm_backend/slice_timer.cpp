// SliceTimer: a per-thread one-shot POSIX timer that kicks the vCPU out of KVM_RUN.
#include "kvm_backend/slice_timer.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <mutex>
#include <pthread.h>

namespace vmlab::kvm_backend {

namespace {

// The slice of the thread the signal lands on. Only lock-free, async-signal-safe state.
thread_local kvm_run* t_run = nullptr;
thread_local volatile sig_atomic_t t_expired = 0;
std::atomic<uint64_t> g_signals{0};

extern "C" void on_slice_signal(int) {
  t_expired = 1;
  if (kvm_run* r = t_run) r->immediate_exit = 1;
  g_signals.fetch_add(1, std::memory_order_relaxed);
}

std::string install_handler() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_handler = on_slice_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return
    if (sigaction(SliceTimer::signal_number(), &sa, nullptr) < 0)
      error = fmt::format("sigaction: {}", std::strerror(errno));
  });
  return error;
}

}  // namespace

int SliceTimer::signal_number() { return SIGRTMIN + 7; }

std::string SliceTimer::prepare() { return install_handler(); }

bool SliceTimer::kick(unsigned long thread) {
  return thread && pthread_kill(pthread_t(thread), signal_number()) == 0;
}

SliceTimer::~SliceTimer() {
  if (created_) timer_delete(timer_);
}

std::string SliceTimer::arm(kvm_run* run, uint64_t ns) {
  if (std::string e = install_handler(); !e.empty()) return e;
  const pid_t tid = pid_t(syscall(SYS_gettid));
  if (created_ && tid != tid_) {  // run() moved to another thread: signal that one instead
    timer_delete(timer_);
    created_ = false;
  }
  if (!created_) {
    sigevent ev{};
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = signal_number();
    ev._sigev_un._tid = tid;  // glibc has no sigev_notify_thread_id macro before 2.37
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer_) < 0)
      return fmt::format("timer_create: {}", std::strerror(errno));
    created_ = true;
    tid_ = tid;
    // Unblock the signal on this thread (a host thread library may have blocked it).
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal_number());
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  }

  t_run = run;
  t_expired = 0;
  run->immediate_exit = 0;
  itimerspec its{};
  ns = ns ? ns : 1;
  its.it_value.tv_sec = time_t(ns / 1'000'000'000);
  its.it_value.tv_nsec = long(ns % 1'000'000'000);
  if (timer_settime(timer_, 0, &its, nullptr) < 0)
    return fmt::format("timer_settime: {}", std::strerror(errno));
  return "";
}

void SliceTimer::disarm() {
  // A kick (kick()) also sets t_expired while the timer may still be armed: disarm it anyway.
  if (created_) {
    itimerspec its{};
    timer_settime(timer_, 0, &its, nullptr);
  }
  if (t_run) t_run->immediate_exit = 0;
  t_run = nullptr;
}

bool SliceTimer::expired() const { return t_expired != 0; }

uint64_t SliceTimer::signals() const { return g_signals.load(std::memory_order_relaxed); }

}  // namespace vmlab::kvm_backend
