// Tiny guests on the real /dev/kvm through KvmCore: port I/O exits (single and string), HLT,
// interrupt injection from the machine's interrupt source, and the interpreter fallback for
// the host's emulation failures. Each test prints why and passes without checking when this
// host has no usable KVM (no /dev/kvm, no permission).
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
#include <vector>

#include "cpu/flags.h"
#include "cpu/vcpu.h"
#include "kvm_backend/kvm_core.h"
#include "kvm_backend/kvm_cpuid.h"
#include "machine/setup_error.h"
#include "tests/cpu/fake_interrupt_source.h"

using namespace vmlab;
using namespace vmlab::cpu;
using namespace vmlab::kvm_backend;

namespace {

struct Recorder : machine::BusDevice {
  struct Access { uint64_t offset; uint32_t value; bool write; };
  std::vector<Access> log;
  uint32_t read(uint64_t offset, unsigned) override {
    log.push_back({offset, 0, false});
    return 0xA0 + uint32_t(offset);
  }
  void write(uint64_t offset, unsigned, uint32_t value) override { log.push_back({offset, value, true}); }
  size_t writes_at(uint64_t off) const {
    size_t n = 0;
    for (const Access& a : log) n += a.write && a.offset == off;
    return n;
  }
};

// One interrupt request: pending until acknowledged.
using OneShotIntr = cpu::test::FakeInterruptSource;

struct KvmMachine {
  machine::GuestMemory mem{2 << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  Vcpu v{mem, io, mmio};
  Recorder ports;
  std::unique_ptr<ExecutionCore> core;

  KvmMachine() {
    io.add(0x80, 8, "recorder", ports);
    reset_cpu_state(v.s);
    v.s.seg[CS] = SegmentCache{0, 0, 0xFFFF, 0x0093};
    v.s.eip = 0x1000;
    v.s.gpr[ESP] = 0x8000;
  }
  KvmCore& kvm() { return static_cast<KvmCore&>(*core); }
  void load(uint32_t pa, const std::vector<uint8_t>& bytes) { REQUIRE(mem.write_phys(pa, bytes)); }
  // Runs slices until something other than a spent slice comes back.
  Exit run_until_exit(int max_slices = 200) {
    Exit e;
    for (int i = 0; i < max_slices; ++i) {
      e = core->run(v, 1'000'000);
      if (e.reason != ExitReason::BudgetSpent) break;
    }
    return e;
  }
};

// The KVM core, or null with the reason printed (host without a usable /dev/kvm).
bool open_kvm(KvmMachine& m) {
  machine::MachineConfig cfg;
  cfg.backend = "kvm";
  try {
    m.core = make_kvm_core(cfg);
    return true;
  } catch (const machine::SetupError& e) {
    MESSAGE("skipped: " << e.what());
    return false;
  }
}

}  // namespace

TEST_CASE("kvm_real_mode_guest_does_1000_outs_a_string_out_and_halts") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  m.load(0x1000, {
      0xBA, 0x80, 0x00,        // mov dx, 0x80
      0xB9, 0xE8, 0x03,        // mov cx, 1000
      0x88, 0xC8,              // l: mov al, cl
      0xEE,                    // out dx, al
      0xE2, 0xFB,              // loop l
      0xBE, 0x00, 0x20,        // mov si, 0x2000
      0xB9, 0x03, 0x00,        // mov cx, 3
      0xBA, 0x84, 0x00,        // mov dx, 0x84
      0xF3, 0x6E,              // rep outsb
      0xEC,                    // in al, dx
      0x88, 0xC3,              // mov bl, al
      0xFA,                    // cli
      0xF4,                    // hlt
  });
  m.load(0x2000, {'x', 'y', 'z'});
  const Exit e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  CHECK(e.executed > 0);
  CHECK(m.v.s.events.halted == 1);
  CHECK(m.v.s.eip == 0x101B);  // after the HLT
  CHECK((m.v.s.gpr[EBX] & 0xFF) == 0xA4);
  CHECK(m.v.s.gpr[ECX] == 0);
  REQUIRE(m.ports.writes_at(0) == 1000);
  CHECK(m.ports.log[0].value == (1000 & 0xFF));
  CHECK(m.ports.log[999].value == 1);
  REQUIRE(m.ports.writes_at(4) == 3);
  CHECK(m.ports.log[1000].value == 'x');
  CHECK(m.ports.log[1002].value == 'z');
  const KvmCounters& c = m.kvm().counters();
  CHECK(c.io_exits_by_port.at(0x80) == 1000);
  CHECK(c[KvmExit::Hlt] == 1);
  CHECK(m.v.counters.io_writes == 1003);
  // Halted with IF=0: another run() returns at once without entering the guest.
  const Exit again = m.core->run(m.v, 1000);
  CHECK(again.reason == ExitReason::Halted);
  CHECK(again.executed == 0);
}

