// --kvm-irqchip kernel (docs/kvm.md, "In-kernel irqchip"): the option and its refusals, the GSI
// routing table (no KVM needed), and on /dev/kvm: vmlab's own PIC/IOAPIC/local APICs left
// unwired, the monitor's backend switch refused, an AP started by INIT/STARTUP through KVM's
// local APIC on vCPU threads, and the run ending when every CPU is halted with IF=0 or still
// waits for its STARTUP inside KVM. The /dev/kvm cases print a skip when KVM or its irqchip is
// unusable; each run has a watchdog, so a hang fails instead of blocking ctest.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kvm_backend/kvm_core.h"
#include "kvm_backend/kvm_irq_routing.h"
#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"
#include "tests/kvm/kvm_smp_fixture.h"
#include "tests/kvm/machine_memory.h"
#include "tests/ui/parse_capture.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;
using machine::StopKind;

namespace {

MachineConfig kernel_irqchip_config(unsigned n) {
  MachineConfig c = test::smp_kvm_config(n);
  c.kvm_irqchip = "kernel";
  return c;
}

using test::boot;
using test::kApSpin;
using test::kBspWaitForAp;
using test::kCliHlt;
using test::kvm_core_or_skip;
using test::Watchdog;

}  // namespace

TEST_CASE("kvm_irqchip_option_defaults_to_user_and_kernel_needs_the_kvm_backend") {
  using ui::test::parse_captured;
  auto p = parse_captured({"--backend", "kvm"});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.kvm_irqchip == "user");
  p = parse_captured({"--backend", "kvm", "--kvm-irqchip", "kernel"});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.kvm_irqchip == "kernel");
  p = parse_captured({"-enable-kvm", "--kvm-irqchip", "kernel"});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.backend == "kvm");
  CHECK(p.r.cmd->machine.kvm_irqchip == "kernel");
  p = parse_captured({"--backend", "interp", "--kvm-irqchip", "user"});
  REQUIRE(p.r.cmd);
  // kernel on the interpreter (the default backend) is a setup error, status 2.
  p = parse_captured({"--kvm-irqchip", "kernel"});
  CHECK_FALSE(p.r.cmd);
  CHECK(p.r.status == 2);
  CHECK(p.err.find("--kvm-irqchip kernel needs --backend kvm") != std::string::npos);
  p = parse_captured({"--backend", "kvm", "--kvm-irqchip", "split"});
  CHECK_FALSE(p.r.cmd);
  CHECK(p.r.status == 2);
  CHECK(p.err.find("--kvm-irqchip") != std::string::npos);
}

TEST_CASE("kvm_irq_routing_wires_isa_irqs_as_the_pc_does_with_irq0_on_ioapic_pin_2") {
  const kvm_backend::IrqRoutingTable t = kvm_backend::pc_irq_routing();
  // 15 ISA IRQs to the 8259s (not the cascade, IRQ 2) + 23 IOAPIC pins (not pin 2 as GSI 2).
  REQUIRE(t.nr == 15 + 23);
  auto routes = [&](uint32_t gsi, uint32_t chip) {
    std::vector<uint32_t> pins;
    for (uint32_t i = 0; i < t.nr; ++i) {
      CHECK(t.entries[i].type == KVM_IRQ_ROUTING_IRQCHIP);
      if (t.entries[i].gsi == gsi && t.entries[i].u.irqchip.irqchip == chip)
        pins.push_back(t.entries[i].u.irqchip.pin);
    }
    return pins;
  };
  CHECK(routes(0, KVM_IRQCHIP_PIC_MASTER) == std::vector<uint32_t>{0});
  CHECK(routes(0, KVM_IRQCHIP_IOAPIC) == std::vector<uint32_t>{2});
  CHECK(routes(2, KVM_IRQCHIP_PIC_MASTER).empty());
  CHECK(routes(2, KVM_IRQCHIP_IOAPIC).empty());
  CHECK(routes(4, KVM_IRQCHIP_PIC_MASTER) == std::vector<uint32_t>{4});
  CHECK(routes(4, KVM_IRQCHIP_IOAPIC) == std::vector<uint32_t>{4});
  CHECK(routes(8, KVM_IRQCHIP_PIC_SLAVE) == std::vector<uint32_t>{0});
  CHECK(routes(14, KVM_IRQCHIP_PIC_SLAVE) == std::vector<uint32_t>{6});
  CHECK(routes(14, KVM_IRQCHIP_IOAPIC) == std::vector<uint32_t>{14});
  CHECK(routes(20, KVM_IRQCHIP_IOAPIC) == std::vector<uint32_t>{20});
  CHECK(routes(20, KVM_IRQCHIP_PIC_SLAVE).empty());
}

