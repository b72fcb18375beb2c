// --backend name -> ExecutionCore (see core_factory.h).
#include "machine/core_factory.h"

#include <fmt/format.h>
#include <unistd.h>

#include "bt/translator.h"
#include "cpu/interpreter.h"
#include "kvm_backend/kvm_core.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

std::unique_ptr<cpu::ExecutionCore> make_execution_core(const MachineConfig& cfg) {
  const std::string& backend = cfg.backend;
  if (backend == "interp" || backend == "bt") {
    cpu::Interpreter::Options o;
    o.decode_cache = cfg.decode_cache;
    o.blocks = cfg.interp_blocks;
    o.jump_cache = cfg.interp_jump_cache;
    o.chaining = cfg.interp_chaining;
    o.blocks_through_branches = cfg.interp_branch_blocks;
    o.fast_handlers = cfg.interp_fast_handlers;
    o.threaded = cfg.interp_threaded;
    o.flat_segments = cfg.interp_flat_segments;
    o.hot_runs = cfg.bt_hot_runs;
    if (backend == "interp") return std::make_unique<cpu::Interpreter>(o);
    // bt translates the interpreter's cached blocks, so it needs them (docs/bt.md).
    if (!o.decode_cache || !o.blocks || !o.chaining || !o.jump_cache)
      throw SetupError("--backend bt: translates cached, chained blocks; drop --no-decode-cache, "
                       "--no-blocks, --no-jump-cache and --no-chaining (or use --backend interp)");
    auto translator = std::make_unique<bt::Translator>();
    if (!translator->has_code_memory())
      throw SetupError(fmt::format("--backend bt: cannot map {} MiB of address space for host code; "
                                   "raise the limit (ulimit -v) or use --backend interp",
                                   bt::Translator::kDefaultCodeBytes >> 20));
    if (cfg.bt_perf_map && !translator->write_perf_map())
      throw SetupError(fmt::format("--bt-perf-map: cannot write /tmp/perf-{}.map; check that /tmp "
                                   "is writable", getpid()));
    return std::make_unique<cpu::Interpreter>(o, std::move(translator));
  }
  if (backend == "kvm") return kvm_backend::make_kvm_core(cfg);  // SetupError if KVM is unusable
  if (backend == "trap")
    throw SetupError(fmt::format("--backend {}: not implemented yet (use --backend interp)", backend));
  throw SetupError(fmt::format("--backend {}: unknown technique (choose interp, bt or kvm; trap "
                               "is planned)", backend));
}

std::unique_ptr<cpu::ExecutionCore> make_sibling_core(const MachineConfig& cfg,
                                                      const cpu::ExecutionCore& first, unsigned index) {
  if (cfg.backend == "kvm")
    if (const auto* kvm = dynamic_cast<const kvm_backend::KvmCore*>(&first))
      return kvm_backend::make_kvm_sibling_core(*kvm, index);
  return make_execution_core(cfg);
}

const std::vector<std::string>& implemented_backends() {
  static const std::vector<std::string> names{"interp", "bt", "kvm"};  // add trap when it lands
  return names;
}

}  // namespace vmlab::machine