TEST_CASE("kvm_injects_the_machines_interrupt_and_wakes_from_hlt") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  OneShotIntr pic;
  m.v.intr = &pic;
  // IVT entry 0x20 -> 0000:3000.
  m.load(0x80, {0x00, 0x30, 0x00, 0x00});
  m.load(0x3000, {0xB0, 0x20, 0xE6, 0x81, 0xCF});   // mov al,0x20; out 0x81,al; iret
  m.load(0x1000, {0xFB, 0xF4,                        // sti; hlt
                  0xB0, 0x55, 0xE6, 0x82,            // mov al,0x55; out 0x82,al
                  0xFA, 0xF4});                      // cli; hlt
  Exit e = m.run_until_exit();
  REQUIRE(e.reason == ExitReason::Halted);  // sti; hlt with nothing pending
  CHECK(m.v.s.eip == 0x1002);
  CHECK(m.ports.log.empty());
  pic.pending = true;  // the device raises its line while the CPU sleeps
  e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  CHECK(pic.acks == 1);
  REQUIRE(m.ports.log.size() == 2);
  CHECK(m.ports.log[0].offset == 1);
  CHECK(m.ports.log[0].value == 0x20);
  CHECK(m.ports.log[1].offset == 2);
  CHECK(m.ports.log[1].value == 0x55);
  CHECK(m.v.s.eip == 0x1008);
  CHECK(m.kvm().counters().interrupts_injected == 1);
  CHECK(m.v.counters.external_interrupts == 1);
}

TEST_CASE("kvm_protected_mode_iret_completes_even_where_the_host_cannot_emulate_it") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  // GDT: null, flat code 0x08, flat data 0x10.
  m.load(0x500, {0, 0, 0, 0, 0, 0, 0, 0,
                 0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0,
                 0xFF, 0xFF, 0, 0, 0, 0x92, 0xCF, 0});
  CpuState& s = m.v.s;
  s.gdtr = DescriptorTableReg{0x500, 0x17};
  s.cr0 |= CR0_PE;
  s.seg[CS] = SegmentCache{0x08, 0, 0xFFFFFFFF, 0x0C9B};
  for (uint8_t sg : {ES, SS, DS, FS, GS}) s.seg[sg] = SegmentCache{0x10, 0, 0xFFFFFFFF, 0x0C93};
  s.cpl = 0;
  m.load(0x1000, {0x9C,                          // pushfd
                  0x6A, 0x08,                    // push 0x08
                  0x68, 0x10, 0x10, 0x00, 0x00,  // push 0x1010
                  0xCF});                        // iretd
  m.load(0x1010, {0xB0, 0x77, 0xE6, 0x80,        // mov al,0x77; out 0x80,al
                  0xFA, 0xF4});                  // cli; hlt
  const Exit e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  REQUIRE(m.ports.log.size() == 1);
  CHECK(m.ports.log[0].value == 0x77);
  CHECK(s.eip == 0x1016);
  CHECK(s.gpr[ESP] == 0x8000);
  MESSAGE("emulation fallbacks on this host: "
          << m.kvm().counters()[KvmExit::EmulationFallback]);
}

