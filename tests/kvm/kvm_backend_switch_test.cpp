// The monitor's `backend` command on a whole Machine: a running guest is switched interp -> kvm
// -> interp between slices and finishes with the right result; each part ran on the technique
// the monitor chose (the guest reads it from CPUID leaf 0x40000001). Refusals leave the machine
// as it was. The switch itself skips, with the reason printed, without a usable /dev/kvm.
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"
#include "tests/kvm/machine_memory.h"
#include "ui/monitor.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;

namespace {

constexpr uint32_t kIterations = 1'000'000;

MachineConfig switch_config() {
  MachineConfig c;
  c.ram_bytes = 2 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.debug_exits.push_back({0xF4, 4});
  return c;
}

// Real mode at 0:1000. EDI counts down from kIterations; each iteration adds it to ESI, stores
// it at [0x2000] and stores CPUID(0x40000001).EAX (the technique) at [0x2008]. At the end the
// sum goes to [0x2004] and the guest exits through isa-debug-exit with status 0x43.
std::vector<uint8_t> guest_code() {
  std::vector<uint8_t> c = {
      0x66, 0x31, 0xF6,                          // xor esi, esi
      0x66, 0xBF, 0, 0, 0, 0,                    // mov edi, kIterations
      0x66, 0x01, 0xFE,                          // l: add esi, edi
      0x66, 0x89, 0x3E, 0x00, 0x20,              // mov [0x2000], edi
      0x66, 0xB8, 0x01, 0x00, 0x00, 0x40,        // mov eax, 0x40000001
      0x0F, 0xA2,                                // cpuid
      0x66, 0xA3, 0x08, 0x20,                    // mov [0x2008], eax
      0x66, 0x4F,                                // dec edi
      0x75, 0xE8,                                // jnz l (-24)
      0x66, 0x89, 0x36, 0x04, 0x20,              // mov [0x2004], esi
      0xB0, 0x21, 0xE6, 0xF4,                    // mov al, 0x21; out 0xF4, al
      0xFA, 0xF4,                                // cli; hlt
  };
  std::memcpy(&c[5], &kIterations, 4);
  return c;
}

using test::read32;

void boot_guest(Machine& m) {
  m.set_boot([](Machine& mm) {
    REQUIRE(mm.memory().write_phys(0x1000, guest_code()));
    cpu::CpuState& s = mm.vcpu().s;
    s.seg[cpu::CS] = cpu::SegmentCache{0, 0, 0xFFFF, 0x0093};
    s.eip = 0x1000;
    s.gpr[cpu::ESP] = 0x8000;
  });
  m.reset();
}

uint64_t stat(Machine& m, const std::string& name) {
  for (const machine::StatValue& v : m.stats().snapshot())
    if (v.name == name) return v.count;
  return 0;
}

bool kvm_usable(std::string& why) {
  MachineConfig c = switch_config();
  c.backend = "kvm";
  try {
    machine::make_execution_core(c);
    return true;
  } catch (const machine::SetupError& e) {
    why = e.what();
    return false;
  }
}

}  // namespace

TEST_CASE("kvm_monitor_backend_switches_a_running_guest_interp_kvm_interp") {
  std::string why;
  if (!kvm_usable(why)) {
    MESSAGE("skipped: " << why);
    return;
  }
  MachineConfig cfg = switch_config();
  Machine m(cfg, machine::make_execution_core(cfg));
  ui::Monitor mon(m);
  boot_guest(m);

  // Between slices (the host pollers run there, as the monitor does): after 100 000
  // iterations switch to kvm, after 30 000 more back to interp.
  int phase = 0;
  uint32_t mark = 0;
  std::vector<uint32_t> technique_seen;  // CPUID 0x40000001 as the guest read it, per phase end
  std::vector<std::string> replies;
  m.add_host_poller([&] {
    const uint32_t done = kIterations - read32(m, 0x2000);
    if (read32(m, 0x2000) == 0) return;  // not started yet
    if (phase == 0 && done >= 100'000) {
      technique_seen.push_back(read32(m, 0x2008));
      replies.push_back(mon.execute("backend kvm"));
      mark = done;
      phase = 1;
    } else if (phase == 1 && done >= mark + 30'000) {
      technique_seen.push_back(read32(m, 0x2008));
      replies.push_back(mon.execute("backend interp"));
      mark = done;
      phase = 2;
    } else if (phase == 2 && done >= mark + 1'000) {
      technique_seen.push_back(read32(m, 0x2008));
      phase = 3;
    }
  });
  const machine::RunResult r = m.run();
  INFO("run: " << r.message);
  CHECK(r.kind == machine::StopKind::GuestExit);
  CHECK(r.status == 0x43);
  REQUIRE(phase == 3);
  REQUIRE(replies.size() == 2);
  CHECK(replies[0] == "backend: switched from interp to kvm\n");
  CHECK(replies[1] == "backend: switched from kvm to interp\n");
  REQUIRE(technique_seen.size() == 3);
  CHECK(technique_seen[0] == 0);  // interp
  CHECK(technique_seen[1] == 3);  // kvm
  CHECK(technique_seen[2] == 0);  // interp again
  // Sum of 1..N mod 2^32, as the guest computed it over the three techniques.
  uint32_t sum = 0;
  for (uint32_t i = 1; i <= kIterations; ++i) sum += i;
  CHECK(read32(m, 0x2004) == sum);
  CHECK(std::string(m.core().name()) == "interp");
  CHECK(m.config().backend == "interp");
  CHECK(stat(m, "kvm.runs") > 0);  // the kvm core's counters stay in --stats after leaving it
  CHECK(stat(m, "kvm.exits.io") == 0);
}

TEST_CASE("kvm_monitor_backend_refusals_leave_the_technique_unchanged") {
  MachineConfig cfg = switch_config();
  cfg.deterministic = true;  // refused with kvm whether or not this host has KVM
  Machine m(cfg, machine::make_execution_core(cfg));
  ui::Monitor mon(m);
  boot_guest(m);
  CHECK(mon.execute("backend") == "backend: interp (switch with: backend interp|bt|kvm)\n");
  CHECK(mon.execute("backend interp") == "backend: already running on interp\n");
  const std::string det = mon.execute("backend kvm");
  CHECK(det.find("--deterministic cannot be used with --backend kvm") != std::string::npos);
  CHECK(det.find("still running on interp") != std::string::npos);
  CHECK(mon.execute("backend bogus").find("unknown technique") != std::string::npos);
  CHECK(mon.execute("backend trap").find("not implemented yet") != std::string::npos);
  CHECK(mon.execute("backend a b").find("usage: backend") == 0);
  CHECK(std::string(m.core().name()) == "interp");
  CHECK(m.config().backend == "interp");
  // And the machine still runs to the end on the interpreter.
  const machine::RunResult r = m.run();
  CHECK(r.status == 0x43);
}
