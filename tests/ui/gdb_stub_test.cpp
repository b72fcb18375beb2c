// The gdb stub against a fake target: framing, registers, memory, breakpoints, resume/stop, and
// random garbage that must never crash it.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "cpu/flags.h"
#include "ui/gdb/gdb_stub.h"

using namespace vmlab;
using namespace vmlab::ui::gdb;

namespace {

struct FakeTarget : GdbTarget {
  std::vector<cpu::CpuState> cpus = std::vector<cpu::CpuState>(2);
  std::vector<cpu::DebugHooks> dbg = std::vector<cpu::DebugHooks>(2);
  std::map<uint32_t, uint8_t> mem;  // mapped bytes only
  int resumes = 0, steps = 0, interrupts = 0, kills = 0, changes = 0;
  unsigned cpu_count() const override { return 2; }
  cpu::CpuState& state(unsigned c) override { return cpus.at(c); }
  cpu::DebugHooks& hooks(unsigned c) override { return dbg.at(c); }
  bool read_memory(unsigned, uint32_t lin, uint8_t* out, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      auto it = mem.find(lin + uint32_t(i));
      if (it == mem.end()) return false;
      out[i] = it->second;
    }
    return true;
  }
  bool write_memory(unsigned, uint32_t lin, const uint8_t* in, size_t n) override {
    for (size_t i = 0; i < n; ++i)
      if (!mem.count(lin + uint32_t(i))) return false;
    for (size_t i = 0; i < n; ++i) mem[lin + uint32_t(i)] = in[i];
    return true;
  }
  void hooks_changed(unsigned) override { ++changes; }
  void resume() override { ++resumes; }
  void step(unsigned) override { ++steps; }
  void interrupt() override { ++interrupts; }
  void kill() override { ++kills; }
};

struct Rig {
  FakeTarget t;
  std::string out;
  GdbStub stub{t, [this](const std::string& s) { out += s; }};
  // Sends one framed packet and returns the reply payload (without the leading '+').
  std::string ask(const std::string& payload) {
    out.clear();
    const std::string f = gdb_frame(payload);
    stub.feed(reinterpret_cast<const uint8_t*>(f.data()), f.size());
    std::string r = out;
    if (!r.empty() && r[0] == '+') r.erase(0, 1);
    if (r.size() >= 4 && r[0] == '$') return r.substr(1, r.size() - 4);
    return r;
  }
};

}  // namespace

TEST_CASE("gdb_packet_framing_checksums_escapes_and_interrupts") {
  CHECK(gdb_frame("OK") == "$OK#9a");
  CHECK(gdb_frame("a#b") == "$a}\x03" "b#" + gdb_frame("a#b").substr(gdb_frame("a#b").size() - 2));
  GdbPacketReader r;
  std::string wire = "xx$g#67+\x03$g#00-$m0,4#fd";
  auto in = r.feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
  REQUIRE(in.size() == 6);
  CHECK(in[0].kind == GdbInput::Packet);
  CHECK(in[0].payload == "g");
  CHECK(in[1].kind == GdbInput::Ack);
  CHECK(in[2].kind == GdbInput::Interrupt);
  CHECK(in[3].kind == GdbInput::BadPacket);  // checksum 00 is wrong
  CHECK(in[4].kind == GdbInput::Nack);
  CHECK(in[5].kind == GdbInput::Packet);
  CHECK(in[5].payload == "m0,4");
  // A packet split across reads, with an escaped byte.
  std::string f = gdb_frame("X0,1:}");
  auto a = r.feed(reinterpret_cast<const uint8_t*>(f.data()), 3);
  auto b = r.feed(reinterpret_cast<const uint8_t*>(f.data()) + 3, f.size() - 3);
  CHECK(a.empty());
  REQUIRE(b.size() == 1);
  CHECK(b[0].payload == "X0,1:}");
}

TEST_CASE("gdb_stub_reads_and_writes_registers_in_gdb_i386_order") {
  Rig g;
  cpu::CpuState& s = g.t.cpus[0];
  s.gpr[cpu::EAX] = 0x11223344;
  s.eip = 0x00100000;
  cpu::write_eflags(s, 0x202 | cpu::CF);
  s.seg[cpu::CS].selector = 0x08;
  s.seg[cpu::GS].selector = 0x10;
  s.fpu.st[7].mantissa = 0x8000000000000000ull;  // TOP = 7 after one push: ST(0) = R7
  s.fpu.st[7].sign_exp = 0x3FFF;                 // 1.0
  s.fpu.fsw = 7 << 11;
  s.fpu.xmm[1].lo = 0x0102030405060708ull;
  const std::string regs = g.ask("g");
  CHECK(regs.size() == 2 * (16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4));
  CHECK(regs.substr(0, 8) == "44332211");
  CHECK(regs.substr(8 * 8, 8) == "00001000");      // eip
  CHECK(regs.substr(9 * 8, 8) == "03020000");      // eflags: IF CF and bit 1
  CHECK(regs.substr(10 * 8, 8) == "08000000");     // cs
  CHECK(regs.substr(15 * 8, 8) == "10000000");     // gs
  CHECK(regs.substr(128, 20) == "0000000000000080ff3f");  // st0
  CHECK(g.ask("p21") == "08070605040302010000000000000000");  // xmm1 = register 0x21
  CHECK(g.ask("P0=efbeadde") == "OK");
  CHECK(s.gpr[cpu::EAX] == 0xDEADBEEF);
  CHECK(g.ask("P9=00000000") == "OK");
  CHECK(cpu::read_eflags(s) == 0x2);
  // Protected mode: a different selector would not match the descriptor cache.
  s.cr0 |= cpu::CR0_PE;
  CHECK(g.ask("Pa=10000000") == "E01");
  CHECK(g.ask("Pa=08000000") == "OK");
  CHECK(g.ask("p99") == "E01");
  CHECK(g.ask("Hg2") == "OK");
  g.t.cpus[1].gpr[cpu::ECX] = 5;
  CHECK(g.ask("p1") == "05000000");
  CHECK(g.ask("Hg9") == "E01");
}

