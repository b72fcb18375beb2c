// Machine::run: the run loop. It hands the core a budget that ends at the next timer deadline,
// then handles the core's exit (see the table in machine.h). Every exit is data, so
// tests/machine/run_loop_test.cpp drives this loop with a fabricated core.
#include <algorithm>
#include <fmt/format.h>

#include "machine/machine.h"
#include "machine/register_dump.h"

namespace vmlab::machine {

namespace {
// Longest slice between checks of timers and stop requests when no timer is closer.
constexpr uint64_t kMaxSlice = 100'000;
// A core that keeps returning without executing anything or making progress (0 instructions,
// BudgetSpent) would spin the host forever; after this many in a row it is an internal error.
constexpr unsigned kMaxEmptyExits = 1'000'000;
}  // namespace

RunResult Machine::finish(StopKind kind, int status, std::string message) {
  run_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  flush_output();
  return RunResult{kind, status, std::move(message)};
}

// HLT: can anything ever wake the CPU? Returns false (and fills `out`) when not.
bool Machine::handle_halt(RunResult& out) {
  const cpu::CpuState& s = vcpu_.s;
  if (s.events.nmi_pending && !s.events.nmi_blocked) return true;  // the core delivers it
  if (!(s.eflags & cpu::IF)) {
    out = finish(StopKind::HaltedForever, kExitOk,
                 fmt::format("guest halted with interrupts disabled (CLI; HLT) at {:04x}:{:08x}; "
                             "nothing can wake it, stopping", s.seg[cpu::CS].selector, s.eip));
    return false;
  }
  if (vcpu_.intr && vcpu_.intr->intr_pending()) return true;
  if (auto deadline = clock_.next_deadline()) {
    ++halts_idle_;
    if (idle_wait_for_input(*deadline)) return true;  // host input (serial IRQ) may wake it
    clock_.idle_until(*deadline);
    clock_.run_due();
    return true;
  }
  if (host_input_can_wake()) {  // serial input or the monitor can still come: wait for it
    wait_host_input(100);
    return true;
  }
  out = finish(StopKind::HaltedForever, kExitOk,
               fmt::format("guest halted at {:04x}:{:08x} waiting for an interrupt, but no timer "
                           "or device can raise one; stopping", s.seg[cpu::CS].selector, s.eip));
  return false;
}

// Requests that end the run (or reset the machine) between slices. True = stop with `out`.
bool Machine::stop_requested(RunResult& out) {
  if (int sig = stop_signal_.load()) {
    out = finish(StopKind::Signal, 128 + sig, fmt::format("stopped by signal {}", sig));
    return true;
  }
  if (exit_requested_.load()) {
    out = finish(StopKind::GuestExit, int(exit_status_.load() & 0xFF), "");
    return true;
  }
  if (reset_requested_.load()) {
    if (cfg_.no_reboot) {
      out = finish(StopKind::ResetRequested, kExitOk, "guest requested a reset; -no-reboot: stopping");
      return true;
    }
    ++resets_;
    reset();
  }
  if (cfg_.max_instructions && instructions_ >= cfg_.max_instructions) {
    out = finish(StopKind::InstructionLimit, kExitOk,
                 fmt::format("instruction limit reached ({} instructions)", instructions_));
    return true;
  }
  return false;
}

RunResult Machine::run() {
  started_ = std::chrono::steady_clock::now();
  if (cpus_.size() > 1) return threads_wanted() ? run_threaded() : run_smp();
  unsigned empty_exits = 0;
  for (;;) {
    RunResult stop;
    if (stop_requested(stop)) return stop;
    if (service_host_input()) continue;  // paused by the monitor: only host input is served

    uint64_t budget = clock_.instruction_budget(kMaxSlice);
    if (cfg_.max_instructions) budget = std::min(budget, cfg_.max_instructions - instructions_);
    cpu::Exit e = core_->run(vcpu_, budget);
    instructions_ += e.executed;
    clock_.advance_instructions(e.executed);
    clock_.run_due();
    service_apic_signals();  // a self-IPI (NMI, INIT) the slice sent

    if (vcpu_.attention.load() & cpu::kAttnShutdown) e.reason = cpu::ExitReason::Shutdown;
    if (e.executed == 0 && e.reason == cpu::ExitReason::BudgetSpent) {
      if (++empty_exits >= kMaxEmptyExits)
        return finish(StopKind::InternalError, kExitInternal,
                      fmt::format("internal error: core '{}' makes no progress", core_->name()));
    } else {
      empty_exits = 0;
    }

    switch (e.reason) {
      case cpu::ExitReason::BudgetSpent:
        break;
      case cpu::ExitReason::Breakpoint:  // the debugger's: stop and tell it (no debugger: go on)
        if (debug_stop_) {
          pause();
          debug_stop_(0);
        }
        break;
      case cpu::ExitReason::Attention:
        // The stop bit has done its job (the core returned); requests are checked at the top.
        vcpu_.attention.fetch_and(~cpu::kAttnStop);
        break;
      case cpu::ExitReason::Halted: {
        RunResult out;
        if (!handle_halt(out)) return out;
        break;
      }
      case cpu::ExitReason::Shutdown:
        vcpu_.attention.fetch_and(~cpu::kAttnShutdown);
        if (cfg_.no_reboot)
          return finish(StopKind::TripleFault, kExitTripleFault,
                        "triple fault (CPU shutdown) with -no-reboot; registers:\n" +
                            format_registers(vcpu_.s));
        ++resets_;
        reset();
        break;
      case cpu::ExitReason::InternalError:
        return finish(StopKind::InternalError, kExitInternal,
                      fmt::format("internal error in core '{}': {}\n{}", core_->name(), e.message,
                                  format_registers(vcpu_.s)));
    }
  }
}

}  // namespace vmlab::machine