TEST_CASE("kvm_switch_interp_to_kvm_and_back_mid_loop_keeps_the_guest_going") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  Interpreter interp;
  // The 1000th and 2000th OUT ask the running core to stop, so the technique changes mid-loop.
  struct StopEvery : machine::BusDevice {
    Vcpu* v = nullptr;
    std::vector<uint8_t> seen;
    uint32_t read(uint64_t, unsigned) override { return 0xFF; }
    void write(uint64_t, unsigned, uint32_t value) override {
      seen.push_back(uint8_t(value));
      if (seen.size() == 1000 || seen.size() == 2000) v->attention.fetch_or(kAttnStop);
    }
  } dev;
  dev.v = &m.v;
  m.io.add(0x90, 1, "stopper", dev);
  m.load(0x1000, {
      0x66, 0x31, 0xC0,                    // xor eax, eax
      0x66, 0xB9, 0xB8, 0x0B, 0x00, 0x00,  // mov ecx, 3000
      0x66, 0x01, 0xC8,                    // l: add eax, ecx
      0xE6, 0x90,                          // out 0x90, al
      0xE2, 0xF9,                          // loop l
      0x66, 0x89, 0xC3,                    // mov ebx, eax
      0xFA, 0xF4,                          // cli; hlt
  });
  // interp (first 1000 OUTs) -> kvm (next 1000) -> interp (last 1000, then HLT).
  ExecutionCore* cores[] = {&interp, m.core.get(), &interp};
  std::vector<uint8_t> technique_of_segment;
  Exit e;
  for (ExecutionCore* core : cores) {
    for (int i = 0; i < 400; ++i) {
      e = core->run(m.v, 100'000);
      if (e.reason != ExitReason::BudgetSpent) break;
    }
    technique_of_segment.push_back(m.v.technique_id);
    m.v.attention.fetch_and(~kAttnStop);
    if (e.reason == ExitReason::Halted) break;
  }
  CHECK(e.reason == ExitReason::Halted);
  REQUIRE(technique_of_segment.size() == 3);
  CHECK(technique_of_segment[1] == 3);  // the middle third ran on KVM
  CHECK(m.v.s.gpr[EBX] == 3000u * 3001u / 2);
  REQUIRE(dev.seen.size() == 3000);
  uint32_t sum = 0;
  bool all_match = true;
  for (uint32_t i = 0; i < 3000; ++i) {
    sum += 3000 - i;
    all_match &= dev.seen[i] == uint8_t(sum);
  }
  CHECK(all_match);
  CHECK(m.kvm().counters().io_exits_by_port.at(0x90) == 1000);
}

TEST_CASE("kvm_x87_arithmetic_through_the_fallback_keeps_the_register_stack") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  // The FPU as FNINIT leaves it, set in CpuState: kvm-pvm emulates a ring-0 FNINIT on the
  // wrong FPU context (docs/kvm.md), the other x87 instructions reach the fallback.
  m.v.s.cr0 |= CR0_NE;
  m.v.s.fpu.fcw = 0x037F;
  m.v.s.fpu.ftw = 0xFFFF;
  m.load(0x1000, {0xD9, 0xE8,                    // fld1
                  0xD9, 0xE8,                    // fld1
                  0xDE, 0xC1,                    // faddp
                  0xD9, 0xE8,                    // fld1
                  0xDE, 0xC1,                    // faddp
                  0xDF, 0x1E, 0x00, 0x20,        // fistp word [0x2000]
                  0xFA, 0xF4});                  // cli; hlt
  const Exit e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  uint8_t out[2] = {};
  REQUIRE(m.mem.read_phys(0x2000, out));
  CHECK(out[0] == 3);
  CHECK(out[1] == 0);
  CHECK((m.v.s.fpu.fsw >> 11 & 7) == 0);  // TOP back to 0
  CHECK(m.v.s.fpu.ftw == 0xFFFF);          // every register empty again
  MESSAGE("x87 instructions completed by the fallback: "
          << m.kvm().counters()[KvmExit::EmulationFallback]);
}

