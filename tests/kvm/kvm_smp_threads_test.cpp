// -smp N on --backend kvm with one host thread per vCPU (machine/run_loop_threaded.cpp): one VM
// holds every vCPU; stop requests, a triple fault while another vCPU spins, all CPUs halted, the monitor's
// stop/cont (all-stop) and a backend switch work with every vCPU thread running or asleep, and
// end without hanging (a watchdog stops a run that would). Skipped, with the reason printed,
// without a usable /dev/kvm.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kvm_backend/kvm_core.h"
#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"
#include "tests/kvm/machine_memory.h"
#include "ui/monitor.h"
#include "tests/ui/parse_capture.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;
using machine::StopKind;

namespace {

MachineConfig smp_kvm_config(unsigned n) {
  MachineConfig c;
  c.ram_bytes = 2 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.backend = "kvm";
  c.smp = n;
  c.debug_exits.push_back({0xF4, 4});
  return c;
}

std::unique_ptr<cpu::ExecutionCore> kvm_core_or_skip(const MachineConfig& cfg) {
  try {
    return machine::make_execution_core(cfg);
  } catch (const machine::SetupError& e) {
    MESSAGE("skipped: " << e.what());
    return nullptr;
  }
}

// The BSP in flat 32-bit protected mode at 0x1000: INIT and STARTUP (vector 2: the AP starts in
// real mode at 0x2000) to APIC ID 1, then `bsp_tail`.
std::vector<uint8_t> bsp_code(std::vector<uint8_t> bsp_tail) {
  std::vector<uint8_t> c = {
      0xC7, 0x05, 0x10, 0x03, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x01,  // mov [0xFEE00310], 1 << 24
      0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x00, 0x45, 0x00, 0x00,  // mov [0xFEE00300], INIT
      0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x02, 0x46, 0x00, 0x00,  // mov [0xFEE00300], STARTUP 2
  };
  c.insert(c.end(), bsp_tail.begin(), bsp_tail.end());
  return c;
}
const std::vector<uint8_t> kBspSpin = {0xFF, 0x05, 0x00, 0x30, 0x00, 0x00, 0xEB, 0xF8};  // l: inc dword [0x3000]; jmp l
const std::vector<uint8_t> kApSpin = {0x66, 0xFF, 0x06, 0x00, 0x31, 0xEB, 0xF9};  // l: inc dword [0x3100]; jmp l
const std::vector<uint8_t> kCliHlt = {0xFA, 0xF4, 0xEB, 0xFC};                   // cli; hlt; jmp back
// lidt [0x3200] (limit 0), INT3: #GP -> #DF -> shutdown (flat 32-bit code).
const std::vector<uint8_t> kBspTripleFault = {0x0F, 0x01, 0x1D, 0x00, 0x32, 0x00, 0x00, 0xCC};

void boot(Machine& m, const std::vector<uint8_t>& bsp_tail, const std::vector<uint8_t>& ap) {
  m.set_boot([bsp = bsp_code(bsp_tail), ap](Machine& mm) {
    REQUIRE(mm.memory().write_phys(0x1000, bsp));
    REQUIRE(mm.memory().write_phys(0x2000, ap));
    cpu::CpuState& s = mm.vcpu().s;
    s.cr0 |= 1;  // PE
    s.seg[cpu::CS] = cpu::SegmentCache{0x08, 0, 0xFFFFFFFF, 0x0C9B};
    for (uint8_t sg : {cpu::ES, cpu::SS, cpu::DS, cpu::FS, cpu::GS})
      s.seg[sg] = cpu::SegmentCache{0x10, 0, 0xFFFFFFFF, 0x0C93};
    s.eip = 0x1000;
  });
  m.reset();
}

using test::read32;

// Stops the run (as SIGALRM would) if it is still going after `ms`, or as soon as release() is
// called with `stop` set; a test whose run hangs then fails instead of hanging ctest.
class Watchdog {
 public:
  Watchdog(Machine& m, int ms) : t_([this, &m, ms] {
    std::unique_lock<std::mutex> lk(mu_);
    if (!cv_.wait_for(lk, std::chrono::milliseconds(ms), [this] { return done_; })) {
      fired_ = true;
      m.request_stop_from_signal(14);
    }
  }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread t_;
};

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
  const MachineConfig cfg = smp_kvm_config(3);  // CPU 2 never gets a STARTUP
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  Machine m(cfg, std::move(core));
  boot(m, kCliHlt, kCliHlt);
  Watchdog w(m, 10'000);
  const machine::RunResult r = m.run();
  CHECK_FALSE(w.fired());
  CHECK(r.kind == StopKind::HaltedForever);
  CHECK(r.status == 0);
  CHECK(r.message.find("every CPU halted with interrupts disabled") != std::string::npos);
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
