// Machine::run_threaded: -smp N on --backend kvm with one host thread per vCPU, all vCPUs in one
// KVM VM (docs/kvm.md, "SMP on kvm"). The shape is QEMU's:
//
//   - a vCPU thread holds the machine lock (big_lock_) all the time except inside KVM_RUN (the
//     KVM core releases it around the ioctl) and while it sleeps, so exit handling, the
//     interpreter fallback, interrupt acknowledge and the APIC/PIC/IOAPIC models run one at a
//     time, as they were written to;
//   - the main thread takes the lock for timers (real-time clock), host input, the monitor and
//     the gdb stub, and sleeps without it until the next timer;
//   - an interrupt, IPI, INIT/STARTUP or stop request for a vCPU inside KVM_RUN kicks it
//     (SliceTimer::kick: a signal + immediate_exit); a halted vCPU or one waiting for STARTUP
//     sleeps on its condition variable until wake_cpus() finds something for it;
//   - all-stop (monitor `stop`, gdb, reset, backend switch): every vCPU thread parks on its
//     condition variable, outside the core, so its CpuState is complete and may be changed.
//
// --kvm-threads off keeps the one-thread round-robin loop (run_loop_smp.cpp) for comparison.
#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <fmt/format.h>
#include <optional>
#include <thread>

#include "kvm_backend/kvm_core.h"
#include "kvm_backend/slice_timer.h"
#include "machine/machine.h"
#include "machine/register_dump.h"

namespace vmlab::machine {

namespace {
// Budget of one run() call on a vCPU thread: the KVM core turns it into host time (10 ns per
// instruction, at most its 20 ms slice). Long slices cost nothing here: kicks end them early.
constexpr uint64_t kThreadBudget = 2'000'000;
// The main thread wakes at least this often to poll host input (the monitor, serial, gdb, the
// window), or kLongTick when there is none.
constexpr auto kInputTick = std::chrono::milliseconds(1);
constexpr auto kLongTick = std::chrono::milliseconds(10);


bool apic_signal_pending(const devices::LocalApic& l) {
  const devices::LocalApic::State s = l.save();
  return s.pending_init || s.pending_sipi || s.pending_nmi;
}
}  // namespace

// Everything here is guarded by big_lock_.
struct Machine::ThreadedRun {
  struct Cpu {
    std::thread thread;
    std::condition_variable_any cv;        // the thread sleeps or parks here
    kvm_backend::KvmCore* kvm = nullptr;   // its core, when it is a KVM core
    bool sleeping = false;  // halted with nothing to take, or waiting for STARTUP
    // --kvm-irqchip kernel: KVM holds this vCPU in KVM_RUN waiting for INIT/STARTUP (its
    // mp_state at the end of its last run() call); the thread keeps entering KVM_RUN.
    bool kernel_waiting = false;
    bool parked = false;    // all-stop
    bool exited = false;
  };
  std::vector<std::unique_ptr<Cpu>> cpus;
  std::condition_variable_any main_cv;     // the main thread waits here (timers, requests)
  std::thread::id main_id;
  bool parking = false;                    // the main thread wants every vCPU thread parked
  bool quit = false;
  std::optional<RunResult> result;         // a vCPU thread ended the run (not yet finish()ed)
  int debug_stop = -1;                     // vCPU stopped by a debug hook, to report

