// The monitor against a small machine: x / xp formats (QEMU's layout), x through the guest's
// page tables, x/i with Capstone, info commands, run control, line editing, and bad input
// (random lines and bytes must only ever produce messages).
#include "ui/monitor.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>

#include "machine/core_factory.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;
using ui::Monitor;

namespace {

MachineConfig small_config() {
  MachineConfig c;
  c.ram_bytes = 4 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.deterministic = true;
  return c;
}

struct Rig {
  MachineConfig cfg = small_config();
  std::unique_ptr<Machine> m;
  std::unique_ptr<Monitor> mon;
  Rig() {
    m = std::make_unique<Machine>(cfg, machine::make_execution_core(cfg));
    m->reset();
    mon = std::make_unique<Monitor>(*m);
  }
  void poke(uint64_t pa, std::vector<uint8_t> bytes) {
    REQUIRE(m->memory().write_phys(pa, bytes));
  }
  std::string run(const std::string& line) { return mon->execute(line); }
};

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("monitor_xp_formats_follow_qemu_layout") {
  Rig r;
  r.poke(0x2000, {0x78, 0x56, 0x34, 0x12, 0xF0, 0xDE, 0xBC, 0x9A, 'h', 'i', '\n', 0x01});
  CHECK(r.run("xp/2xw 0x2000") == "0000000000002000: 0x12345678 0x9abcdef0\n");
  CHECK(r.run("xp/4xb 0x2000") == "0000000000002000: 0x78 0x56 0x34 0x12\n");
  CHECK(r.run("xp/2xh 0x2000") == "0000000000002000: 0x5678 0x1234\n");
  CHECK(r.run("xp/1xg 0x2000") == "0000000000002000: 0x9abcdef012345678\n");
  CHECK(r.run("xp/2dw 0x2000") == "0000000000002000:  305419896 -1698898192\n");
  CHECK(r.run("xp/1uw 0x2004") == "0000000000002004: 2596069104\n");
  CHECK(r.run("xp/1db 0x2004") == "0000000000002004: -16\n");
  CHECK(r.run("xp/1ob 0x2000") == "0000000000002000: 0170\n");
  CHECK(r.run("xp/4c 0x2008") == "0000000000002008: 'h' 'i' '\\n' '\\x01'\n");
  // 16 bytes per line (8 for bytes); the count runs over several lines.
  CHECK(r.run("xp/5xw 0x2000") ==
        "0000000000002000: 0x12345678 0x9abcdef0 0x010a6968 0x00000000\n"
        "0000000000002010: 0x00000000\n");
  // The last format and size are remembered; no format = the last one, count 1.
  CHECK(r.run("xp/2xh 0x2000") == "0000000000002000: 0x5678 0x1234\n");
  CHECK(r.run("xp 0x2000") == "0000000000002000: 0x5678\n");
  // Expressions: + and -, registers.
  r.m->vcpu().s.gpr[cpu::EBX] = 0x1FF8;
  CHECK(r.run("xp/1xw $ebx+8") == "0000000000002000: 0x12345678\n");
  CHECK(r.run("xp/1xw 0x2010 - 16") == "0000000000002000: 0x12345678\n");
  CHECK(r.run("xp/1xw 8192") == "0000000000002000: 0x12345678\n");
}

TEST_CASE("monitor_x_reads_through_the_guest_page_tables") {
  Rig r;
  cpu::CpuState& s = r.m->vcpu().s;
  // Without paging a linear address is the physical one (8-digit labels for linear).
  r.poke(0x3000, {0xAA, 0xBB, 0xCC, 0xDD});
  CHECK(r.run("x/1xw 0x3000") == "00003000: 0xddccbbaa\n");
  // Page directory at 0x10000, one page table at 0x11000: linear 0x00400000 -> physical 0x3000.
  uint32_t pde = 0x11000 | 0x7, pte = 0x3000 | 0x7;
  std::vector<uint8_t> b(4);
  std::memcpy(b.data(), &pde, 4);
  r.poke(0x10000 + 1 * 4, b);
  std::memcpy(b.data(), &pte, 4);
  r.poke(0x11000, b);
  s.cr3 = 0x10000;
  s.cr0 |= cpu::CR0_PE | cpu::CR0_PG;
  CHECK(r.run("x/1xw 0x400000") == "00400000: 0xddccbbaa\n");
  // Unmapped: an error line, no fault for the guest (CR2 untouched), no A bit set.
  s.cr2 = 0x1234;
  std::string out = r.run("x/1xw 0x800000");
  CHECK(contains(out, "Cannot access memory at 0x800000"));
  CHECK(s.cr2 == 0x1234);
  uint8_t pde_low = 0;
  r.m->memory().read_phys(0x10004, std::span<uint8_t>(&pde_low, 1));
  CHECK((pde_low & 0x20) == 0);
  CHECK(contains(r.run("x/1xw 0x100000000"), "beyond the 32-bit"));
}

TEST_CASE("monitor_x_i_disassembles_with_capstone_in_the_cpu_mode") {
  Rig r;
  cpu::CpuState& s = r.m->vcpu().s;
  // mov eax, 1 ; nop ; jmp $
  r.poke(0x5000, {0xB8, 0x01, 0x00, 0x00, 0x00, 0x90, 0xEB, 0xFE});
  s.seg[cpu::CS].attr |= cpu::SEG_DB;  // 32-bit code segment
  std::string out = r.run("xp/3i 0x5000");
  CHECK(contains(out, "0x00005000:  mov eax, 1"));
  CHECK(contains(out, "0x00005005:  nop"));
  CHECK(contains(out, "0x00005006:  jmp 0x5006"));
  s.seg[cpu::CS].attr &= uint16_t(~cpu::SEG_DB);  // 16-bit: B8 01 00 = mov ax, 1
  CHECK(contains(r.run("xp/1i 0x5000"), "mov ax, 1"));
  CHECK(contains(r.run("xp/1i 0x7ff00000"), "Cannot access memory"));
}

TEST_CASE("monitor_bad_addresses_and_formats_are_messages") {
  Rig r;
  CHECK(contains(r.run("xp/1xw 0x40000000"), "Cannot access memory"));  // beyond RAM
  CHECK(contains(r.run("xp/4xw 0x3ffffc"), "Cannot access memory at 0x400000"));  // runs off the end
  CHECK(contains(r.run("xp/1xw 0xfee00000"), "MMIO is not read"));
  CHECK(contains(r.run("xp/1zw 0"), "invalid format letter 'z'"));
  CHECK(contains(r.run("xp/0xw 0"), "count must be at least 1"));
  CHECK(contains(r.run("xp/99999xw 0"), "count too large"));
  CHECK(contains(r.run("xp/1xw"), "missing address"));
  CHECK(contains(r.run("xp/1xw zz"), "not a number"));
  CHECK(contains(r.run("xp/1xw 12ab"), "hex needs 0x"));
  CHECK(contains(r.run("xp/1xw $nope"), "unknown register '$nope'"));
  CHECK(contains(r.run("xp/1xw 0x1+"), "missing a number"));
  CHECK(contains(r.run("xp/1xw 0xffffffffffffffffff"), "is too large"));
}

TEST_CASE("monitor_info_commands") {
  Rig r;
  r.m->vcpu().s.gpr[cpu::EAX] = 0xCAFEF00D;
  std::string regs = r.run("info registers");
  CHECK(contains(regs, "EAX=cafef00d"));
  CHECK(contains(regs, "CR0="));
  // The instruction at CS:EIP follows, disassembled by Capstone.
  cpu::CpuState& s = r.m->vcpu().s;
  s.seg[cpu::CS].base = 0;
  s.eip = 0x1000;
  const uint8_t hlt[] = {0xF4};
  r.m->memory().write_phys(0x1000, hlt);
  CHECK(contains(r.run("info registers"), "hlt"));
  CHECK(contains(r.run("info registers -a"), "CPU#0"));
  CHECK(contains(r.run("info registers -x"), "unknown argument"));
  CHECK(r.run("info status") == "VM status: running\n");
  CHECK(contains(r.run("info cpus"), "* CPU #0: CS:EIP="));
  std::string pic = r.run("info pic");
  CHECK(contains(pic, "pic-master"));
  CHECK(contains(pic, "pic-slave"));
  std::string mtree = r.run("info mtree");
  CHECK(contains(mtree, "0000000000000000-00000000003fffff (prio 0, ram): pc.ram"));
  CHECK(contains(mtree, "03f8-03ff (prio 0, i/o): com1"));
  CHECK(contains(mtree, "02f8-02ff (prio 0, i/o): com2"));
  CHECK(contains(r.run("info stats run."), "run.instructions"));
  CHECK_FALSE(contains(r.run("info stats run."), "cpu.instructions"));
  CHECK(contains(r.run("info stats nosuch"), "no counter starts with"));
  CHECK(contains(r.run("info nosuch"), "unknown info subcommand 'nosuch'"));
  CHECK(contains(r.run("info"), "info registers"));
}

TEST_CASE("monitor_help_and_unknown_commands") {
  Rig r;
  std::string help = r.run("help");
  for (const char* cmd : {"help", "x ", "xp ", "stop", "cont|c", "system_reset", "quit|q",
                          "info registers", "info status", "info cpus", "info pic", "info mtree",
                          "info stats"})
    CHECK_MESSAGE(contains(help, cmd), cmd);
  CHECK(contains(r.run("help x"), "/fmt addr"));
  CHECK(contains(r.run("help nosuch"), "no command 'nosuch'"));
  CHECK(r.run("frobnicate 1 2") == "unknown command: 'frobnicate' (type 'help' for the list)\n");
  CHECK(r.run("") == "");
  CHECK(r.run("   ") == "");
  CHECK(contains(r.run("cpu 5"), "no CPU 5"));
  CHECK(r.run("cpu 0") == "");
}

TEST_CASE("monitor_stop_pauses_the_run_loop_and_cont_resumes") {
  MachineConfig cfg = small_config();
  cfg.max_instructions = 1000;
  Machine m(cfg, machine::make_execution_core(cfg));
  m.reset();
  // Real mode at 0000:1000: jmp $ (so the guest would use up its instruction budget at once).
  cpu::CpuState& s = m.vcpu().s;
  s.seg[cpu::CS].selector = 0;
  s.seg[cpu::CS].base = 0;
  s.eip = 0x1000;
  REQUIRE(m.memory().write_phys(0x1000, std::vector<uint8_t>{0xEB, 0xFE}));
  Monitor mon(m);
  CHECK(mon.execute("stop") == "");
  CHECK(m.paused());
  CHECK(mon.execute("info status") == "VM status: paused\n");
  // Paused: the loop serves input only; stop it from "outside" after a while.
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    m.request_stop_from_signal(15);
  });
  machine::RunResult r = m.run();
  stopper.join();
  CHECK(r.status == 128 + 15);
  CHECK(m.instructions() == 0);
  CHECK(mon.execute("c") == "");
  CHECK_FALSE(m.paused());
}

