// What the KVM SMP machine tests (kvm_smp_threads_test, kvm_irqchip_test) share: a two-CPU
// machine config, a KVM core or a printed skip, tiny flat 32-bit guests in which the BSP starts
// an AP with INIT/STARTUP through its local APIC, and a watchdog that turns a hung run into a
// failed test.
//
//   auto core = test::kvm_core_or_skip(cfg);   // nullptr (with a MESSAGE) without usable KVM
//   test::boot(m, test::kBspWaitForAp, test::kApSpin);
//   test::Watchdog w(m, 10'000);               // request_stop if m.run() takes > 10 s
#pragma once
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::test {

// `n` CPUs on --backend kvm, 2 MiB, the isa-debug-exit port at 0xF4.
inline machine::MachineConfig smp_kvm_config(unsigned n) {
  machine::MachineConfig c;
  c.ram_bytes = 2 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.backend = "kvm";
  c.smp = n;
  c.debug_exits.push_back({0xF4, 4});
  return c;
}

inline std::unique_ptr<cpu::ExecutionCore> kvm_core_or_skip(const machine::MachineConfig& cfg) {
  try {
    return machine::make_execution_core(cfg);
  } catch (const machine::SetupError& e) {
    MESSAGE("skipped: " << e.what());
    return nullptr;
  }
}

// The BSP in flat 32-bit protected mode at 0x1000: INIT and STARTUP (vector 2: the AP starts in
// real mode at 0x2000) to APIC ID 1, then `bsp_tail`.
inline std::vector<uint8_t> bsp_code(const std::vector<uint8_t>& bsp_tail) {
  std::vector<uint8_t> c = {
      0xC7, 0x05, 0x10, 0x03, 0xE0, 0xFE, 0x00, 0x00, 0x00, 0x01,  // mov [0xFEE00310], 1 << 24
      0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x00, 0x45, 0x00, 0x00,  // mov [0xFEE00300], INIT
      0xC7, 0x05, 0x00, 0x03, 0xE0, 0xFE, 0x02, 0x46, 0x00, 0x00,  // mov [0xFEE00300], STARTUP 2
  };
  c.insert(c.end(), bsp_tail.begin(), bsp_tail.end());
  return c;
}
// l: inc dword [0x3000]; jmp l
inline const std::vector<uint8_t> kBspSpin = {0xFF, 0x05, 0x00, 0x30, 0x00, 0x00, 0xEB, 0xF8};
// l: cmp dword [0x3100], 1000; jb l; mov al, 0; out 0xF4, al (debug exit: status 1); jmp $
inline const std::vector<uint8_t> kBspWaitForAp = {0x81, 0x3D, 0x00, 0x31, 0x00, 0x00, 0xE8, 0x03,
                                                   0x00, 0x00, 0x72, 0xF4, 0xB0, 0x00, 0xE6, 0xF4,
                                                   0xEB, 0xFE};
// l: inc dword [0x3100]; jmp l   (16-bit code)
inline const std::vector<uint8_t> kApSpin = {0x66, 0xFF, 0x06, 0x00, 0x31, 0xEB, 0xF9};
// cli; hlt; jmp back
inline const std::vector<uint8_t> kCliHlt = {0xFA, 0xF4, 0xEB, 0xFC};
// lidt [0x3200] (limit 0), INT3: #GP -> #DF -> shutdown (flat 32-bit code).
inline const std::vector<uint8_t> kBspTripleFault = {0x0F, 0x01, 0x1D, 0x00, 0x32, 0x00, 0x00, 0xCC};

// Boots `m` with bsp_code(bsp_tail) at 0x1000 (flat 32-bit protected mode) and `ap` at 0x2000.
inline void boot(machine::Machine& m, const std::vector<uint8_t>& bsp_tail, const std::vector<uint8_t>& ap) {
  m.set_boot([bsp = bsp_code(bsp_tail), ap](machine::Machine& mm) {
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

// Stops the run (as SIGALRM would) if it is still going after `ms`; a test whose run hangs then
// fails instead of hanging ctest.
class Watchdog {
 public:
  Watchdog(machine::Machine& m, int ms) : t_([this, &m, ms] {
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

// Every CPU executes CLI; HLT (CPU 2 of 3 never gets a STARTUP): the run must end by itself,
// status 0, with the "halted with interrupts disabled" message. No usable KVM: skipped.
inline void check_all_halted_ends_the_run(const machine::MachineConfig& cfg) {
  auto core = kvm_core_or_skip(cfg);
  if (!core) return;
  machine::Machine m(cfg, std::move(core));
  boot(m, kCliHlt, kCliHlt);
  Watchdog w(m, 10'000);
  const machine::RunResult r = m.run();
  CHECK_FALSE(w.fired());
  CHECK(r.kind == machine::StopKind::HaltedForever);
  CHECK(r.status == 0);
  CHECK(r.message.find("every CPU halted with interrupts disabled") != std::string::npos);
}

}  // namespace vmlab::test
