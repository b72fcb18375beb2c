// The PC platform as the machine wires it: each test drives the ports a guest would, through
// a scripted core (no interpreter), and checks what the machine does.
#include <doctest/doctest.h>

#include <deque>
#include <functional>

#include "machine/machine.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;
using machine::StopKind;

namespace {

// Runs each scripted guest action once, then reports Attention (as after an I/O write).
class ScriptedCore : public cpu::ExecutionCore {
 public:
  std::deque<std::function<void(cpu::Vcpu&)>> actions;
  int flushes = 0;
  const char* name() const override { return "scripted"; }
  cpu::Exit run(cpu::Vcpu& v, uint64_t) override {
    if (actions.empty()) return cpu::Exit{cpu::ExitReason::InternalError, 0, "script ran out"};
    auto a = actions.front();
    actions.pop_front();
    a(v);
    return cpu::Exit{cpu::ExitReason::Attention, 1, ""};
  }
  void flush_code_cache() override { ++flushes; }
};

struct Rig {
  ScriptedCore* core;
  std::unique_ptr<Machine> m;
  explicit Rig(bool no_reboot = false) {
    MachineConfig c;
    c.ram_bytes = 4 << 20;
    c.serial = "null";
    c.debugcon = "null";
    c.deterministic = true;
    c.no_reboot = no_reboot;
    c.debug_exits.push_back({0xF4, 4});
    auto sc = std::make_unique<ScriptedCore>();
    core = sc.get();
    m = std::make_unique<Machine>(c, std::move(sc));
    m->reset();
  }
  uint32_t in(uint16_t port, unsigned width) { return m->io().read(port, width); }
  void out(uint16_t port, unsigned width, uint32_t v) { m->io().write(port, width, v); }
};

}  // namespace

TEST_CASE("a20_is_on_when_either_the_8042_output_port_or_port_92_enables_it") {
  Rig r;
  CHECK(r.m->memory().a20());          // as a BIOS leaves it
  r.out(0x64, 1, 0xD1);                // write output port: bit 1 (A20) clear, bit 0 (no reset) set
  r.out(0x60, 1, 0x01);
  CHECK_FALSE(r.m->memory().a20());
  r.out(0x92, 1, 0x02);                // fast A20
  CHECK(r.m->memory().a20());
  CHECK(r.in(0x92, 1) == 0x02);
  r.out(0x92, 1, 0x00);
  CHECK_FALSE(r.m->memory().a20());
  r.out(0x64, 1, 0xDF);                // 8042 "enable A20" shortcut
  CHECK(r.m->memory().a20());
}

TEST_CASE("keyboard_controller_reset_reboots_the_machine_and_stops_it_under_no_reboot") {
  {
    Rig r(/*no_reboot=*/true);
    r.core->actions.push_back([](cpu::Vcpu& v) { v.io.write(0x64, 1, 0xFE); });
    auto res = r.m->run();
    CHECK(res.kind == StopKind::ResetRequested);
    CHECK(res.status == 0);
  }
  {
    Rig r;
    const int flushes_before = r.core->flushes;
    r.core->actions.push_back([](cpu::Vcpu& v) {
      v.s.gpr[cpu::EAX] = 0x1234;
      v.io.write(0x92, 1, 0x01);  // port 0x92 fast reset
    });
    r.core->actions.push_back([](cpu::Vcpu& v) {
      CHECK(v.s.gpr[cpu::EAX] == 0);  // the CPU was reset in between
      v.io.write(0xF4, 1, 0);
    });
    auto res = r.m->run();
    CHECK(res.kind == StopKind::GuestExit);
    CHECK(r.core->flushes > flushes_before);  // reset drops the decoded code
  }
}

TEST_CASE("acpi_s5_sleep_request_powers_off_with_status_0") {
  Rig r;
  r.core->actions.push_back([](cpu::Vcpu& v) { v.io.write(0x604, 2, 0x2000); });  // SLP_EN, type 0
  auto res = r.m->run();
  CHECK(res.kind == StopKind::GuestExit);
  CHECK(res.status == 0);
}

