// make_execution_core: the --backend name -> an ExecutionCore. Techniques that are planned but
// not built yet are refused with a SetupError that says so.
#pragma once
#include <memory>
#include <string>
#include "cpu/execution_core.h"
#include "machine/machine_config.h"

namespace vmlab::machine {

std::unique_ptr<cpu::ExecutionCore> make_execution_core(const MachineConfig& cfg);

}  // namespace vmlab::machine
