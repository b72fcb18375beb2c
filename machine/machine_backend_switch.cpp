// Machine::switch_backend: the monitor's `backend NAME` - the running machine changes its
// execution technique between slices. Every core leaves its vCPU's complete state in CpuState
// when run() returns (the interpreter works on it directly; the KVM core reads every register
// group back at each exit), so a switch is: new cores in, caches that the old technique could
// have let go stale dropped, go on. Guest memory, devices and interrupt controllers are the
// machine's and do not move.
#include <algorithm>
#include <fmt/format.h>

#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

std::string Machine::switch_backend(const std::string& backend) {
  if (backend == cfg_.backend) return "";
  if (kernel_irqchip())  // checked before the vCPU threads park: a refusal changes nothing
    return "the interrupt controllers are KVM's (--kvm-irqchip kernel) and their state (8259s, "
           "IOAPIC, local APICs) does not move to vmlab's models; run with --kvm-irqchip user to "
           "switch techniques";
  // vCPU threads (run_loop_threaded.cpp) leave their cores first; the threaded loop then ends
  // and the run goes on in the one-thread loop on the new technique.
  if (threaded_) park_all(*threaded_);
  MachineConfig next = cfg_;
  next.backend = backend;

  // The new cores: the ones parked when the machine last left this technique, or fresh ones
  // (the factory refuses what cannot run here, with the same message as --backend).
  std::vector<std::unique_ptr<cpu::ExecutionCore>> cores;
  bool fresh = false;
  auto parked = std::find_if(parked_cores_.begin(), parked_cores_.end(),
                             [&](const ParkedCores& p) { return p.backend == backend; });
  if (parked != parked_cores_.end()) {
    cores = std::move(parked->cores);
    parked_cores_.erase(parked);
  } else {
    try {
      cores.push_back(make_execution_core(next));
      for (size_t i = 1; i < cpus_.size(); ++i) cores.push_back(make_sibling_core(next, *cores[0], unsigned(i)));
    } catch (const SetupError& e) {
      return e.what();
    }
    fresh = true;
  }

  // Park the current ones (Stats reads their counters; a switch back reuses them).
  ParkedCores old{cfg_.backend, {}};
  old.cores.push_back(std::move(core_));
  for (auto& c : ap_cores_) old.cores.push_back(std::move(c));
  parked_cores_.push_back(std::move(old));

  core_ = std::move(cores[0]);
  ap_cores_.clear();
  for (size_t i = 1; i < cores.size(); ++i) ap_cores_.push_back(std::move(cores[i]));
  cpus_[0].core = core_.get();
  for (size_t i = 1; i < cpus_.size(); ++i) cpus_[i].core = ap_cores_[i - 1].get();
  cfg_.backend = backend;
  if (fresh) core_->register_stats(stats_);  // kvm.exits.* appear from the first switch on

  // Guest memory changed under the parked cores without them seeing it (KVM's writes do not
  // pass through GuestMemory::note_write): a core coming back must not trust what it decoded
  // or translated before. The KVM core also reloads every register group on its next run.
  for (CpuSlot& c : cpus_) {
    c.core->flush_code_cache();
    c.vcpu->tlb.flush_all();
  }
  return "";
}

}  // namespace vmlab::machine
