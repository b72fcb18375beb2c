// The run loop's exit handling, driven by a fabricated ExecutionCore (STYLE.md point 6): each
// test scripts what the "core" does and returns, and checks how the machine reacts.
#include <doctest/doctest.h>

#include <deque>
#include <functional>

#include "machine/machine.h"
#include "machine/setup_error.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;
using machine::StopKind;

namespace {

struct Step {
  cpu::ExitReason reason = cpu::ExitReason::BudgetSpent;
  uint64_t executed = 0;                    // 0 and BudgetSpent = "all of the budget"
  std::function<void(cpu::Vcpu&)> action;  // what the guest "did" during this run()
  std::string message;
};

class FakeCore : public cpu::ExecutionCore {
 public:
  std::deque<Step> script;
  std::vector<uint64_t> budgets;
  std::vector<uint64_t> invalidated;
  int flushes = 0;
  const char* name() const override { return "fake"; }
  cpu::Exit run(cpu::Vcpu& v, uint64_t budget) override {
    budgets.push_back(budget);
    if (script.empty()) return cpu::Exit{cpu::ExitReason::InternalError, 0, "script ran out"};
    Step s = script.front();
    script.pop_front();
    if (s.action) s.action(v);
    uint64_t n = (s.reason == cpu::ExitReason::BudgetSpent && s.executed == 0) ? budget : s.executed;
    return cpu::Exit{s.reason, n, s.message};
  }
  void invalidate_code_page(uint64_t page) override { invalidated.push_back(page); }
  void flush_code_cache() override { ++flushes; }
};

MachineConfig test_config() {
  MachineConfig c;
  c.ram_bytes = 2 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.deterministic = true;
  c.debug_exits.push_back({0xF4, 4});
  return c;
}

struct Rig {
  FakeCore* core;
  std::unique_ptr<Machine> m;
  explicit Rig(MachineConfig c = test_config()) {
    auto fc = std::make_unique<FakeCore>();
    core = fc.get();
    m = std::make_unique<Machine>(c, std::move(fc));
  }
};

void set_if(cpu::Vcpu& v, bool on) {
  if (on) v.s.eflags |= cpu::IF;
  else v.s.eflags &= ~cpu::IF;
}

}  // namespace

TEST_CASE("run_loop_debug_exit_write_ends_run_with_shifted_status") {
  Rig r;
  r.core->script.push_back({cpu::ExitReason::Attention, 10, [](cpu::Vcpu& v) {
                              v.io.write(0xF4, 1, 0x10);
                              CHECK((v.attention.load() & cpu::kAttnStop) != 0);
                            }, ""});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::GuestExit);
  CHECK(res.status == 0x21);
  CHECK(r.m->instructions() == 10);
}

TEST_CASE("run_loop_hlt_with_interrupts_disabled_stops_with_status_0") {
  Rig r;
  r.core->script.push_back({cpu::ExitReason::Halted, 5, [](cpu::Vcpu& v) { set_if(v, false); }, ""});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::HaltedForever);
  CHECK(res.status == 0);
  CHECK(res.message.find("interrupts disabled") != std::string::npos);
}

TEST_CASE("run_loop_hlt_with_interrupts_enabled_sleeps_until_the_next_timer") {
  Rig r;
  bool fired = false;
  r.m->clock().schedule(1'000'000, [&] { fired = true; r.m->request_exit(2); });
  r.core->script.push_back({cpu::ExitReason::Halted, 7, [](cpu::Vcpu& v) { set_if(v, true); }, ""});
  auto res = r.m->run();
  CHECK(fired);
  CHECK(res.kind == StopKind::GuestExit);
  CHECK(res.status == 2);  // request_exit takes the final status
  CHECK(r.m->clock().now_ns() == 1'000'000);  // jumped over the idle time, deterministically
  // The first budget ran exactly to the deadline: 1 ms at 10 ns per instruction.
  CHECK(r.core->budgets.at(0) == 100'000);
}

TEST_CASE("run_loop_hlt_with_nothing_to_wake_the_cpu_stops") {
  Rig r;
  r.core->script.push_back({cpu::ExitReason::Halted, 1, [](cpu::Vcpu& v) { set_if(v, true); }, ""});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::HaltedForever);
  CHECK(res.message.find("no timer") != std::string::npos);
}

TEST_CASE("run_loop_hlt_with_pending_nmi_keeps_running") {
  Rig r;
  r.core->script.push_back({cpu::ExitReason::Halted, 1, [](cpu::Vcpu& v) {
                              set_if(v, false);
                              v.s.events.nmi_pending = 1;
                            }, ""});
  r.core->script.push_back({cpu::ExitReason::InternalError, 0, nullptr, "boom"});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::InternalError);
  CHECK(res.status == 1);
  CHECK(res.message.find("boom") != std::string::npos);
}

