// Guest debugging on KVM: DebugHooks -> KVM_SET_GUEST_DEBUG settings (pure, no /dev/kvm), and
// on the real /dev/kvm (skipped with the reason printed without it): a breakpoint stops in KVM
// before its instruction, a resume steps off it, single steps go one instruction at a time,
// more breakpoints than debug registers are matched by stepping, a watchpoint reports the
// write, and with the hooks gone the guest runs freely again.
#include <doctest/doctest.h>

#include <vector>

#include "cpu/vcpu.h"
#include "kvm_backend/kvm_core.h"
#include "kvm_backend/kvm_debug.h"
#include "machine/setup_error.h"

using namespace vmlab;
using namespace vmlab::cpu;
using namespace vmlab::kvm_backend;

TEST_CASE("kvm_debug_plan_puts_four_breakpoints_in_debug_registers_and_more_in_software") {
  DebugHooks h;
  CHECK_FALSE(plan_guest_debug(h, 0x1000, false).enabled);
  CHECK(to_kvm(plan_guest_debug(h, 0x1000, false)).control == 0);
  h.breakpoints = {0x1000, 0x1004, 0x1008};
  GuestDebugPlan p = plan_guest_debug(h, 0x1000, false);
  CHECK(p.enabled);
  CHECK_FALSE(p.single_step);
  REQUIRE(p.hw_count == 3);
  kvm_guest_debug d = to_kvm(p);
  CHECK(d.control == (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP));
  CHECK(d.arch.debugreg[1] == 0x1004);
  CHECK(d.arch.debugreg[7] == (0x400u | 0x1 | 0x4 | 0x10));  // L0-L2, execute, 1 byte
  // Resuming from 0x1000: one step with that breakpoint left out.
  p = plan_guest_debug(h, 0x1000, true);
  CHECK(p.single_step);
  REQUIRE(p.hw_count == 2);
  CHECK(p.hw[0] == 0x1004);
  CHECK((to_kvm(p).control & KVM_GUESTDBG_SINGLESTEP) != 0);
  // Five breakpoints: no debug registers, every instruction stepped and compared.
  h.breakpoints = {1, 2, 3, 4, 5};
  p = plan_guest_debug(h, 0x1000, false);
  CHECK(p.match_in_software);
  CHECK(p.single_step);
  CHECK(p.hw_count == 0);
  CHECK(to_kvm(p).control == (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP));
  // Exits: DR6.B1 is a breakpoint, DR6.BS a step, anything but #DB is not ours.
  kvm_debug_exit_arch a{};
  a.exception = 1;
  a.dr6 = 0xFFFF0FF2;
  CHECK(classify_debug_exit(a) == DebugEvent::HwBreakpoint);
  a.dr6 = 0xFFFF4FF0;
  CHECK(classify_debug_exit(a) == DebugEvent::Step);
  a.exception = 3;
  CHECK(classify_debug_exit(a) == DebugEvent::Other);
}

namespace {

struct DebugMachine {
  machine::GuestMemory mem{2 << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  Vcpu v{mem, io, mmio};
  std::unique_ptr<ExecutionCore> core;

  // Real mode at 0:1000: inc ax x4 (0x1000-0x1003), mov [0x2000], al (0x1004), inc ax
  // (0x1007), cli; hlt (0x1008).
  DebugMachine() {
    reset_cpu_state(v.s);
    v.s.seg[CS] = SegmentCache{0, 0, 0xFFFF, 0x0093};
    v.s.eip = 0x1000;
    v.s.gpr[ESP] = 0x8000;
    const std::vector<uint8_t> code = {0x40, 0x40, 0x40, 0x40, 0xA2, 0x00, 0x20, 0x40, 0xFA, 0xF4};
    REQUIRE(mem.write_phys(0x1000, code));
  }
  bool open() {
    machine::MachineConfig cfg;
    cfg.backend = "kvm";
    try {
      core = make_kvm_core(cfg);
      return true;
    } catch (const machine::SetupError& e) {
      MESSAGE("skipped: " << e.what());
      return false;
    }
  }
  Exit run_until_exit() {
    Exit e;
    for (int i = 0; i < 200; ++i) {
      e = core->run(v, 1'000'000);
      if (e.reason != ExitReason::BudgetSpent) break;
    }
    return e;
  }
  KvmCore& kvm() { return static_cast<KvmCore&>(*core); }
};

}  // namespace

TEST_CASE("kvm_debug_breakpoint_step_and_resume_run_in_kvm") {
  DebugMachine m;
  if (!m.open()) return;
  m.v.debug.breakpoints = {0x1002};
  Exit e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Breakpoint);
  CHECK(m.v.debug.hit.kind == DebugStop::Breakpoint);
  CHECK(m.v.debug.hit.address == 0x1002);
  CHECK(m.v.s.eip == 0x1002);
  CHECK((m.v.s.gpr[EAX] & 0xFFFF) == 2);  // stopped before the breakpoint's instruction
  CHECK(m.kvm().counters()[KvmExit::Debug] == 1);  // KVM reported it, not the entry check