TEST_CASE("gdb_stub_memory_reads_stop_at_unmapped_bytes_and_writes_are_all_or_nothing") {
  Rig g;
  for (uint32_t a = 0x1000; a < 0x1004; ++a) g.t.mem[a] = uint8_t(a);
  CHECK(g.ask("m1000,4") == "00010203");
  CHECK(g.ask("m1002,8") == "0203");  // partial
  CHECK(g.ask("m2000,4") == "E14");
  CHECK(g.ask("M1000,2:aabb") == "OK");
  CHECK(g.t.mem[0x1001] == 0xBB);
  CHECK(g.ask("M1003,2:0102") == "E14");
  CHECK(g.t.mem[0x1003] == 0x03);
  CHECK(g.ask("M1000,2:zz") == "E01");
  CHECK(g.ask("X1000,1:}") == "OK");  // binary, escaped on the wire
  CHECK(g.t.mem[0x1000] == '}');
  CHECK(g.ask("m,") == "E01");
}

TEST_CASE("gdb_stub_breakpoints_watchpoints_resume_step_and_stop_replies") {
  Rig g;
  CHECK(g.ask("Z0,100000,1") == "OK");
  CHECK(g.t.dbg[0].has_breakpoint(0x100000));
  CHECK(g.t.dbg[1].has_breakpoint(0x100000));
  CHECK(g.ask("Z2,2000,4") == "OK");
  CHECK(g.t.dbg[0].watchpoints.size() == 1);
  CHECK(g.ask("Z9,0,0") == "");
  CHECK(g.ask("Z2,2000,0") == "E01");
  CHECK(g.ask("c") == "");
  CHECK(g.t.resumes == 1);
  CHECK(g.stub.running());
  // Ctrl-C while running.
  const uint8_t ctrl_c = 3;
  g.stub.feed(&ctrl_c, 1);
  CHECK(g.t.interrupts == 1);
  g.out.clear();
  g.t.dbg[1].hit = {cpu::DebugStop::Watchpoint, 0x2002, cpu::WatchKind::Write};
  g.stub.report_stop(1, false);
  CHECK(g.out.find("T05watch:2002;thread:2;") != std::string::npos);
  CHECK(g.ask("qC") == "QC2");
  CHECK(g.ask("vCont;s:1;c") == "");
  CHECK(g.t.steps == 1);
  CHECK(g.t.dbg[0].single_step);
  g.out.clear();
  g.stub.report_stop(0, false);
  CHECK(g.out.find("T05thread:1;") != std::string::npos);
  CHECK_FALSE(g.t.dbg[0].single_step);
  CHECK(g.ask("z0,100000,1") == "OK");
  CHECK(g.t.dbg[0].breakpoints.empty());
  CHECK(g.ask("D") == "OK");
  CHECK(g.t.dbg[0].watchpoints.empty());
  CHECK(g.stub.detached());
}

TEST_CASE("gdb_stub_queries_threads_and_target_description") {
  Rig g;
  CHECK(g.ask("qSupported:multiprocess+;swbreak+").find("qXfer:features:read+") != std::string::npos);
  CHECK(g.ask("qfThreadInfo") == "m1,2");
  CHECK(g.ask("qsThreadInfo") == "l");
  CHECK(g.ask("qAttached") == "1");
  const std::string head = g.ask("qXfer:features:read:target.xml:0,40");
  CHECK(head[0] == 'm');
  CHECK(head.find("<?xml") == 1);
  CHECK(g.ask("qXfer:features:read:target.xml:ffffff,10") == "l");
  CHECK(g.ask("vMustReplyEmpty") == "");
  CHECK(g.ask("QStartNoAckMode") == "OK");
  g.out.clear();
  const std::string f = gdb_frame("?");
  g.stub.feed(reinterpret_cast<const uint8_t*>(f.data()), f.size());
  CHECK(g.out[0] == '$');  // no '+' any more
}

TEST_CASE("gdb_stub_survives_thousands_of_random_and_mutated_packets") {
  Rig g;
  for (uint32_t a = 0; a < 64; ++a) g.t.mem[a] = 0;
  std::mt19937 rng(1234);
  const char* seeds[] = {"g", "G00", "m0,10", "M0,4:00000000", "X0,2:ab", "Z0,0,1", "z2,4,4", "p8",
                         "P8=00000000", "c", "s", "vCont;s:2", "Hg1", "T1", "qXfer:features:read:target.xml:0,ff",
                         "qSupported", "D", "?", "qThreadExtraInfo,2"};
  for (int i = 0; i < 20000; ++i) {
    std::string p = seeds[rng() % std::size(seeds)];
    const int edits = int(rng() % 4);
    for (int e = 0; e < edits && !p.empty(); ++e) p[rng() % p.size()] = char(rng() & 0xFF);
    if (rng() % 8 == 0) p += std::string(rng() % 40000, char(rng() & 0xFF));
    std::string wire = (rng() % 5 == 0) ? p : gdb_frame(p);
    g.stub.feed(reinterpret_cast<const uint8_t*>(wire.data()), wire.size());
    if (g.stub.running() && rng() % 2) g.stub.report_stop(rng() % 2, rng() % 2);
    g.out.clear();
  }
  CHECK(g.stub.packets() > 1000);
  CHECK(g.stub.bad_packets() > 0);
}