  bool quiet() const {
    return std::all_of(cpus.begin(), cpus.end(),
                       [](const auto& c) { return c->parked || c->sleeping || c->exited; });
  }
};

namespace {
bool waits_for_startup(uint32_t mp_state) {
  return mp_state == KVM_MP_STATE_UNINITIALIZED || mp_state == KVM_MP_STATE_INIT_RECEIVED;
}
}  // namespace

// --kvm-irqchip kernel: the waits for STARTUP the vCPU threads reported may be stale (a SIPI
// needs no exit). Asks KVM for each one's mp_state now (a kick ends its KVM_RUN first).
bool Machine::kernel_waits_confirmed(ThreadedRun& t) {
  for (unsigned i = 0; i < t.cpus.size(); ++i) {
    ThreadedRun::Cpu& c = *t.cpus[i];
    if (!c.kernel_waiting || !c.kvm) continue;
    VcpuKick& k = kicks_[i];
    if (k.in_guest.load() && !k.kicked.exchange(true)) kvm_backend::SliceTimer::kick(k.thread.load());
    uint32_t mp = KVM_MP_STATE_RUNNABLE;
    if (!c.kvm->query_mp_state(mp).empty() || !waits_for_startup(mp)) return false;
  }
  return true;
}

bool Machine::threads_wanted() const {
  if (cfg_.backend != "kvm" || !cfg_.kvm_threads || cpus_.size() < 2) return false;
  return std::all_of(cpus_.begin(), cpus_.end(), [](const CpuSlot& c) {
    return dynamic_cast<kvm_backend::KvmCore*>(c.core) != nullptr;
  });
}

void Machine::wake_cpus() {
  if (!threaded_) return;
  ThreadedRun& t = *threaded_;
  for (unsigned i = 0; i < cpus_.size() && i < t.cpus.size(); ++i) {
    CpuSlot& c = cpus_[i];
    ThreadedRun::Cpu& me = *t.cpus[i];
    const bool signal = apic_signal_pending(*c.lapic);
    if (me.sleeping && (signal || (!c.wait_for_sipi && can_take_event(*c.vcpu)))) me.cv.notify_one();
    VcpuKick& k = kicks_[i];
    if (!k.in_guest.load()) continue;
    // Inside KVM_RUN: kick for an INIT/STARTUP/NMI, or for an interrupt KVM was not already
    // asked to exit for (an open interrupt-window request makes KVM exit by itself).
    bool want = signal;
    if (!want && c.vcpu->intr && c.vcpu->intr->intr_pending())
      want = !(me.kvm && me.kvm->interrupt_window_requested());
    if (want && !k.kicked.exchange(true)) kvm_backend::SliceTimer::kick(k.thread.load());
  }
}

void Machine::wait_until_parked() {
  if (!threaded_ || std::this_thread::get_id() != threaded_->main_id) return;
  ThreadedRun& t = *threaded_;
  // The caller holds big_lock_ (the main thread serves the monitor and gdb under it); waiting
  // releases it so the vCPU threads can leave their cores.
  t.main_cv.wait(big_lock_, [&] { return t.quiet(); });
}

void Machine::park_all(ThreadedRun& t) {
  t.parking = true;
  set_attention_all(cpu::kAttnStop);
  for (auto& c : t.cpus) c->cv.notify_one();  // sleeping threads park too
  t.main_cv.wait(big_lock_, [&] {
    return std::all_of(t.cpus.begin(), t.cpus.end(), [](const auto& c) { return c->parked || c->exited; });
  });
}

void Machine::vcpu_thread(ThreadedRun& t, unsigned i) {
  CpuSlot& c = cpus_[i];
  cpu::Vcpu& v = *c.vcpu;
  ThreadedRun::Cpu& me = *t.cpus[i];
  big_lock_.lock();
  kicks_[i].thread.store(static_cast<unsigned long>(pthread_self()));
  if (me.kvm) {
    devices::LocalApic* lapic = c.lapic.get();
    me.kvm->set_thread_link({&big_lock_, &kicks_[i].in_guest,
                             [this, lapic] { lapic_window_.select(lapic); },
                             [this] { wake_cpus(); }});
  }
  auto post = [&](StopKind kind, int status, std::string message) {
    if (!t.result) t.result = RunResult{kind, status, std::move(message)};
  };
  while (!t.quit) {
    if (t.parking || paused_.load()) {  // all-stop: stay out of the core until released
      me.parked = true;
      t.main_cv.notify_all();
      me.cv.wait(big_lock_);
      me.parked = false;
      continue;
    }
    service_apic_signals_of(i);
    const bool limit = cfg_.max_instructions && instructions_ >= cfg_.max_instructions;
    if (limit || t.result || c.wait_for_sipi || (v.s.events.halted && !can_take_event(v))) {
      me.sleeping = true;  // until wake_cpus() (or the main thread) has something for it
      t.main_cv.notify_all();
      me.cv.wait(big_lock_);
      me.sleeping = false;
      continue;
    }
    uint64_t budget = kThreadBudget;
    // --max-instructions is approximate here: the threads share what is left, and the KVM core
    // runs at least its minimum slice (1 ms, ~100 000 estimated instructions) per call.
    if (cfg_.max_instructions)
      budget = std::min(budget, (cfg_.max_instructions - instructions_) / cpus_.size() + 1);
    lapic_window_.select(c.lapic.get());
    cpu::Exit e = c.core->run(v, budget);  // releases big_lock_ only inside KVM_RUN
    kicks_[i].kicked.store(false);
    if (me.kvm && me.kvm->kernel_irqchip()) me.kernel_waiting = waits_for_startup(me.kvm->last_mp_state());
    instructions_ += e.executed;
    if (v.attention.load() & cpu::kAttnShutdown) e.reason = cpu::ExitReason::Shutdown;
    switch (e.reason) {
      case cpu::ExitReason::BudgetSpent:
      case cpu::ExitReason::Halted:  // the top of the loop sleeps until it can be woken
        break;
      case cpu::ExitReason::Attention:
        v.attention.fetch_and(~cpu::kAttnStop);
        break;
      case cpu::ExitReason::Breakpoint:  // all-stop: every CPU parks, the main thread reports
        if (debug_stop_) {
          t.debug_stop = int(i);
          pause();  // not the main thread: kicks the others, does not wait
        }
        break;
      case cpu::ExitReason::Shutdown:
        v.attention.fetch_and(~cpu::kAttnShutdown);
        if (cfg_.no_reboot)
          post(StopKind::TripleFault, kExitTripleFault,
               fmt::format("triple fault (CPU shutdown) on CPU {} with -no-reboot; registers:\n{}", i,
                           format_registers(v.s)));
        else
          request_reset();  // the main thread resets the whole machine with every thread parked
        break;
      case cpu::ExitReason::InternalError:
        post(StopKind::InternalError, kExitInternal,
             fmt::format("internal error in core '{}' on CPU {}: {}\n{}", c.core->name(), i, e.message,
                         format_registers(v.s)));
        break;
    }
    service_apic_signals_of(i);
    wake_cpus();
    if (t.result || exit_requested_.load() || reset_requested_.load() || stop_signal_.load() ||
        paused_.load() || (cfg_.max_instructions && instructions_ >= cfg_.max_instructions))
      t.main_cv.notify_all();
  }
  if (me.kvm) me.kvm->set_thread_link({});
  kicks_[i].thread.store(0);
  me.exited = true;
  t.main_cv.notify_all();
  big_lock_.unlock();
}

RunResult Machine::run_threaded() {
  ThreadedRun t;
  std::unique_lock<std::mutex> lk(big_lock_);
  if (std::string e = kvm_backend::SliceTimer::prepare(); !e.empty())
    return finish(StopKind::InternalError, kExitInternal, "cannot install the vCPU kick signal: " + e);
  t.main_id = std::this_thread::get_id();
  for (CpuSlot& c : cpus_) {
    t.cpus.push_back(std::make_unique<ThreadedRun::Cpu>());
    t.cpus.back()->kvm = dynamic_cast<kvm_backend::KvmCore*>(c.core);
  }
  threaded_ = &t;
  for (unsigned i = 0; i < cpus_.size(); ++i)
    t.cpus[i]->thread = std::thread([this, &t, i] { vcpu_thread(t, i); });

  RunResult out;
  bool switched = false;  // the monitor's `backend` left kvm: go on in the one-thread loop
  for (;;) {
    if (t.result) {
      out = finish(t.result->kind, t.result->status, t.result->message);
      break;
    }
    if (cfg_.backend != "kvm") {  // switch_backend parked every thread before it switched
      switched = true;
      break;
    }
    if (reset_requested_.load() && !cfg_.no_reboot) park_all(t);  // reset() rewrites every CPU
    if (stop_requested(out)) break;
    if (t.parking) {  // a reset or a refused backend switch is done: release the threads
      t.parking = false;
      for (auto& c : t.cpus) c->cv.notify_one();
    }

    if (paused()) {
      wait_until_parked();
      if (t.debug_stop >= 0 && debug_stop_) {
        const unsigned cpu = unsigned(t.debug_stop);
        t.debug_stop = -1;
        debug_stop_(cpu);
      }
      wait_host_input(0);  // never blocks with the lock held
    } else {
      service_host_input();
    }
    if (!paused()) {
      for (auto& c : t.cpus)
        if (c->parked) c->cv.notify_one();  // resumed (monitor `cont`, gdb continue)
      clock_.run_due();  // timers wait while paused, as in the one-thread loops
      wake_cpus();
    }

    // Every CPU asleep: the run ends when nothing can wake one (as the one-thread loops decide).
    const bool all_asleep = std::all_of(t.cpus.begin(), t.cpus.end(),
                                        [](const auto& c) { return c->sleeping || c->kernel_waiting; });
    if (all_asleep && !paused() && kernel_waits_confirmed(t)) {
      bool wakeable = false, any_if = false;
      for (unsigned i = 0; i < cpus_.size(); ++i) {
        CpuSlot& c = cpus_[i];
        if (apic_signal_pending(*c.lapic)) wakeable = true;
        if (c.wait_for_sipi || t.cpus[i]->kernel_waiting) continue;
        if (can_take_event(*c.vcpu)) wakeable = true;
        if (c.vcpu->s.eflags & cpu::IF) any_if = true;
      }
      if (!wakeable && !any_if) {
        out = finish(StopKind::HaltedForever, kExitOk,
                     "every CPU halted with interrupts disabled (or waits for a STARTUP IPI); "
                     "nothing can wake them, stopping");
        break;
      }
      if (!wakeable && !clock_.next_deadline() && !host_input_can_wake()) {
        out = finish(StopKind::HaltedForever, kExitOk,
                     "every CPU halted waiting for an interrupt, but no timer or device can raise "
                     "one; stopping");
        break;
      }
      if (!wakeable) ++halts_idle_;
    }

    // Sleep without the lock until the next timer or a vCPU thread's request.
    std::chrono::nanoseconds wait =
        (host_inputs_.empty() && host_pollers_.empty() && !paused()) ? kLongTick : kInputTick;
    if (auto deadline = clock_.next_deadline()) {
      const uint64_t now = clock_.now_ns();
      wait = std::min(wait, std::chrono::nanoseconds(*deadline > now ? *deadline - now : 0));
    }
    if (wait.count() > 0) t.main_cv.wait_for(big_lock_, wait);
  }

  // Stop every vCPU thread: out of KVM_RUN (kick), out of its sleep (notify), then join.
  t.quit = true;
  set_attention_all(cpu::kAttnStop);
  for (auto& c : t.cpus) c->cv.notify_one();
  lk.unlock();
  for (auto& c : t.cpus) c->thread.join();
  lk.lock();
  threaded_ = nullptr;
  flush_output();  // what the vCPUs wrote between finish() and leaving their cores
  lk.unlock();
  if (switched) return run_smp();
  return out;
}

}  // namespace vmlab::machine
