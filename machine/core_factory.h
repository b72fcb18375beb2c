// make_execution_core: the --backend name -> an ExecutionCore. Techniques that are planned but
// not built yet are refused with a SetupError that says so.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "cpu/execution_core.h"
#include "machine/machine_config.h"

namespace vmlab::machine {

std::unique_ptr<cpu::ExecutionCore> make_execution_core(const MachineConfig& cfg);

// The --backend names this binary implements (vmlab --list-backends; bench/compare runs each).
// A listed technique may still be unusable on this host (kvm without /dev/kvm): SetupError.
const std::vector<std::string>& implemented_backends();

}  // namespace vmlab::machine
