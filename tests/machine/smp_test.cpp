// -smp: the application processors wait for INIT / STARTUP from the BSP, then run real code on
// their own interpreter; the BSP here is a fabricated core that sends the IPIs (STYLE.md point 6).
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

class ScriptedBsp : public cpu::ExecutionCore {
 public:
  std::deque<std::function<void(cpu::Vcpu&)>> actions;
  unsigned runs = 0;
  const char* name() const override { return "scripted-bsp"; }
  cpu::Exit run(cpu::Vcpu& v, uint64_t) override {
    ++runs;
    if (!actions.empty()) {
      auto a = actions.front();
      actions.pop_front();
      a(v);
      return cpu::Exit{cpu::ExitReason::BudgetSpent, 1, ""};
    }
    v.s.eflags &= ~cpu::IF;  // the BSP is done: CLI; HLT
    v.s.events.halted = 1;
    return cpu::Exit{cpu::ExitReason::Halted, 0, ""};
  }
  void invalidate_code_page(uint64_t) override {}
  void flush_code_cache() override {}
};

MachineConfig smp_config(unsigned n) {
  MachineConfig c;
  c.ram_bytes = 2 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.deterministic = true;
  c.smp = n;
  c.debug_exits.push_back({0xF4, 4});
  return c;
}

void icr(cpu::Vcpu& v, uint8_t dest, uint32_t low) {
  v.mmio.write(0xFEE00310, 4, uint32_t(dest) << 24);
  v.mmio.write(0xFEE00300, 4, low);
}

}  // namespace

TEST_CASE("smp_application_processor_waits_for_startup_then_runs_from_the_vector_page") {
  auto bsp = std::make_unique<ScriptedBsp>();
  ScriptedBsp* core = bsp.get();
  Machine m(smp_config(2), std::move(bsp));
  // AP code at 0x9000: mov al, 0x21; out 0xF4, al  -> exit status (0x21 << 1) | 1
  const uint8_t code[] = {0xB0, 0x21, 0xE6, 0xF4, 0xF4};
  m.set_boot([&](Machine& mm) { mm.memory().write_phys(0x9000, code); });
  m.reset();
  REQUIRE(m.cpu_count() == 2);
  CHECK(m.waiting_for_sipi(1));
  CHECK_FALSE(m.waiting_for_sipi(0));
  CHECK((m.cpu(1).s.msr.apic_base & 0x900) == 0x800);  // enabled, not the BSP
  CHECK((m.cpu(0).s.msr.apic_base & 0x900) == 0x900);
  core->actions.push_back([](cpu::Vcpu& v) { icr(v, 1, 0x4500); });  // INIT to APIC 1
  core->actions.push_back([](cpu::Vcpu& v) { icr(v, 1, 0x4609); });  // STARTUP, page 9
  machine::RunResult r = m.run();
  CHECK(r.kind == StopKind::GuestExit);
  CHECK(r.status == 0x43);
  CHECK(m.cpu(1).s.seg[cpu::CS].selector == 0x0900);
  CHECK(m.cpu(1).s.seg[cpu::CS].base == 0x9000);
}

TEST_CASE("smp_init_and_startup_sent_in_the_same_slice_start_the_processor") {
  // memtest86+ sends INIT, STARTUP, STARTUP back to back: all latched before the machine acts.
  auto bsp = std::make_unique<ScriptedBsp>();
  ScriptedBsp* core = bsp.get();
  Machine m(smp_config(2), std::move(bsp));
  const uint8_t code[] = {0xB0, 0x22, 0xE6, 0xF4, 0xF4};
  m.set_boot([&](Machine& mm) { mm.memory().write_phys(0x9000, code); });
  m.reset();
  core->actions.push_back([](cpu::Vcpu& v) {
    icr(v, 1, 0xC500);  // INIT, level assert
    icr(v, 1, 0x8500);  // INIT level de-assert
    icr(v, 1, 0x0609);  // STARTUP
    icr(v, 1, 0x0609);  // STARTUP again
  });
  machine::RunResult r = m.run();
  CHECK(r.kind == StopKind::GuestExit);
  CHECK(r.status == 0x45);
}

TEST_CASE("smp_startup_without_a_waiting_processor_is_ignored_and_all_halted_cpus_stop_the_run") {
  auto bsp = std::make_unique<ScriptedBsp>();
  ScriptedBsp* core = bsp.get();
  Machine m(smp_config(2), std::move(bsp));
  // AP: CLI; HLT at 0x9000; a second STARTUP (page 0xA) must not move it.
  const uint8_t code[] = {0xFA, 0xF4};
  m.set_boot([&](Machine& mm) { mm.memory().write_phys(0x9000, code); });
  m.reset();
  core->actions.push_back([](cpu::Vcpu& v) { icr(v, 1, 0x4609); });
  core->actions.push_back([](cpu::Vcpu&) {});
  core->actions.push_back([](cpu::Vcpu& v) { icr(v, 1, 0x460A); });
  machine::RunResult r = m.run();
  CHECK(r.kind == StopKind::HaltedForever);
  CHECK(r.message.find("every CPU halted") != std::string::npos);
  CHECK(m.cpu(1).s.seg[cpu::CS].base == 0x9000);
  CHECK(m.cpu(1).s.eip == 2);
}

TEST_CASE("smp_each_cpu_sees_its_own_local_apic_at_the_same_address") {
  auto bsp = std::make_unique<ScriptedBsp>();
  Machine m(smp_config(3), std::move(bsp));
  m.reset();
  CHECK(m.lapic(0).apic_id() == 0);
  CHECK(m.lapic(1).apic_id() == 1);
  CHECK(m.lapic(2).apic_id() == 2);
  CHECK(m.cpu(2).index == 2);
  CHECK(m.cpu(0).intr != m.cpu(1).intr);
}

TEST_CASE("smp_cpu_count_outside_1_to_8_is_a_setup_error") {
  CHECK_THROWS_AS(Machine(smp_config(9), std::make_unique<ScriptedBsp>()), machine::SetupError);
  CHECK_THROWS_AS(Machine(smp_config(0), std::make_unique<ScriptedBsp>()), machine::SetupError);
}