  // Step from the breakpoint (the stub sets skip_breakpoint_once on every resume).
  m.v.debug.hit = {};
  m.v.debug.single_step = true;
  m.v.debug.skip_breakpoint_once = true;
  e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Breakpoint);
  CHECK(m.v.debug.hit.kind == DebugStop::Step);
  CHECK(m.v.s.eip == 0x1003);
  m.v.debug.hit = {};
  e = m.run_until_exit();
  CHECK(m.v.debug.hit.kind == DebugStop::Step);
  CHECK(m.v.s.eip == 0x1004);

  // Continue: no more stops (the breakpoint is behind); the write lands, the guest halts.
  m.v.debug.hit = {};
  m.v.debug.single_step = false;
  m.v.debug.skip_breakpoint_once = true;
  e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  CHECK((m.v.s.gpr[EAX] & 0xFFFF) == 5);
  uint8_t b = 0;
  REQUIRE(m.mem.read_phys(0x2000, std::span<uint8_t>(&b, 1)));
  CHECK(b == 4);
}

TEST_CASE("kvm_debug_resume_from_a_breakpoint_steps_off_it_and_stops_at_the_next") {
  DebugMachine m;
  if (!m.open()) return;
  m.v.debug.breakpoints = {0x1001, 0x1003};
  Exit e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Breakpoint);
  CHECK(m.v.s.eip == 0x1001);
  m.v.debug.hit = {};
  m.v.debug.skip_breakpoint_once = true;
  e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Breakpoint);
  CHECK(m.v.debug.hit.kind == DebugStop::Breakpoint);
  CHECK(m.v.s.eip == 0x1003);
}

TEST_CASE("kvm_debug_more_breakpoints_than_debug_registers_are_matched_by_stepping") {
  DebugMachine m;
  if (!m.open()) return;
  m.v.debug.breakpoints = {0x5000, 0x5001, 0x5002, 0x5003, 0x1007};
  Exit e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Breakpoint);
  CHECK(m.v.debug.hit.kind == DebugStop::Breakpoint);
  CHECK(m.v.s.eip == 0x1007);
  CHECK((m.v.s.gpr[EAX] & 0xFFFF) == 4);
  CHECK(m.kvm().counters()[KvmExit::Debug] >= 5);  // one exit per stepped instruction
}

TEST_CASE("kvm_debug_watchpoint_reports_the_write_and_hooks_removed_run_freely") {
  DebugMachine m;
  if (!m.open()) return;
  m.v.debug.watchpoints.push_back({0x2000, 1, WatchKind::Write});
  m.v.tlb.enabled = false;  // as the gdb stub does while watchpoints exist
  Exit e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Breakpoint);
  CHECK(m.v.debug.hit.kind == DebugStop::Watchpoint);
  CHECK(m.v.debug.hit.address == 0x2000);
  CHECK(m.v.s.eip == 0x1007);  // reported after the writing instruction retired
  CHECK(m.v.technique_id == 3);
  CHECK(m.kvm().counters().watch_interp_instructions == 5);
  // Detach: no hooks; KVM runs the rest.
  m.v.debug = {};
  m.v.tlb.enabled = true;
  e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  CHECK((m.v.s.gpr[EAX] & 0xFFFF) == 5);
  CHECK(m.kvm().counters().watch_interp_instructions == 5);
}