TEST_CASE("kvm_irqchip_kernel_leaves_vmlabs_chips_unwired_and_refuses_a_backend_switch") {
  const MachineConfig cfg = kernel_irqchip_config(1);
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  auto* kvm = dynamic_cast<kvm_backend::KvmCore*>(core.get());
  REQUIRE(kvm);
  CHECK(kvm->kernel_irqchip());
  Machine m(cfg, std::move(core));
  CHECK(m.kernel_irqchip());
  for (uint64_t port : {0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1}) CHECK_FALSE(m.io().claimed(port));
  CHECK_FALSE(m.mmio().claimed(0xFEC00000));
  CHECK_FALSE(m.mmio().claimed(0xFEE00000));
  CHECK(m.io().claimed(0x40));   // the PIT stays vmlab's
  CHECK(m.io().claimed(0x3F8));  // and so does COM1
  CHECK(m.vcpu().intr == nullptr);
  const std::string why = m.switch_backend("interp");
  CHECK(why.find("--kvm-irqchip kernel") != std::string::npos);
  CHECK(m.config().backend == "kvm");
  CHECK(std::string(m.core().name()) == "kvm");
  CHECK(m.switch_backend("kvm").empty());  // already there

  // The user-space irqchip (the default) keeps vmlab's chips on their ports and pages.
  MachineConfig user = cfg;
  user.kvm_irqchip = "user";
  auto ucore = kvm_core_or_skip(user);
  REQUIRE(ucore);
  CHECK_FALSE(dynamic_cast<kvm_backend::KvmCore*>(ucore.get())->kernel_irqchip());
  Machine um(user, std::move(ucore));
  CHECK(um.io().claimed(0x20));
  CHECK(um.mmio().claimed(0xFEE00000));
  CHECK(um.vcpu().intr != nullptr);
}

TEST_CASE("kvm_irqchip_kernel_refuses_round_robin_smp") {
  MachineConfig cfg = kernel_irqchip_config(2);
  cfg.kvm_threads = false;
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  CHECK_THROWS_WITH_AS(Machine(cfg, std::move(core)),
                       doctest::Contains("--kvm-threads off"), machine::SetupError);
}

TEST_CASE("kvm_irqchip_kernel_starts_an_ap_through_kvms_local_apic") {
  const MachineConfig cfg = kernel_irqchip_config(2);
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  Machine m(cfg, std::move(core));
  boot(m, kBspWaitForAp, kApSpin);
  Watchdog w(m, 10'000);
  const machine::RunResult r = m.run();
  CHECK_FALSE(w.fired());
  CHECK(r.kind == StopKind::GuestExit);
  CHECK(r.status == 1);
  INFO("resets " << m.resets() << " message '" << r.message << "' AP CS " << m.cpu(1).s.seg[cpu::CS].selector
       << " EIP " << m.cpu(1).s.eip << " BSP EIP " << m.vcpu().s.eip << " halted " << int(m.cpu(1).s.events.halted));
  CHECK(test::read32(m, 0x3100) >= 1000);
  // No vmlab interrupt controller saw the IPIs: the ICR writes never exited.
  const auto& c0 = dynamic_cast<kvm_backend::KvmCore&>(m.core_of(0)).counters();
  CHECK(c0[kvm_backend::KvmExit::Mmio] == 0);
  CHECK(c0.interrupts_injected == 0);
}

TEST_CASE("kvm_irqchip_kernel_run_ends_when_every_cpu_is_halted_or_waits_for_startup") {
  test::check_all_halted_ends_the_run(kernel_irqchip_config(3));  // CPU 2 never gets a STARTUP
}

TEST_CASE("kvm_irqchip_kernel_single_cpu_halt_with_interrupts_off_ends_the_run") {
  const MachineConfig cfg = kernel_irqchip_config(1);
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  Machine m(cfg, std::move(core));
  boot(m, kCliHlt, kCliHlt);  // the BSP's INIT/STARTUP go to an APIC ID nobody has
  Watchdog w(m, 10'000);
  const machine::RunResult r = m.run();
  CHECK_FALSE(w.fired());
  CHECK(r.kind == StopKind::HaltedForever);
  CHECK(r.status == 0);
  CHECK(m.vcpu().counters.halts >= 1);
}