TEST_CASE("kvm_triple_fault_is_a_shutdown_and_a_reset_state_runs_again") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  // Flat 32-bit protected mode with an empty IDT: INT3 -> #GP -> #DF -> shutdown.
  CpuState& s = m.v.s;
  s.cr0 |= CR0_PE;
  s.seg[CS] = SegmentCache{0x08, 0, 0xFFFFFFFF, 0x0C9B};
  for (uint8_t sg : {ES, SS, DS, FS, GS}) s.seg[sg] = SegmentCache{0x10, 0, 0xFFFFFFFF, 0x0C93};
  s.idtr = DescriptorTableReg{0, 0};
  m.load(0x1000, {0xCC});
  const Exit e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Shutdown);
  // KVM_EXIT_SHUTDOWN on hardware; on kvm-pvm the INT3 is an emulation failure and the
  // interpreter fallback finds the triple fault. Either way it is counted once.
  CHECK(m.v.counters.triple_faults == 1);
  // What Machine::reset does: flush, RESET state, then the boot step's entry point.
  m.v.attention.fetch_and(~(kAttnShutdown | kAttnStop));
  m.core->flush_code_cache();
  reset_cpu_state(m.v.s);
  m.v.s.seg[CS] = SegmentCache{0, 0, 0xFFFF, 0x0093};
  m.v.s.eip = 0x1100;
  m.load(0x1100, {0xB0, 0x5A, 0xE6, 0x80, 0xFA, 0xF4});  // mov al,0x5a; out 0x80,al; cli; hlt
  const Exit again = m.run_until_exit();
  CHECK(again.reason == ExitReason::Halted);
  REQUIRE(m.ports.log.size() == 1);
  CHECK(m.ports.log[0].value == 0x5A);
}

TEST_CASE("kvm_host_probe_supported_cpuid_and_msrs_answer_through_the_c_layouts") {
  std::unique_ptr<KvmDevice> dev;
  try {
    dev = KvmDevice::open("/dev/kvm");
  } catch (const KvmUnavailable& e) {
    MESSAGE("skipped: " << e.what());
    return;
  }
  const KvmCaps& c = dev->caps();
  MESSAGE("host KVM: readonly_mem " << c.readonly_mem << ", set_tss_addr " << c.set_tss_addr
          << ", internal_error_data " << c.internal_error_data << ", sync_regs " << c.sync_regs
          << ", memslots " << c.max_memslots
          << std::string(access("/sys/module/kvm_pvm", F_OK) == 0 ? " (kvm-pvm)" : ""));
  CpuidTable t;
  std::string err;
  REQUIRE_MESSAGE(dev->supported_cpuid(t, err), err);
  CHECK(t.nent > 2);
  CHECK(find_cpuid_entry(t, 0) != nullptr);
  CHECK(find_cpuid_entry(t, 1) != nullptr);
  // Every MSR CpuState keeps reads back.
  KvmVcpuState k;
  CHECK(dev->get_state(k) == "");
  CHECK(k.msrs.nmsrs == state_msr_indices().size());
}

TEST_CASE("kvm_guest_writes_reach_guest_memorys_dirty_bitmap") {
  KvmMachine m;
  if (!open_kvm(m)) return;
  m.load(0x1000, {0xC6, 0x06, 0x00, 0x50, 0x01,  // mov byte [0x5000], 1
                  0xC6, 0x06, 0x00, 0x70, 0x02,  // mov byte [0x7000], 2
                  0xFA, 0xF4});                  // cli; hlt
  m.mem.test_and_clear_dirty(1);  // the test's own load of the code page
  const Exit e = m.run_until_exit();
  CHECK(e.reason == ExitReason::Halted);
  CHECK(m.mem.test_and_clear_dirty(5));
  CHECK(m.mem.test_and_clear_dirty(7));
  CHECK_FALSE(m.mem.test_and_clear_dirty(6));
  CHECK(m.kvm().counters().dirty_pages >= 2);
  uint8_t b = 0;
  REQUIRE(m.mem.read_phys(0x7000, {&b, 1}));
  CHECK(b == 2);  // the same bytes: KVM's slot is GuestMemory's mapping
}
