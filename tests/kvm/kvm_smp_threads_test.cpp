// -smp N on --backend kvm with one host thread per vCPU (machine/run_loop_threaded.cpp): one VM
// holds every vCPU; stop requests, a triple fault while another vCPU spins, all CPUs halted, the monitor's
// stop/cont (all-stop) and a backend switch work with every vCPU thread running or asleep, and
// end without hanging (a watchdog stops a run that would). Skipped, with the reason printed,
// without a usable /dev/kvm.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kvm_backend/kvm_core.h"
#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"
#include "tests/kvm/kvm_smp_fixture.h"
#include "tests/kvm/machine_memory.h"
#include "ui/monitor.h"
#include "tests/ui/parse_capture.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;
using machine::StopKind;

namespace {

using test::boot;
using test::kApSpin;
using test::kBspSpin;
using test::kBspTripleFault;
using test::kvm_core_or_skip;
using test::read32;
using test::smp_kvm_config;
using test::Watchdog;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("kvm_smp_vcpus_of_one_machine_share_one_vm_with_apic_ids_as_vcpu_ids") {
  const MachineConfig cfg = smp_kvm_config(2);
  auto bsp = kvm_core_or_skip(cfg);
  if (!bsp) return;
  auto ap = machine::make_sibling_core(cfg, *bsp, 1);
  auto* k0 = dynamic_cast<kvm_backend::KvmCore*>(bsp.get());
  auto* k1 = dynamic_cast<kvm_backend::KvmCore*>(ap.get());
  REQUIRE(k0);
  REQUIRE(k1);
  CHECK(k0->vm() == k1->vm());
  // The id is taken: a second vCPU 1 on the same VM is refused (KVM_CREATE_VCPU: EEXIST).
  CHECK_THROWS_AS(kvm_backend::KvmDevice::create(k0->vm(), 1), kvm_backend::KvmUnavailable);
  // An interpreter machine's siblings are plain interpreters.
  MachineConfig interp = cfg;
  interp.backend = "interp";
  auto i0 = machine::make_execution_core(interp);
  CHECK(std::string(machine::make_sibling_core(interp, *i0, 1)->name()) == "interp");
}

TEST_CASE("kvm_threads_stop_request_ends_a_run_with_every_vcpu_spinning_in_kvm") {
  const MachineConfig cfg = smp_kvm_config(2);
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  Machine m(cfg, std::move(core));
  boot(m, kBspSpin, kApSpin);
  const auto t0 = std::chrono::steady_clock::now();
  std::thread stopper([&m] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    m.request_stop_from_signal(15);  // as SIGTERM does: only atomics, from another thread
  });
  machine::RunResult r;
  {
    Watchdog w(m, 10'000);
    r = m.run();
    CHECK_FALSE(w.fired());
  }
  stopper.join();
  CHECK(r.kind == StopKind::Signal);
  CHECK(r.status == 128 + 15);
  CHECK(seconds_since(t0) < 5.0);
  // Both vCPUs ran: the BSP's counter and the AP's (started by the BSP's IPIs).
  CHECK(read32(m, 0x3000) > 0);
  CHECK(read32(m, 0x3100) > 0);
}

TEST_CASE("kvm_threads_triple_fault_while_another_vcpu_runs_ends_the_run_with_no_reboot") {
  MachineConfig cfg = smp_kvm_config(2);
  cfg.no_reboot = true;
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  Machine m(cfg, std::move(core));
  boot(m, kBspTripleFault, kApSpin);
  Watchdog w(m, 10'000);
  const machine::RunResult r = m.run();
  CHECK_FALSE(w.fired());
  CHECK(r.kind == StopKind::TripleFault);
  CHECK(r.status == machine::kExitTripleFault);
  CHECK(r.message.find("on CPU 0") != std::string::npos);
}

TEST_CASE("kvm_threads_every_cpu_halted_with_interrupts_off_ends_the_run") {
  test::check_all_halted_ends_the_run(smp_kvm_config(3));  // CPU 2 never gets a STARTUP
}

TEST_CASE("kvm_threads_monitor_stop_parks_every_vcpu_and_backend_switch_goes_on_in_one_thread") {
  const MachineConfig cfg = smp_kvm_config(2);
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  Machine m(cfg, std::move(core));
  ui::Monitor mon(m);
  boot(m, kBspSpin, kApSpin);
  // The host pollers run on the main thread, under the machine lock, about every 1 ms.
  unsigned polls = 0;
  uint32_t bsp_at_stop = 0, ap_at_stop = 0;
  bool still_while_stopped = false, moved_after_cont = false;
  std::string switched;
  m.add_host_poller([&] {
    ++polls;
    if (polls == 100) {
      mon.execute("stop");  // returns with every vCPU thread parked
      bsp_at_stop = read32(m, 0x3000);
      ap_at_stop = read32(m, 0x3100);
    } else if (polls == 130) {
      still_while_stopped = read32(m, 0x3000) == bsp_at_stop && read32(m, 0x3100) == ap_at_stop;
      mon.execute("cont");
    } else if (polls == 300) {
      moved_after_cont = read32(m, 0x3000) != bsp_at_stop && read32(m, 0x3100) != ap_at_stop;
      switched = mon.execute("backend interp");
    } else if (polls == 400) {
      m.request_stop_from_signal(15);
    }
  });
  Watchdog w(m, 20'000);
  const machine::RunResult r = m.run();
  CHECK_FALSE(w.fired());
  CHECK(r.kind == StopKind::Signal);
  CHECK(bsp_at_stop > 0);
  CHECK(ap_at_stop > 0);
  CHECK(still_while_stopped);
  CHECK(moved_after_cont);
  CHECK(switched.find("interp") != std::string::npos);
  CHECK(std::string(m.core().name()) == "interp");
  CHECK(std::string(m.core_of(1).name()) == "interp");
}

TEST_CASE("kvm_threads_command_line_switch_defaults_on_and_refuses_other_words") {
  auto parse = [](std::vector<const char*> args) { return ui::test::parse_captured(std::move(args)); };
  const auto on = parse({"--backend", "kvm", "-smp", "2", "-kernel", "k.elf"});
  REQUIRE(on.r.cmd);
  CHECK(on.r.cmd->machine.kvm_threads);
  const auto off = parse({"--backend", "kvm", "-smp", "2", "--kvm-threads", "off", "-kernel", "k.elf"});
  REQUIRE(off.r.cmd);
  CHECK_FALSE(off.r.cmd->machine.kvm_threads);
  const auto bad = parse({"--kvm-threads", "maybe", "-kernel", "k.elf"});
  CHECK_FALSE(bad.r.cmd);
  CHECK(bad.r.status == 2);
}
