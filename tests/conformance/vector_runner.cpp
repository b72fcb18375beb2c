// Running one vector: load INIT into a real-mode CPU and RAM, run to the HLT, compare with FINA,
// then put memory back to all-zero by undoing only what the test touched.
#include "tests/conformance/vector_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "cpu/cpu_state.h"
#include "cpu/flags.h"
#include "cpu/interpreter.h"
#include "cpu/vcpu.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"
#include "mmu/linear_access.h"
#include "tests/fuzz/run_watchdog.h"

namespace vmlab::conformance {
namespace {

constexpr uint64_t kRamBytes = 16ull << 20;
// The 286 keeps FLAGS bits 12-15 clear in real mode; the vectors' INIT values (from LOADALL)
// may have them set, so the README says to mask them off when loading.
constexpr uint16_t kRealModeFlagsMask = 0x0FFF;
// One test is one instruction (plus an exception delivery): a run still going after this long
// is a hang in the core, stopped through Vcpu::attention and reported.
constexpr double kHangSeconds = 2.0;

// MOO register index -> where the value lives in CpuState.
constexpr int kGprOf[kNumMooRegs] = {cpu::EAX, cpu::EBX, cpu::ECX, cpu::EDX, -1, -1, -1, -1,
                                     cpu::ESP, cpu::EBP, cpu::ESI, cpu::EDI, -1, -1};
constexpr int kSegOf[kNumMooRegs] = {-1, -1, -1, -1, cpu::CS, cpu::SS, cpu::DS, cpu::ES,
                                     -1, -1, -1, -1, -1, -1};

uint16_t expected_reg(const MooTest& t, unsigned r) {
  return t.fina.regs.has(r) ? t.fina.regs.get(r) : t.init.regs.get(r);
}

}  // namespace

std::string flag_letters(uint32_t diff) {
  static constexpr struct { uint32_t bit; const char* name; } kFlags[] = {
      {1u << 15, "b15 "}, {cpu::NT, "NT "}, {cpu::IOPL_MASK, "IOPL "}, {cpu::OF, "O"},
      {cpu::DF, "D"}, {cpu::IF, "I"}, {cpu::TF, "T"}, {cpu::SF, "S"}, {cpu::ZF, "Z"},
      {cpu::AF, "A"}, {cpu::PF, "P"}, {cpu::CF, "C"}, {0x2Au, " reserved"},
      {0xFFFF0000u, " high"}};
  std::string s;
  for (const auto& f : kFlags)
    if (diff & f.bit) s += f.name;
  return s;
}

// The test rig had plain RAM everywhere, but GuestMemory keeps 0xA0000-0xFFFFF out of RAM (the
// PC's VGA/ROM hole). This device puts the host bytes behind that range back on the bus as RAM.
class HoleRam : public machine::BusDevice {
 public:
  explicit HoleRam(machine::GuestMemory& m) : mem_(m) {}
  uint32_t read(uint64_t offset, unsigned width) override {
    uint32_t v = 0;
    std::memcpy(&v, mem_.ram_base() + kHoleBase + offset, std::min(width, 4u));
    return v;
  }
  void write(uint64_t offset, unsigned width, uint32_t value) override {
    std::memcpy(mem_.ram_base() + kHoleBase + offset, &value, std::min(width, 4u));
    mem_.note_write(kHoleBase + offset, width);  // dirty bit, and code caches see it
  }
  static constexpr uint64_t kHoleBase = 0xA0000, kHoleSize = 0x60000;

 private:
  machine::GuestMemory& mem_;
};

struct VectorRunner::Machine {
  machine::GuestMemory mem{kRamBytes};
  machine::IoBus io;       // nothing claimed: IN reads all-ones
  machine::MmioBus mmio;
  HoleRam hole{mem};
  cpu::Vcpu vcpu{mem, io, mmio};
  cpu::Interpreter core;
  fuzz::RunWatchdog dog{kHangSeconds};
  std::vector<uint64_t> touched_pages;  // scratch