TEST_CASE("monitor_quit_and_system_reset_request_them_from_the_machine") {
  MachineConfig cfg = small_config();
  Machine m(cfg, machine::make_execution_core(cfg));
  m.reset();
  cpu::CpuState& s = m.vcpu().s;
  s.seg[cpu::CS].selector = 0;
  s.seg[cpu::CS].base = 0;
  s.eip = 0x1000;
  REQUIRE(m.memory().write_phys(0x1000, std::vector<uint8_t>{0xEB, 0xFE}));
  Monitor mon(m);
  CHECK(mon.execute("q") == "");
  machine::RunResult r = m.run();
  CHECK(r.kind == machine::StopKind::GuestExit);
  CHECK(r.status == 0);
}

TEST_CASE("monitor_line_editing_echoes_and_runs_lines") {
  Rig r;
  devices::BufferBackend line;
  Monitor mon(*r.m, line, /*greet=*/true);
  CHECK(contains(line.text, "vmlab monitor"));
  CHECK(line.text.size() >= 8);
  CHECK(line.text.substr(line.text.size() - 8) == "(vmlab) ");
  line.text.clear();
  auto type = [&](std::string s) {
    line.push_input(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  type("info statuz\x7f" "s\r\n");  // backspace fixes the typo; CR LF is one Enter
  CHECK(contains(line.text, "info statuz\b \bs"));
  CHECK(contains(line.text, "VM status: running\n(vmlab) "));
  CHECK_FALSE(contains(line.text, "unknown command"));
  line.text.clear();
  type("garbage\x15" "info status\n");  // Ctrl-U drops the line typed so far
  CHECK(contains(line.text, "VM status: running"));
  CHECK_FALSE(contains(line.text, "garbage'"));
  line.text.clear();
  type("\x1b[A\r");  // up arrow: the previous line again
  CHECK(contains(line.text, "VM status: running"));
  line.text.clear();
  type(std::string(5000, 'a') + "\n");  // overlong: kept to kMaxLine, then unknown command
  CHECK(contains(line.text, "unknown command"));
  CHECK(line.text.size() < 2 * Monitor::kMaxLine + 200);
}

TEST_CASE("monitor_survives_random_input") {
  Rig r;
  devices::BufferBackend line;
  Monitor mon(*r.m, line, false);
  std::mt19937 rng(1234);
  const std::vector<std::string> words = {"x", "xp", "info", "registers", "/", "/10i", "/4xg",
                                          "$eip", "$esp+", "0x", "-", "0xffffffff", "cpu",
                                          "help", "stats", "mtree", "/3c", "99999999999999999999"};
  for (int i = 0; i < 3000; ++i) {
    std::string cmd;
    int n = int(rng() % 4);
    for (int k = 0; k < n; ++k) cmd += words[rng() % words.size()] + (rng() % 3 ? " " : "");
    if (rng() % 5 == 0) cmd += char(rng() % 256);
    for (char& c : cmd)
      if (c == 'q' || c == '\r' || c == '\n') c = ' ';
    if (cmd.rfind("cont", 0) == 0 || cmd.rfind("stop", 0) == 0) continue;
    (void)r.mon->execute(cmd);
  }
  for (int i = 0; i < 20000; ++i) {
    uint8_t b = uint8_t(rng());
    if (b == 'q') continue;  // keep `quit` out: it only sets a flag, but keep the machine running
    mon.receive(b);
  }
  CHECK(r.run("info status") == "VM status: running\n");
}

TEST_CASE("monitor_info_mem_and_tlb_list_the_guest_mappings") {
  Rig r;
  cpu::CpuState& s = r.m->vcpu().s;
  CHECK(contains(r.run("info mem"), "PG disabled"));
  auto put32 = [&](uint64_t pa, uint32_t v) {
    std::vector<uint8_t> b(4);
    std::memcpy(b.data(), &v, 4);
    r.poke(pa, b);
  };
  // 2-level: PD at 0x10000; PT at 0x11000 for 0x00400000; a 4 MiB PSE page at 0x00800000.
  put32(0x10000 + 1 * 4, 0x11000 | 0x7);        // user, writable
  put32(0x11000 + 0 * 4, 0x3000 | 0x7);         // 0x400000 -> 0x3000
  put32(0x11000 + 1 * 4, 0x4000 | 0x7);         // 0x401000 -> 0x4000 (contiguous)
  put32(0x11000 + 2 * 4, 0x9000 | 0x7);         // 0x402000 -> 0x9000 (not contiguous)
  put32(0x11000 + 3 * 4, 0xA000 | 0x5);         // 0x403000 read-only
  put32(0x10000 + 2 * 4, 0x00C00000 | 0x83);    // 0x800000: 4 MiB, supervisor, writable
  s.cr3 = 0x10000;
  s.cr4 |= cpu::CR4_PSE;
  s.cr0 |= cpu::CR0_PE | cpu::CR0_PG;
  CHECK(r.run("info mem") ==
        "00400000-00403000 00003000 urw\n"
        "00403000-00404000 00001000 ur-\n"
        "00800000-00c00000 00400000 -rw\n");
  CHECK(r.run("info tlb") ==
        "00400000-00402000 -> 000003000-000005000 urw\n"
        "00402000-00403000 -> 000009000-00000a000 urw\n"
        "00403000-00404000 -> 00000a000-00000b000 ur-\n"
        "00800000-00c00000 -> 000c00000-001000000 -rw\n");
  // PAE with NX: PDPT at 0x20000, PD at 0x21000, one 2 MiB page at 0x00200000, no-execute.
  std::vector<uint8_t> e(8);
  auto put64 = [&](uint64_t pa, uint64_t v) {
    std::memcpy(e.data(), &v, 8);
    r.poke(pa, e);
  };
  put64(0x20000, 0x21000 | 0x1);
  put64(0x21000 + 1 * 8, 0x00200000ull | 0x83 | (1ull << 63));
  s.cr3 = 0x20000;
  s.cr4 |= cpu::CR4_PAE;
  s.msr.efer |= cpu::EFER_NXE;
  CHECK(r.run("info mem") == "00200000-00400000 00200000 -rw nx\n");
  // A page table pointing outside RAM reads as not present, not as a crash.
  put64(0x21000 + 2 * 8, 0x7FF00000ull | 0x1);
  CHECK(r.run("info tlb") == "00200000-00400000 -> 000200000-000400000 -rw nx\n");
}

TEST_CASE("monitor_step_runs_instructions_and_shows_the_next_one") {
  Rig r;
  cpu::CpuState& s = r.m->vcpu().s;
  s.seg[cpu::CS].selector = 0;
  s.seg[cpu::CS].base = 0;
  s.eip = 0x1000;
  // 16-bit: mov ax, 1 ; nop ; jmp $
  r.poke(0x1000, {0xB8, 0x01, 0x00, 0x90, 0xEB, 0xFE});
  std::string out = r.run("step");
  CHECK(r.m->paused());
  CHECK(contains(out, "executed 1 instruction; next:"));
  CHECK(contains(out, "0x00001003:  nop"));
  CHECK((s.gpr[cpu::EAX] & 0xFFFF) == 1);
  CHECK(s.eip == 0x1003);
  out = r.run("step 3");
  CHECK(contains(out, "executed 3 instructions"));
  CHECK(s.eip == 0x1004);  // nop, then jmp $ twice
  CHECK(contains(r.run("step 0"), "N must be 1 to 1000000"));
  CHECK(contains(r.run("step x"), "not a number"));
  r.run("x/2xb 0x1000");
  r.run("step");
  CHECK(r.run("x 0x1000") == "00001000: 0xb8\n");  // step kept x's remembered format
}

TEST_CASE("monitor_system_powerdown_presses_the_acpi_power_button") {
  Rig r;
  CHECK(r.run("system_powerdown") == "");
  // PM1a status (port 0x600) bit 8: PWRBTN_STS.
  CHECK((r.m->io().read(0x600, 2) & 0x100) != 0);
}

TEST_CASE("machine_refuses_a_monitor_it_cannot_serve") {
  auto build = [](std::string serial, std::string serial2, std::string monitor) -> std::string {
    MachineConfig c = small_config();
    c.serial = serial;
    c.serial2 = serial2;
    c.monitor = monitor;
    try {
      Machine m(c, machine::make_execution_core(c));
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  CHECK(contains(build("stdio", "null", "stdio"), "stdin can feed only one"));
  CHECK(contains(build("stdio", "stdio", ""), "stdin can feed only one"));
  CHECK(contains(build("mon:stdio", "null", "tcp::0,server,nowait"), "only one monitor"));
  CHECK(contains(build("null", "null", "file:/tmp/m"), "the monitor needs input"));
  CHECK(contains(build("null", "null", "mon:stdio"), "'mon:' belongs in -serial"));
  CHECK(contains(build("tcp:1", "null", ""), "-serial: character device 'tcp:1'"));
  CHECK(build("null", "null", "stdio") == "");
  CHECK(build("stdio,input=off", "null", "stdio") == "");
  CHECK(build("mon:stdio", "null", "") == "");
}

TEST_CASE("monitor_sendkey_types_on_the_ps2_keyboard") {
  Rig r;
  auto drain = [&] {
    std::vector<uint32_t> bytes;
    for (int i = 0; i < 64 && (r.m->io().read(0x64, 1) & 1); ++i) bytes.push_back(r.m->io().read(0x60, 1));
    return bytes;
  };
  drain();
  CHECK(r.run("sendkey a") == "");
  // The controller translates set 2 to set 1 after reset (command byte bit 6): 'a' = 1E / 9E.
  CHECK(drain() == std::vector<uint32_t>{0x1E, 0x9E});
  CHECK(r.run("sendkey ctrl-alt-delete") == "");
  // Pressed in order, released in reverse: 1D 38 E0 53, E0 D3 B8 9D.
  CHECK(drain() == std::vector<uint32_t>{0x1D, 0x38, 0xE0, 0x53, 0xE0, 0xD3, 0xB8, 0x9D});
  CHECK(r.run("sendkey 0x1c") == "");
  CHECK(drain() == std::vector<uint32_t>{0x1E, 0x9E});
  CHECK(contains(r.run("sendkey ctrl-nosuch"), "unknown key 'nosuch'"));
  CHECK(contains(r.run("sendkey ctrl-"), "must follow '-'"));
  CHECK(contains(r.run("sendkey"), "usage: sendkey"));
  CHECK(contains(r.run("sendkey 0x1234"), "unknown key"));
  CHECK(drain().empty());  // refused commands press nothing
}

TEST_CASE("monitor_screendump_writes_the_vga_screen") {
  Rig r;
  std::string path = "/tmp/vmlab_monitor_screendump_test.png";
  std::remove(path.c_str());
  std::string out = r.run("screendump " + path);
  CHECK(contains(out, "written to " + path));
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  unsigned char sig[8] = {};
  CHECK(std::fread(sig, 1, 8, f) == 8);
  std::fclose(f);
  CHECK(sig[1] == 'P');
  CHECK(sig[2] == 'N');
  CHECK(sig[3] == 'G');
  std::remove(path.c_str());
  CHECK(contains(r.run("screendump /nonexistent-dir/x.png"), "screendump:"));
  CHECK(contains(r.run("screendump"), "usage: screendump"));
}