TEST_CASE("pci_configuration_space_shows_the_i440fx_piix3_and_vga_and_nothing_else") {
  Rig r;
  r.out(0xCF8, 4, 0x80000000);         // 00:00.0 register 0
  CHECK(r.in(0xCFC, 4) == 0x12378086);
  r.out(0xCF8, 4, 0x80000800);         // 00:01.0
  CHECK(r.in(0xCFC, 4) == 0x70008086);
  r.out(0xCF8, 4, 0x80000900);         // 00:01.1
  CHECK(r.in(0xCFC, 4) == 0x70108086);
  r.out(0xCF8, 4, 0x80001000);         // 00:02.0: the VGA (Bochs/QEMU stdvga)
  CHECK(r.in(0xCFC, 4) == 0x11111234);
  r.out(0xCF8, 4, 0x80001800);         // 00:03.0: nothing there
  CHECK(r.in(0xCFC, 4) == 0xFFFFFFFF);
}

TEST_CASE("fw_cfg_and_cmos_describe_the_machine") {
  Rig r;
  r.out(0x510, 2, 0x0000);             // FW_CFG_SIGNATURE
  char sig[5] = {};
  for (int i = 0; i < 4; ++i) sig[i] = char(r.in(0x511, 1));
  CHECK(std::string(sig) == "QEMU");
  r.out(0x70, 1, 0x15);                // base memory in KiB
  uint32_t base = r.in(0x71, 1);
  r.out(0x70, 1, 0x16);
  base |= r.in(0x71, 1) << 8;
  CHECK(base == 640);
  r.out(0x70, 1, 0x17);                // extended memory above 1 MiB in KiB
  uint32_t ext = r.in(0x71, 1);
  r.out(0x70, 1, 0x18);
  ext |= r.in(0x71, 1) << 8;
  CHECK(ext == (4 << 10) - 1024);
}

TEST_CASE("random_traffic_to_every_port_of_every_device_never_crashes_the_machine") {
  // Guest nonsense at every device: random widths, values and read/write mixes on the whole
  // I/O map (biased towards the ports devices claim), then the machine must still run a guest
  // action and exit normally. Seeded, so a failure repeats.
  Rig r;
  const uint16_t claimed[] = {0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71,
                              0x92, 0xA0, 0xA1, 0xE9, 0x2F8, 0x2FD, 0x3F8, 0x3FA, 0x3FD, 0x4D0,
                              0x4D1, 0x510, 0x511, 0x600, 0x604, 0x608, 0x60C, 0xCF8, 0xCF9, 0xCFC,
                              0xCFE, 0x1CE, 0x1CF, 0x3C0, 0x3C1, 0x3C4, 0x3C5, 0x3C7, 0x3C8,
                              0x3C9, 0x3CE, 0x3CF, 0x3D4, 0x3D5, 0x3DA,   // VGA, VBE
                              0x1F0, 0x1F1, 0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7, 0x3F6,
                              0x170, 0x177, 0x376, 0xF0};  // IDE channels, x87 error latch
  // Device memory too: IOAPIC, local APIC, the VGA window.
  const uint32_t mmio[] = {0xFEC00000, 0xFEC00010, 0xFEE00080, 0xFEE000B0, 0xFEE000F0, 0xFEE00300,
                           0xFEE00310, 0xFEE00320, 0xFEE00380, 0xA0000, 0xB8000, 0xBFFFC};
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
  for (int i = 0; i < 200000; ++i) {
    const uint64_t rnd = next();
    uint16_t port = (rnd & 3) ? claimed[(rnd >> 2) % std::size(claimed)] : uint16_t(rnd >> 8);
    if (port >= 0xF4 && port < 0xF8) continue;  // the debug-exit device would end the run
    const unsigned width = 1u << ((rnd >> 24) % 3);
    if ((rnd >> 30) & 1) r.out(port, width, uint32_t(next()));
    else (void)r.in(port, width);
    if ((rnd >> 40) % 8 == 0) {
      const uint32_t addr = mmio[(rnd >> 44) % std::size(mmio)];
      if ((rnd >> 50) & 1) r.m->mmio().write(addr, 4, uint32_t(next()));
      else (void)r.m->mmio().read(addr, 4);
    }
  }
  r.core->actions.push_back([](cpu::Vcpu& v) { v.io.write(0xF4, 1, 0); });
  auto res = r.m->run();
  // The traffic may have asked for a reset (carried out first, then the guest's exit runs) or a
  // power-off (an exit with status 0): either way the run ends as a guest exit.
  CHECK(res.kind == StopKind::GuestExit);
  CHECK((res.status == 0 || res.status == 1));
}