TEST_CASE("run_loop_triple_fault_with_no_reboot_dumps_registers_status_3") {
  MachineConfig c = test_config();
  c.no_reboot = true;
  Rig r(c);
  r.core->script.push_back({cpu::ExitReason::Shutdown, 3, [](cpu::Vcpu& v) { v.s.eip = 0xDEADBEEF; }, ""});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::TripleFault);
  CHECK(res.status == 3);
  CHECK(res.message.find("EIP=deadbeef") != std::string::npos);
}

TEST_CASE("run_loop_triple_fault_reboots_and_boots_again") {
  Rig r;
  int boots = 0;
  r.m->set_boot([&](Machine& m) { ++boots; m.vcpu().s.eip = 0x100000; });
  r.m->reset();
  CHECK(boots == 1);
  // Signalled through the attention bit (as exception delivery does), not the exit reason.
  r.core->script.push_back({cpu::ExitReason::Attention, 4, [](cpu::Vcpu& v) {
                              v.s.eip = 0x1234;
                              v.attention.fetch_or(cpu::kAttnShutdown);
                            }, ""});
  r.core->script.push_back({cpu::ExitReason::Attention, 1, [](cpu::Vcpu& v) {
                              CHECK(v.s.eip == 0x100000);
                              CHECK((v.attention.load() & cpu::kAttnShutdown) == 0);
                              v.io.write(0xF4, 1, 0);
                            }, ""});
  auto res = r.m->run();
  CHECK(boots == 2);
  CHECK(r.m->resets() == 1);
  CHECK(res.status == 1);
  CHECK(r.core->flushes >= 2);
}

TEST_CASE("run_loop_stops_exactly_at_max_instructions") {
  MachineConfig c = test_config();
  c.max_instructions = 250'000;
  Rig r(c);
  for (int i = 0; i < 10; ++i) r.core->script.push_back({});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::InstructionLimit);
  CHECK(res.status == 0);
  CHECK(r.m->instructions() == 250'000);
  CHECK(r.core->budgets.back() == 50'000);  // never past the limit
}

TEST_CASE("run_loop_signal_stops_with_128_plus_signal") {
  Rig r;
  Machine* m = r.m.get();
  r.core->script.push_back({cpu::ExitReason::Attention, 2, [m](cpu::Vcpu&) { m->request_stop_from_signal(15); }, ""});
  auto res = r.m->run();
  CHECK(res.kind == StopKind::Signal);
  CHECK(res.status == 143);
}

TEST_CASE("run_loop_core_that_makes_no_progress_is_an_internal_error") {
  Rig r;
  // BudgetSpent with 0 executed forever: would spin the host.
  struct Stuck : FakeCore {
    cpu::Exit run(cpu::Vcpu&, uint64_t) override { return cpu::Exit{cpu::ExitReason::BudgetSpent, 0, ""}; }
  };
  MachineConfig c = test_config();
  Machine m(c, std::make_unique<Stuck>());
  auto res = m.run();
  CHECK(res.kind == StopKind::InternalError);
}

TEST_CASE("machine_code_page_writes_reach_the_core") {
  Rig r;
  r.m->memory().mark_code(0x100);
  std::vector<uint8_t> b{0x90};
  CHECK(r.m->memory().write_phys(0x100010, b));
  REQUIRE(r.core->invalidated.size() == 1);
  CHECK(r.core->invalidated[0] == 0x100);
}

TEST_CASE("machine_rejects_unbuilt_mmu_modes_and_overlapping_devices") {
  MachineConfig c = test_config();
  c.mmu = "shadow";
  CHECK_THROWS_AS(Machine(c, std::make_unique<FakeCore>()), machine::SetupError);
  c = test_config();
  c.debug_exits.push_back({0x3FA, 2});  // inside COM1
  CHECK_THROWS_AS(Machine(c, std::make_unique<FakeCore>()), machine::SetupError);
  c = test_config();
  c.serial = "bogus";
  CHECK_THROWS_AS(Machine(c, std::make_unique<FakeCore>()), machine::SetupError);
}

TEST_CASE("machine_stats_report_bus_and_core_counters") {
  Rig r;
  r.core->script.push_back({cpu::ExitReason::Attention, 9, [](cpu::Vcpu& v) {
                              v.counters.exceptions[13] = 2;
                              v.io.write(0x3F8, 1, 'A');
                              v.io.read(0x80, 1);
                              v.io.write(0xF4, 1, 0);
                            }, ""});
  r.m->run();
  auto j = r.m->stats().json();
  CHECK(j["run.instructions"] == 9);
  CHECK(j["cpu.exceptions.13"] == 2);
  CHECK(j["io.region.com1.writes"] == 1);
  CHECK(j["io.unclaimed_reads"] == 1);
  CHECK(j["io.port.0x03f8.writes"] == 1);
  CHECK(j["serial.com1.tx_bytes"] == 1);
  CHECK(j.contains("mmu.page_walks"));
  CHECK(j.contains("run.guest_mips"));
}
