// Guest debugging on KVM: the vCPU's cpu::DebugHooks (the gdb stub's breakpoints, single step,
// watchpoints) as KVM_SET_GUEST_DEBUG settings, and KVM_EXIT_DEBUG read back as the hit the
// interpreter would report. What kvm-pvm (this host's KVM) does with each, measured, is in
// docs/kvm.md ("Guest debugging"):
//   - single step: KVM_GUESTDBG_SINGLESTEP, one KVM_EXIT_DEBUG (DR6.BS) per instruction;
//   - breakpoints: up to 4 in the debug registers (KVM_GUESTDBG_USE_HW_BP, DR0-DR3 execute);
//     more than 4: single-step and compare each EIP in software. Software breakpoints (INT3 with
//     KVM_GUESTDBG_USE_SW_BP) are not used: kvm-pvm hangs (real mode) or fails to emulate INT3;
//   - a resume from a breakpoint steps one instruction without it (kvm-pvm ignores EFLAGS.RF);
//   - watchpoints: kvm-pvm never reports data breakpoints, so while any exists the core runs
//     the guest on its interpreter, which checks them on every access.
#pragma once
#include <linux/kvm.h>

#include <array>
#include <cstdint>

#include "cpu/debug_hooks.h"

namespace vmlab::kvm_backend {

inline constexpr unsigned kHwBreakpoints = 4;  // DR0-DR3

// What KVM_SET_GUEST_DEBUG is told (compared with the last applied one to skip the ioctl).
struct GuestDebugPlan {
  bool enabled = false;
  bool single_step = false;        // KVM_GUESTDBG_SINGLESTEP
  bool match_in_software = false;  // more breakpoints than debug registers: step, compare EIP
  unsigned hw_count = 0;           // DR0.. used, execute breakpoints
  std::array<uint32_t, kHwBreakpoints> hw{};
  bool operator==(const GuestDebugPlan&) const = default;
};

// The plan for `h` with the CPU at linear EIP `lin`. `skipping`: resume from the breakpoint at
// `lin`: one step with that breakpoint left out.
GuestDebugPlan plan_guest_debug(const cpu::DebugHooks& h, uint32_t lin, bool skipping);
kvm_guest_debug to_kvm(const GuestDebugPlan& p);

// A KVM_EXIT_DEBUG, classified.
enum class DebugEvent : uint8_t { HwBreakpoint, Step, Other };
DebugEvent classify_debug_exit(const kvm_debug_exit_arch& a);

}  // namespace vmlab::kvm_backend
