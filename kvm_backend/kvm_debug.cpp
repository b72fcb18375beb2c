// DebugHooks -> KVM_SET_GUEST_DEBUG, KVM_EXIT_DEBUG -> what happened (see kvm_debug.h).
#include "kvm_backend/kvm_debug.h"

namespace vmlab::kvm_backend {

namespace {
constexpr uint32_t kDr6Bs = 1u << 14;   // single step
constexpr uint32_t kDr6Bmask = 0xF;     // B0-B3: which DRn matched
constexpr uint64_t kDr7Reserved1 = 1u << 10;
}  // namespace

GuestDebugPlan plan_guest_debug(const cpu::DebugHooks& h, uint32_t lin, bool skipping) {
  GuestDebugPlan p;
  if (!h.active() && !skipping) return p;
  p.enabled = true;
  p.single_step = h.single_step || skipping;
  if (h.breakpoints.size() > kHwBreakpoints) {
    // Stepping compares every EIP with the whole list (a skip step is then just a step).
    p.match_in_software = true;
    p.single_step = true;
    return p;
  }
  for (uint32_t bp : h.breakpoints) {
    if (skipping && bp == lin) continue;  // the instruction being resumed from
    p.hw[p.hw_count++] = bp;
  }
  return p;
}

kvm_guest_debug to_kvm(const GuestDebugPlan& p) {
  kvm_guest_debug d{};
  if (!p.enabled) return d;  // control 0: debugging off, the guest's own DR7 back in force
  d.control = KVM_GUESTDBG_ENABLE;
  if (p.single_step) d.control |= KVM_GUESTDBG_SINGLESTEP;
  if (p.hw_count) {
    d.control |= KVM_GUESTDBG_USE_HW_BP;
    uint64_t dr7 = kDr7Reserved1;
    for (unsigned i = 0; i < p.hw_count; ++i) {
      d.arch.debugreg[i] = p.hw[i];
      dr7 |= 1ull << (2 * i);  // Ln; R/Wn = 00 (execute), LENn = 00 (1 byte)
    }
    d.arch.debugreg[7] = dr7;
  }
  return d;
}

DebugEvent classify_debug_exit(const kvm_debug_exit_arch& a) {
  if (a.exception != 1) return DebugEvent::Other;  // #DB is the only one requested
  if (a.dr6 & kDr6Bmask) return DebugEvent::HwBreakpoint;
  if (a.dr6 & kDr6Bs) return DebugEvent::Step;
  return DebugEvent::Other;
}

}  // namespace vmlab::kvm_backend
