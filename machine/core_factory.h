// make_execution_core: the --backend name -> an ExecutionCore. Techniques that are planned but
// not built yet are refused with a SetupError that says so. make_sibling_core: the cores of the
// other vCPUs of the same machine (-smp N).
//
//   auto bsp = make_execution_core(cfg);
//   auto ap1 = make_sibling_core(cfg, *bsp, 1);   // kvm: vCPU 1 of bsp's VM
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "cpu/execution_core.h"
#include "machine/machine_config.h"

namespace vmlab::machine {

std::unique_ptr<cpu::ExecutionCore> make_execution_core(const MachineConfig& cfg);

// The core for vCPU `index` (1..N-1) of a machine whose vCPU 0 runs on `first`. For kvm it is
// a vCPU of first's VM (one VM with N vCPUs, KVM_CREATE_VCPU id = APIC ID); any other core is
// independent of its siblings, so this is make_execution_core(cfg).
std::unique_ptr<cpu::ExecutionCore> make_sibling_core(const MachineConfig& cfg,
                                                      const cpu::ExecutionCore& first, unsigned index);

// The --backend names this binary implements (vmlab --list-backends; bench/compare runs each).
// A listed technique may still be unusable on this host (kvm without /dev/kvm): SetupError.
const std::vector<std::string>& implemented_backends();

}  // namespace vmlab::machine
