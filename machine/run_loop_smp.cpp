// Machine::run_smp: the run loop with more than one vCPU. All vCPUs run in this one host
// thread, round-robin: each round gives every running vCPU the same instruction budget, in
// APIC-ID order, so a run is as deterministic as with one CPU (docs/smp.md).
//
// Virtual time in a round: every vCPU starts at the round's start time and sees its own
// instructions move the clock (the clock follows the running vCPU's retired-instruction
// counter); after the round the clock advances by the longest run, as if the vCPUs had run side
// by side. Timers fire between rounds. The CPUs' time-stamp counters are brought back to the
// machine's time after every round, so all CPUs read the same TSC (as on one board).
#include <algorithm>
#include <fmt/format.h>

#include "machine/machine.h"
#include "machine/register_dump.h"

namespace vmlab::machine {

namespace {
// Longest round: the interleaving granularity between vCPUs (a spinning CPU waits at most this
// many instructions of each other CPU for what it spins on).
constexpr uint64_t kMaxRound = 10'000;

}  // namespace

RunResult Machine::run_smp() {
  // Turns taken in one thread: a vCPU spinning with PAUSE hands the turn on (Vcpu::yield_on_pause).
  for (CpuSlot& c : cpus_) c.vcpu->yield_on_pause = true;
  for (;;) {
    RunResult stop;
    if (stop_requested(stop)) return stop;
    if (service_host_input()) continue;  // paused (monitor, debugger): only host input is served

    uint64_t budget = clock_.instruction_budget(kMaxRound);
    if (cfg_.max_instructions) budget = std::min(budget, cfg_.max_instructions - instructions_);
    uint64_t longest = 0;
    bool progressed = false;
    bool rebooted = false;
    for (unsigned i = 0; i < cpus_.size() && !rebooted && !paused(); ++i) {
      CpuSlot& c = cpus_[i];
      if (c.wait_for_sipi) continue;
      cpu::Vcpu& v = *c.vcpu;
      lapic_window_.select(c.lapic.get());
      clock_.attach_instruction_counter(&v.s.instructions_retired);
      cpu::Exit e = c.core->run(v, budget);
      instructions_ += e.executed;
      longest = std::max(longest, e.executed);
      if (v.attention.load() & cpu::kAttnShutdown) e.reason = cpu::ExitReason::Shutdown;
      switch (e.reason) {
        case cpu::ExitReason::BudgetSpent:
          progressed = true;
          break;
        case cpu::ExitReason::Breakpoint:  // the debugger's: all CPUs stop (all-stop mode)
          progressed = true;
          if (debug_stop_) {
            pause();
            debug_stop_(i);
          }
          break;
        case cpu::ExitReason::Attention:
          v.attention.fetch_and(~cpu::kAttnStop);
          progressed = true;  // a request: checked at the top of the next round
          break;
        case cpu::ExitReason::Halted:
          if (e.executed) progressed = true;
          break;
        case cpu::ExitReason::Shutdown:
          // A triple fault on any processor resets the whole machine (what the chipset does
          // with the shutdown cycle), or stops with -no-reboot.
          v.attention.fetch_and(~cpu::kAttnShutdown);
          if (cfg_.no_reboot)
            return finish(StopKind::TripleFault, kExitTripleFault,
                          fmt::format("triple fault (CPU shutdown) on CPU {} with -no-reboot; registers:\n{}",
                                      i, format_registers(v.s)));
          ++resets_;
          reset();
          rebooted = true;
          break;
        case cpu::ExitReason::InternalError:
          return finish(StopKind::InternalError, kExitInternal,
                        fmt::format("internal error in core '{}' on CPU {}: {}\n{}", c.core->name(), i,
                                    e.message, format_registers(v.s)));
      }
      service_apic_signals();
    }
    if (rebooted) continue;
    clock_.advance_instructions(longest);
    sync_tsc();
    clock_.run_due();
    if (progressed) continue;

    // Every vCPU is halted or waiting for STARTUP. Something may be deliverable already (an IPI
    // or timer fired this round); otherwise sleep to the next timer.
    bool wakeable = false, any_if = false;
    for (CpuSlot& c : cpus_) {
      if (c.wait_for_sipi) continue;
      if (can_take_event(*c.vcpu)) wakeable = true;
      if (c.vcpu->s.eflags & cpu::IF) any_if = true;
    }
    if (wakeable) continue;
    if (!any_if)
      return finish(StopKind::HaltedForever, kExitOk,
                    "every CPU halted with interrupts disabled (or waits for a STARTUP IPI); "
                    "nothing can wake them, stopping");
    if (auto deadline = clock_.next_deadline()) {
      ++halts_idle_;
      if (idle_wait_for_input(*deadline)) continue;  // host input (serial IRQ) may wake a CPU
      clock_.idle_until(*deadline);
      clock_.run_due();
      continue;
    }
    if (host_input_can_wake()) {
      wait_host_input(100);
      continue;
    }
    return finish(StopKind::HaltedForever, kExitOk,
                  "every CPU halted waiting for an interrupt, but no timer or device can raise "
                  "one; stopping");
  }
}

}  // namespace vmlab::machine