  explicit Machine(const RunnerOptions& o)
      : core(cpu::Interpreter::Options{.decode_cache = o.decode_cache, .blocks = o.blocks}) {}
};

VectorRunner::VectorRunner(RunnerOptions o) : opts_(o), m_(std::make_unique<Machine>(o)) {
  m_->mem.set_a20(true);
  m_->mmio.add(HoleRam::kHoleBase, HoleRam::kHoleSize, "hole-ram", m_->hole);
  m_->mem.set_code_write_listener([this](uint64_t page) {
    m_->core.invalidate_code_page(page);
    m_->mem.clear_code(page);
  });
}

VectorRunner::~VectorRunner() = default;

TestOutcome VectorRunner::run(const MooTest& t, uint16_t flags_mask) {
  machine::GuestMemory& mem = m_->mem;
  cpu::Vcpu& v = m_->vcpu;
  cpu::CpuState& s = v.s;
  uint8_t* ram = mem.ram_base();
  TestOutcome out;
  auto fail = [&](std::string what, uint32_t exp, uint32_t got, std::string note = {}) {
    out.passed = false;
    out.mismatches.push_back({std::move(what), exp, got, std::move(note)});
  };

  // --- INIT: a real-mode CPU with every listed register, then the listed RAM bytes. ---------
  cpu::reset_cpu_state(s);
  s.cr0 &= ~cpu::CR0_PE;
  s.cpl = 0;
  s.events = {};
  for (unsigned r = 0; r < kNumMooRegs; ++r) {
    uint16_t val = t.init.regs.get(r);
    if (kGprOf[r] >= 0) s.gpr[kGprOf[r]] = val;
    if (kSegOf[r] >= 0) {
      cpu::SegmentCache& sc = s.seg[kSegOf[r]];
      sc.selector = val;
      sc.base = uint32_t(val) << 4;
      sc.limit = 0xFFFF;
      sc.attr = kSegOf[r] == cpu::CS ? 0x009B : 0x0093;  // present, accessed, code/data, 16-bit
    }
  }
  s.eip = t.init.regs.get(kMooIp);
  cpu::write_eflags(s, t.init.regs.get(kMooFlags) & kRealModeFlagsMask);
  bool bad_address = false;
  for (const MooRamByte& b : t.init.ram) {
    if (b.addr >= kRamBytes) { bad_address = true; continue; }
    ram[b.addr] = b.value;
    mem.note_write(b.addr, 1);  // code caches see the new bytes
  }
  if (bad_address) fail("init-ram", 0, 0, "an INIT RAM address lies outside the 16 MiB of RAM");
  // Start every test with a clean dirty bitmap, so afterwards it names exactly the pages the
  // instruction wrote; the TLB must drop write entries so the next write marks its page again.
  for (uint64_t& w : mem.dirty_bitmap()) w = 0;
  mmu::on_dirty_bits_cleared(v);
  v.tlb.flush_all();
  v.attention.store(0);

  // --- Run until the HLT. ----------------------------------------------------------------------
  v.counters.exceptions = {};
  uint64_t left = opts_.budget;
  cpu::Exit e;
  m_->dog.arm(v);
  for (uint64_t calls = 0; left > 0 && calls <= opts_.budget; ++calls) {
    e = m_->core.run(v, left);
    out.executed += e.executed;
    left -= std::min(left, e.executed);
    if (e.reason != cpu::ExitReason::BudgetSpent && e.reason != cpu::ExitReason::Attention) break;
    if (m_->dog.fired()) break;
    v.attention.store(0);
  }
  if (m_->dog.disarm()) {
    e.reason = cpu::ExitReason::Attention;
    e.message = fmt::format("HANG: run() did not return for {} s ({} instructions retired); "
                            "stopped through Vcpu::attention", kHangSeconds, out.executed);
  }
  for (size_t i = 0; i < v.counters.exceptions.size(); ++i)
    for (uint64_t n = 0; n < v.counters.exceptions[i] && n < 4; ++n)
      out.delivered += fmt::format("{}#{}", out.delivered.empty() ? "" : " ", i);
  if (e.reason != cpu::ExitReason::Halted) {
    static constexpr const char* kReason[] = {"budget spent (no HLT reached)", "halted",
                                              "attention", "shutdown (triple fault)",
                                              "breakpoint", "internal error"};
    unsigned ri = static_cast<unsigned>(e.reason);
    fail("exit", 1, ri, std::string(ri < 6 ? kReason[ri] : "?") +
                            (e.message.empty() ? "" : ": " + e.message));
  }

  // --- Compare registers. ----------------------------------------------------------------------
  for (unsigned r = 0; r < kNumMooRegs; ++r) {
    uint32_t exp = expected_reg(t, r);
    if (kGprOf[r] >= 0) {
      // The upper halves were zero and a 16-bit instruction must leave them so.
      if (s.gpr[kGprOf[r]] != exp) fail(moo_reg_name(r), exp, s.gpr[kGprOf[r]]);
    } else if (kSegOf[r] >= 0) {
      const cpu::SegmentCache& sc = s.seg[kSegOf[r]];
      if (sc.selector != exp) fail(moo_reg_name(r), exp, sc.selector);
      else if (sc.base != exp << 4)
        fail(std::string(moo_reg_name(r)) + ".base", exp << 4, sc.base, "real-mode base != sel<<4");
    } else if (r == kMooIp) {
      if (s.eip != exp) fail("ip", exp, s.eip);
    } else {  // flags
      if (!t.fina.regs.has(r)) exp &= kRealModeFlagsMask;
      uint32_t got = cpu::read_eflags(s);
      uint32_t mask = 0xFFFF0000u | flags_mask;
      if ((got & mask) != (exp & mask))
        fail("flags", exp, got, flag_letters((got ^ exp) & mask));
    }
  }

  // --- Compare memory: FINA bytes, INIT bytes not overwritten, and nothing else written. -----
  // The FLAGS word an exception pushed is compared under the opcode's flags mask.
  // EXCP records the 286's word-aligned bus address: with an odd SP the FLAGS word starts one
  // byte higher.
  uint32_t pushed_flags = t.exception ? t.exception->flags_addr + (t.init.regs.get(kMooSp) & 1) : 0;
  auto byte_mask = [&](uint32_t addr) -> uint8_t {
    if (!t.exception) return 0xFF;
    if (addr == pushed_flags) return uint8_t(flags_mask);
    if (addr == pushed_flags + 1) return uint8_t(flags_mask >> 8);
    return 0xFF;
  };
  for (const MooRamByte& b : t.fina.ram) {
    if (b.addr >= kRamBytes) continue;
    uint8_t mask = byte_mask(b.addr);
    if ((ram[b.addr] & mask) != (b.value & mask))
      fail(fmt::format("ram[{:#07x}]", b.addr), b.value, ram[b.addr]);
  }
  for (const MooRamByte& b : t.init.ram) {
    if (b.addr >= kRamBytes) continue;
    bool in_fina = std::any_of(t.fina.ram.begin(), t.fina.ram.end(),
                               [&](const MooRamByte& f) { return f.addr == b.addr; });
    if (!in_fina && ram[b.addr] != b.value)
      fail(fmt::format("ram[{:#07x}]", b.addr), b.value, ram[b.addr], "INIT byte changed");
  }
  // Zero every listed byte; what is still non-zero in a written page was written by mistake.
  auto zero_listed = [&] {
    for (const MooRamByte& b : t.init.ram) if (b.addr < kRamBytes) ram[b.addr] = 0;
    for (const MooRamByte& b : t.fina.ram) if (b.addr < kRamBytes) ram[b.addr] = 0;
  };
  zero_listed();
  std::vector<uint64_t>& pages = m_->touched_pages;
  pages.clear();
  std::vector<uint64_t>& dirty = mem.dirty_bitmap();
  for (size_t w = 0; w < dirty.size(); ++w)
    for (uint64_t bits = dirty[w]; bits; bits &= bits - 1)
      pages.push_back(w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits)));
  size_t strays = 0;
  for (uint64_t p : pages) {
    uint64_t base = p << machine::kPageShift;
    if (base + machine::kPageSize > kRamBytes) continue;
    for (uint32_t i = 0; i < machine::kPageSize; ++i) {
      if (ram[base + i] == 0) continue;
      if (++strays <= 8)
        fail(fmt::format("ram[{:#07x}]", base + i), 0, ram[base + i], "written but not in FINA");
      ram[base + i] = 0;
    }
  }
  if (strays > 8) fail("ram", 0, uint32_t(strays), "more unexpected writes");
  // Tell the code caches (the bytes changed behind the CPU's back), then start clean.
  for (const MooRamByte& b : t.init.ram)
    if (b.addr < kRamBytes) mem.note_write(b.addr, 1);
  for (uint64_t p : pages) mem.note_write(p << machine::kPageShift, machine::kPageSize);
  for (uint64_t& w : dirty) w = 0;
  return out;
}

}  // namespace vmlab::conformance
