// --backend name -> ExecutionCore (see core_factory.h).
#include "machine/core_factory.h"

#include <fmt/format.h>

#include "cpu/interpreter.h"
#include "kvm_backend/kvm_core.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

std::unique_ptr<cpu::ExecutionCore> make_execution_core(const MachineConfig& cfg) {
  const std::string& backend = cfg.backend;
  if (backend == "interp") {
    cpu::Interpreter::Options o;
    o.decode_cache = cfg.decode_cache;
    o.blocks = cfg.interp_blocks;
    o.jump_cache = cfg.interp_jump_cache;
    o.chaining = cfg.interp_chaining;
    o.blocks_through_branches = cfg.interp_branch_blocks;
    o.fast_handlers = cfg.interp_fast_handlers;
    return std::make_unique<cpu::Interpreter>(o);
  }
  if (backend == "kvm") return kvm_backend::make_kvm_core(cfg);  // SetupError if KVM is unusable
  if (backend == "bt" || backend == "trap")
    throw SetupError(fmt::format("--backend {}: not implemented yet (use --backend interp)", backend));
  throw SetupError(fmt::format("--backend {}: unknown technique (choose interp or kvm; bt and trap "
                               "are planned)", backend));
}

std::unique_ptr<cpu::ExecutionCore> make_sibling_core(const MachineConfig& cfg,
                                                      const cpu::ExecutionCore& first, unsigned index) {
  if (cfg.backend == "kvm")
    if (const auto* kvm = dynamic_cast<const kvm_backend::KvmCore*>(&first))
      return kvm_backend::make_kvm_sibling_core(*kvm, index);
  return make_execution_core(cfg);
}

const std::vector<std::string>& implemented_backends() {
  static const std::vector<std::string> names{"interp", "kvm"};  // add bt, trap when they land
  return names;
}

}  // namespace vmlab::machine
