// KvmCore: guest debugging - the gdb stub's DebugHooks on KVM (see kvm_debug.h, docs/kvm.md).
#include "kvm_backend/kvm_core.h"

#include <algorithm>

#include "cpu/vcpu.h"

namespace vmlab::kvm_backend {

namespace {
// While watchpoints exist the interpreter runs slices this long (it checks every access).
constexpr uint64_t kWatchedSlice = 100'000;
}  // namespace

std::string KvmCore::apply_guest_debug(cpu::Vcpu& v, bool skipping) {
  const uint32_t lin = v.s.seg[cpu::CS].base + v.s.eip;
  const GuestDebugPlan p = plan_guest_debug(v.debug, lin, skipping);
  debug_skip_step_ = skipping;
  if (p == debug_applied_) return "";
  kvm_guest_debug d = to_kvm(p);
  if (std::string e = dev_->vcpu_ioctl(KVM_SET_GUEST_DEBUG, &d, "KVM_SET_GUEST_DEBUG"); !e.empty()) return e;
  debug_applied_ = p;
  return "";
}

bool KvmCore::on_debug_exit(cpu::Vcpu& v, const kvm_run& run, std::string& error) {
  // arch.pc is the linear address of the next instruction (CS base + EIP).
  const uint32_t lin = uint32_t(run.debug.arch.pc);
  switch (classify_debug_exit(run.debug.arch)) {
    case DebugEvent::HwBreakpoint:
      v.debug.hit = {cpu::DebugStop::Breakpoint, lin, cpu::WatchKind::Write};
      return true;
    case DebugEvent::Step:
      if (debug_skip_step_) {
        // Off the breakpoint resumed from: from here on it counts again.
        v.debug.skip_breakpoint_once = false;
        if (!v.debug.single_step) {
          error = apply_guest_debug(v, false);
          if (!error.empty()) return true;
        }
        debug_skip_step_ = false;
      }
      if (v.debug.single_step) {
        v.debug.hit = {cpu::DebugStop::Step, lin, cpu::WatchKind::Write};
        return true;
      }
      if (debug_applied_.match_in_software && v.debug.has_breakpoint(lin)) {
        v.debug.hit = {cpu::DebugStop::Breakpoint, lin, cpu::WatchKind::Write};
        return true;
      }
      return false;
    case DebugEvent::Other:
      break;
  }
  return false;  // nothing the debugger asked for: the guest goes on
}

cpu::Exit KvmCore::run_watched(cpu::Vcpu& v, uint64_t budget) {
  // kvm-pvm never reports data breakpoints (docs/kvm.md): while a watchpoint exists the
  // interpreter runs the guest - same CpuState, memory and buses - and checks every access.
  // The next KVM entry writes back whatever it changed (load_state's dirty check).
  v.tlb.flush_all();  // KVM may have changed page tables since the interpreter last ran
  const cpu::Exit e = fallback_.run(v, std::min(budget, kWatchedSlice));
  v.technique_id = cpu::kTechniqueKvm;
  counters_.watch_interp_instructions += e.executed;
  return e;
}

}  // namespace vmlab::kvm_backend
