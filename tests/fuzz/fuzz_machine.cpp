// Building the fuzz guest for each mode and running one page. Descriptors and gates are encoded
// here from the SDM layouts (Vol. 3, 3.4.5 segment descriptors, 6.11 gates, 7.2.1 TSS).
#include "tests/fuzz/fuzz_machine.h"

#include <algorithm>
#include <cstring>

#include "bt/translator.h"
#include "cpu/cpu_state.h"
#include "cpu/flags.h"
#include "cpu/interpreter.h"
#include "cpu/vcpu.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"
#include "mmu/linear_access.h"
#include "tests/fuzz/code_generator.h"
#include "tests/fuzz/rng.h"
#include "tests/fuzz/run_watchdog.h"

namespace vmlab::fuzz {
namespace {

constexpr uint64_t kRamBytes = 8ull << 20;
// A page of a few thousand instructions usually takes well under a millisecond; the slowest
// legitimate ones (REP INS/OUTS slices with huge counts, under ASan) take a few seconds. A run
// still going after this long is a core that does not return (stopped through
// Vcpu::attention, reported as a hang).
constexpr double kHangSeconds = 10.0;
constexpr uint32_t kGdt = 0x1000, kGdtEntries = 34, kIdt = 0x2000, kTssA = 0x3000,
                   kTssB = 0x3400, kLdt = 0x3800, kLdtEntries = 16, kStack0 = 0x8000,
                   kStack3 = 0xC000, kPageDir = 0x20000, kDataPm = 0x100000;
// GDT selectors (index << 3).
constexpr uint16_t kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x18, kData3 = 0x20, kTssASel = 0x28,
                   kTssBSel = 0x58;

// Segment descriptor: base, 20-bit limit, access byte, flags nibble (G, D/B, L, AVL).
uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return uint64_t(limit & 0xFFFF) | uint64_t(base & 0xFFFFFF) << 16 | uint64_t(access) << 40 |
         uint64_t((limit >> 16) & 0xF) << 48 | uint64_t(flags & 0xF) << 52 |
         uint64_t(base >> 24) << 56;
}
// Gate descriptor (call/interrupt/trap/task): selector, offset, type, DPL, P, param count.
uint64_t gate_desc(uint16_t sel, uint32_t offset, uint8_t type, unsigned dpl, bool present,
                   uint8_t params = 0) {
  uint8_t access = uint8_t(type | dpl << 5 | (present ? 0x80 : 0));
  return uint64_t(offset & 0xFFFF) | uint64_t(sel) << 16 | uint64_t(params & 0x1F) << 32 |
         uint64_t(access) << 40 | uint64_t(offset >> 16) << 48;
}

cpu::SegmentCache cache(uint16_t sel, uint32_t base, uint32_t limit, uint16_t attr) {
  cpu::SegmentCache c;
  c.selector = sel;
  c.base = base;
  c.limit = limit;
  c.attr = attr;
  return c;
}

// 32-bit TSS fields (offsets in bytes).
struct Tss32 {
  uint8_t b[0x68 + 32] = {};
  void set32(unsigned off, uint32_t v) { std::memcpy(b + off, &v, 4); }
  void set16(unsigned off, uint16_t v) { std::memcpy(b + off, &v, 2); }
};

uint64_t fnv(uint64_t h, const void* p, size_t n) {
  const uint8_t* c = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) h = (h ^ c[i]) * 0x100000001B3ull;
  return h;
}

}  // namespace

const char* mode_name(FuzzMode m) {
  static constexpr const char* kNames[] = {"real16", "pm32-cpl0", "pm32-cpl3", "paging32", "v86"};
  unsigned i = static_cast<unsigned>(m);
  return i < kNumFuzzModes ? kNames[i] : "?";
}

bool parse_mode(const std::string& name, FuzzMode& out) {
  for (unsigned i = 0; i < kNumFuzzModes; ++i)
    if (name == mode_name(FuzzMode(i))) { out = FuzzMode(i); return true; }
  return false;
}

struct FuzzMachine::Impl {
  machine::GuestMemory mem{kRamBytes};
  machine::IoBus io;
  machine::MmioBus mmio;
  cpu::Vcpu vcpu{mem, io, mmio};
  cpu::Interpreter core;
  RunWatchdog dog{kHangSeconds};

  Impl(cpu::Interpreter::Options o, bool bt)
      : core(o, bt ? std::make_unique<bt::Translator>(size_t(256) << 10) : nullptr) {}

  void write(uint32_t pa, const void* p, size_t n) {
    (void)mem.write_phys(pa, std::span<const uint8_t>(static_cast<const uint8_t*>(p), n));
  }
  void write64(uint32_t pa, uint64_t v) { write(pa, &v, 8); }
  void random_fill(Rng& r, uint32_t pa, uint32_t n) {
    std::vector<uint8_t> buf(n);
    for (uint32_t i = 0; i < n; i += 8) {
      uint64_t x = r.next();
      std::memcpy(buf.data() + i, &x, std::min<uint32_t>(8, n - i));
    }
    write(pa, buf.data(), n);
  }

  // Zeroes every page the previous run (and its setup) wrote, then clears the dirty bitmap.
  void clean_memory() {
    std::vector<uint64_t>& dirty = mem.dirty_bitmap();
    uint8_t* ram = mem.ram_base();
    for (size_t w = 0; w < dirty.size(); ++w) {
      for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
        uint64_t page = w * 64 + uint64_t(__builtin_ctzll(bits));
        if ((page + 1) * machine::kPageSize > kRamBytes) continue;
        std::memset(ram + page * machine::kPageSize, 0, machine::kPageSize);
        mem.note_write(page * machine::kPageSize, machine::kPageSize);  // code caches
      }
    }
    std::fill(dirty.begin(), dirty.end(), 0);
    mmu::on_dirty_bits_cleared(vcpu);
  }

  uint64_t digest_memory(std::vector<uint64_t>& pages) {
    uint64_t h = 0xCBF29CE484222325ull;
    const std::vector<uint64_t>& dirty = mem.dirty_bitmap();
    pages.clear();
    for (size_t w = 0; w < dirty.size(); ++w)
      for (uint64_t bits = dirty[w]; bits; bits &= bits - 1) {
        uint64_t page = w * 64 + uint64_t(__builtin_ctzll(bits));
        if ((page + 1) * machine::kPageSize > kRamBytes) continue;
        pages.push_back(page);
        h = fnv(h, &page, sizeof page);
        h = fnv(h, mem.ram_base() + page * machine::kPageSize, machine::kPageSize);
      }
    return h;
  }

  void build_tables(Rng& r, bool paging) {
    // HLT stubs: vector n halts at kStubBase + n + 1.
    std::vector<uint8_t> hlt(256, 0xF4);
    write(kStubBase, hlt.data(), hlt.size());
    // Real-mode IVT: 0400:n -> the stub of vector n; a few random entries.
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t e = r.chance(85) ? (0x0400u << 16 | n)
                   : r.chance(60) ? (0x1000u << 16 | r.below(kCodeBytes)) : r.u32();
      write(n * 4, &e, 4);
    }
    // GDT.
    uint64_t gdt[kGdtEntries] = {};
    gdt[1] = seg_desc(0, 0xFFFFF, 0x9B, 0xC);                 // 0x08 code32 ring 0 flat
    gdt[2] = seg_desc(0, 0xFFFFF, 0x93, 0xC);                 // 0x10 data32 ring 0 flat
    gdt[3] = seg_desc(0, 0xFFFFF, 0xFB, 0xC);                 // 0x18 code32 ring 3 flat
    gdt[4] = seg_desc(0, 0xFFFFF, 0xF3, 0xC);                 // 0x20 data32 ring 3 flat
    gdt[5] = seg_desc(kTssA, 0x67 + 32, 0x8B, 0);             // 0x28 TSS A, busy (TR)
    gdt[6] = seg_desc(kRealCodeBase, 0xFFFF, 0x9B, 0);        // 0x30 code16 ring 0
    gdt[7] = seg_desc(0, 0xFFFF, 0x93, 0);                    // 0x38 data16 ring 0
    gdt[8] = seg_desc(kLdt, kLdtEntries * 8 - 1, 0x82, 0);    // 0x40 LDT
    gdt[9] = gate_desc(kCode0, kStubBase + 0x80, 0xC, 3, true);          // 0x48 call gate
    gdt[10] = gate_desc(kTssBSel, 0, 0x5, 3, true);                       // 0x50 task gate
    gdt[11] = seg_desc(kTssB, 0x67 + 32, 0x89, 0);            // 0x58 TSS B, available
    gdt[12] = seg_desc(0, 0xFFFFF, 0x9F, 0xC);                // 0x60 conforming code ring 0
    gdt[13] = seg_desc(0x100000, 0x0FFF, 0xF7, 0x4);          // 0x68 expand-down data ring 3
    gdt[14] = seg_desc(0, 0xFFFFF, 0xBB, 0xC);                // 0x70 code32 ring 1
    gdt[15] = seg_desc(0, 0xFFFFF, 0xB3, 0xC);                // 0x78 data32 ring 1
    gdt[16] = gate_desc(kCode0, kPmCodeBase + r.below(kCodeBytes), 0xC, 3, true,
                        uint8_t(r.below(4)));                 // 0x80 call gate into the code
    gdt[17] = seg_desc(0, 0xFFFFF, 0x9B, 0x8);                // 0x88 code16 flat (G, D=0)
    gdt[18] = seg_desc(kTssB, 0x2B, 0x81, 0);                 // 0x90 16-bit TSS (on TSS B)
    for (uint32_t i = 19; i < kGdtEntries; ++i) {             // random, mostly present
      uint64_t x = r.next();
      if (r.chance(70)) x |= 1ull << 47;
      gdt[i] = x;
    }
    write(kGdt, gdt, sizeof gdt);
    // LDT: copies of the flat segments with random DPL, and random entries.
    for (uint32_t i = 0; i < kLdtEntries; ++i) {
      uint64_t d = r.chance(50) ? seg_desc(0, 0xFFFFF, uint8_t(0x93 | r.below(4) << 5 |
                                                               (r.chance(40) ? 0x08 : 0)), 0xC)
                                : r.next();
      write64(kLdt + i * 8, d);
    }
    // IDT: mostly interrupt gates to the stubs, reachable from ring 3; some of everything else.
    for (uint32_t n = 0; n < 256; ++n) {
      unsigned k = r.below(100);
      uint64_t g;
      if (k < 66) g = gate_desc(kCode0, kStubBase + n, 0xE, 3, true);
      else if (k < 76) g = gate_desc(kCode0, kStubBase + n, 0xF, r.below(4), true);
      else if (k < 86) g = gate_desc(kCode0, kPmCodeBase + r.below(kCodeBytes), 0xE, 3, true);
      else if (k < 89) g = gate_desc(kTssBSel, 0, 0x5, 3, true);
      else if (k < 92) g = gate_desc(kCode0, kStubBase + n, 0xE, 3, false);
      else if (k < 94) g = gate_desc(kCode3 | 3, kStubBase + n, 0xE, 3, true);  // to ring 3
      else if (k < 96) g = gate_desc(0x30, (kStubBase - kRealCodeBase + n) & 0xFFFF, 0x6, 3, true);
      else g = r.next();
      write64(kIdt + n * 8, g);
    }
    // TSS A (current task): ring-0 stack for privilege changes; I/O bitmap partly random.
    Tss32 a;
    a.set32(0x04, kStack0 - 0x100);   // ESP0
    a.set16(0x08, kData0);            // SS0
    a.set32(0x0C, 0x7000);            // ESP1
    a.set16(0x10, r.chance(50) ? uint16_t(0x78 | 1) : uint16_t(r.u16()));
    a.set32(0x14, 0x6000);
    a.set16(0x18, uint16_t(r.u16()));
    a.set32(0x1C, kPageDir);          // CR3
    a.set16(0x66, r.chance(80) ? 0x68 : r.u16());  // I/O map base
    for (int i = 0; i < 32; ++i) a.b[0x68 + i] = r.byte();
    write(kTssA, a.b, sizeof a.b);
    // TSS B (task-switch target): runs the random code at ring 0.
    Tss32 b;
    b.set32(0x04, kStack0 - 0x200);
    b.set16(0x08, kData0);
    b.set32(0x1C, paging ? kPageDir : r.u32() & 0xFFFFF000);
    b.set32(0x20, kPmCodeBase + r.below(kCodeBytes));  // EIP
    b.set32(0x24, r.chance(80) ? 0x2 : r.u32());       // EFLAGS
    for (unsigned g = 0; g < 8; ++g) b.set32(0x28 + 4 * g, r.u32());
    b.set32(0x38, kStack0 - 0x300);                    // ESP
    b.set16(0x4C, r.chance(85) ? kCode0 : uint16_t(r.u16()));   // CS
    for (unsigned off : {0x48u, 0x50u, 0x54u, 0x58u, 0x5Cu})   // ES SS DS FS GS
      b.set16(off, r.chance(85) ? kData0 : uint16_t(r.u16()));
    b.set16(0x60, r.chance(70) ? 0 : 0x40);            // LDT
    b.set16(0x66, 0x68);
    write(kTssB, b.b, sizeof b.b);
    // Page tables: identity map of all RAM (user, writable), then some random entries.
    uint32_t ntables = uint32_t(kRamBytes >> 22);
    for (uint32_t t = 0; t < ntables; ++t) {
      uint32_t pde = (kPageDir + 0x1000 * (t + 1)) | 0x7;
      write(kPageDir + t * 4, &pde, 4);
      std::vector<uint32_t> pt(1024);
      for (uint32_t i = 0; i < 1024; ++i) pt[i] = ((t << 22) | (i << 12)) | 0x7;
      write(kPageDir + 0x1000 * (t + 1), pt.data(), 4096);
    }
    if (paging) {
      for (int i = 0, n = int(r.below(40)); i < n; ++i) {
        // Leave the system area (below 0x30000) mostly intact so most runs get going.
        uint32_t page = r.chance(90) ? 0x30 + r.below(uint32_t(kRamBytes >> 12) - 0x30)
                                     : r.below(0x30);
        uint32_t pte = r.chance(60) ? ((r.u32() & 0xFFFFF000u) | (r.u32() & 0xFFF))
                                    : ((page << 12) | (r.u32() & 0x1F9));  // drop P/RW/US bits
        write(kPageDir + 0x1000 + page * 4, &pte, 4);
      }
      for (int i = 0, n = int(r.below(6)); i < n; ++i) {
        uint32_t idx = 2 + r.below(1022);
        uint32_t pde = r.u32();
        write(kPageDir + idx * 4, &pde, 4);
      }
    }
  }
};

FuzzMachine::FuzzMachine(cpu::Interpreter::Options o, bool binary_translation)
    : m_(std::make_unique<Impl>(o, binary_translation)) {
  m_->mem.set_a20(true);
  m_->mem.set_code_write_listener([this](uint64_t page) {
    m_->core.invalidate_code_page(page);
    m_->mem.clear_code(page);
  });
}

FuzzMachine::~FuzzMachine() = default;

const cpu::BlockTranslator* FuzzMachine::translator() const { return m_->core.translator(); }
uint64_t FuzzMachine::threaded_blocks() const { return m_->core.threaded_blocks(); }

const cpu::CpuState& FuzzMachine::state() const { return m_->vcpu.s; }

uint64_t FuzzMachine::code_base(FuzzMode mode) const {
  return mode == FuzzMode::Real16 || mode == FuzzMode::V86 ? kRealCodeBase : kPmCodeBase;
}

RunResult FuzzMachine::run_page(uint64_t seed, FuzzMode mode, uint32_t page, uint64_t budget,
                                bool keep_pages) {
  Impl& m = *m_;
  Rng r(Rng::mix(seed, static_cast<uint64_t>(mode) + 1, page));
  bool realish = mode == FuzzMode::Real16 || mode == FuzzMode::V86;
  bool paging = mode == FuzzMode::Paging32;

  m.clean_memory();
  m.build_tables(r, paging);
  code_.assign(kCodeBytes, 0);
  generate_code(r, CodeFlavor{.code32 = !realish}, code_);
  uint32_t code_pa = uint32_t(code_base(mode));
  m.write(code_pa, code_.data(), code_.size());
  m.random_fill(r, code_pa + kCodeBytes, 0x4000);
  m.random_fill(r, kDataPm, 0x1000);

  cpu::Vcpu& v = m.vcpu;
  cpu::CpuState& s = v.s;
  cpu::reset_cpu_state(s);
  for (uint32_t& g : s.gpr) g = r.chance(50) ? kDataPm + r.below(0x1000) : r.u32();
  s.gdtr.base = kGdt;
  s.gdtr.limit = uint16_t(kGdtEntries * 8 - 1);
  s.idtr.base = mode == FuzzMode::Real16 ? 0 : kIdt;
  s.idtr.limit = mode == FuzzMode::Real16 ? 0x3FF : (r.chance(95) ? 0x7FF : uint16_t(r.below(0x800)));
  s.ldtr = cache(0x40, kLdt, kLdtEntries * 8 - 1, 0x82);
  s.tr = cache(kTssASel, kTssA, 0x67 + 32, 0x8B);
  s.cpl = 0;
  uint32_t eflags = 0x2;
  if (mode == FuzzMode::Real16) {
    s.cr0 = cpu::CR0_ET;
    s.seg[cpu::CS] = cache(uint16_t(kRealCodeBase >> 4), kRealCodeBase, 0xFFFF, 0x9B);
    for (uint8_t sr : {cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS})
      s.seg[sr] = cache(0x1100, 0x11000, 0xFFFF, 0x93);
    s.seg[cpu::SS] = cache(0, 0, 0xFFFF, 0x93);
    s.gpr[cpu::ESP] = 0x7000;
    s.eip = 0;
  } else if (mode == FuzzMode::V86) {
    s.cr0 = cpu::CR0_ET | cpu::CR0_PE;
    s.seg[cpu::CS] = cache(uint16_t(kRealCodeBase >> 4), kRealCodeBase, 0xFFFF, 0xF3);
    for (uint8_t sr : {cpu::DS, cpu::ES, cpu::FS, cpu::GS})
      s.seg[sr] = cache(0x1100, 0x11000, 0xFFFF, 0xF3);
    s.seg[cpu::SS] = cache(0, 0, 0xFFFF, 0xF3);
    s.gpr[cpu::ESP] = 0x7000;
    s.eip = 0;
    s.cpl = 3;
    eflags |= cpu::VM | (r.chance(50) ? cpu::IOPL_MASK : 0);
  } else {
    bool ring3 = mode == FuzzMode::Prot32Ring3 || (paging && r.chance(40));
    s.cr0 = cpu::CR0_ET | cpu::CR0_PE | (paging ? cpu::CR0_PG : 0) |
            (paging && r.chance(50) ? cpu::CR0_WP : 0);
    if (paging) {
      s.cr3 = kPageDir;
      s.cr4 = (r.chance(50) ? cpu::CR4_PSE : 0) | (r.chance(30) ? cpu::CR4_PGE : 0);
    }
    uint16_t cs = ring3 ? (kCode3 | 3) : kCode0, ds = ring3 ? (kData3 | 3) : kData0;
    uint16_t dpl = ring3 ? 0x60 : 0;
    s.seg[cpu::CS] = cache(cs, 0, 0xFFFFFFFF, uint16_t(0xC9B | dpl));
    for (uint8_t sr : {cpu::SS, cpu::DS, cpu::ES, cpu::FS, cpu::GS})
      s.seg[sr] = cache(ds, 0, 0xFFFFFFFF, uint16_t(0xC93 | dpl));
    s.gpr[cpu::ESP] = ring3 ? kStack3 : kStack0;
    if (r.chance(10)) s.gpr[cpu::ESP] = r.u32();
    s.eip = kPmCodeBase;
    s.cpl = ring3 ? 3 : 0;
    if (r.chance(20)) eflags |= cpu::IOPL_MASK;
  }
  cpu::write_eflags(s, eflags | (r.u32() & (cpu::kArithFlags | cpu::DF)));
  v.tlb.flush_all();
  v.attention.store(0);
  v.mmu.counters = {};
  v.counters = {};

  RunResult res;
  uint64_t left = budget;
  cpu::Exit e;
  m.dog.arm(v);
  for (uint64_t calls = 0; left > 0 && calls <= budget; ++calls) {
    e = m.core.run(v, left);
    res.executed += e.executed;
    left -= std::min(left, e.executed);
    if (e.reason != cpu::ExitReason::BudgetSpent && e.reason != cpu::ExitReason::Attention) break;
    if (m.dog.fired()) break;
    v.attention.store(0);
  }
  res.hung = m.dog.disarm();
  res.reason = e.reason;
  res.message = e.message;
  for (uint64_t c : v.counters.exceptions) res.exceptions_delivered += c;
  if (e.reason == cpu::ExitReason::Halted) {
    uint32_t lin = s.seg[cpu::CS].base + s.eip - 1;
    if (lin >= kStubBase && lin < kStubBase + 256) res.handler_vector = int(lin - kStubBase);
  }

  // Architectural invariants that hold whatever the code did.
  uint32_t fl = cpu::read_eflags(s);
  if (res.executed > budget) res.invariant_error = "retired more instructions than the budget";
  else if (s.cpl > 3) res.invariant_error = "CPL > 3";
  else if (cpu::real_mode(s) && s.cpl != 0) res.invariant_error = "real mode with CPL != 0";
  else if (cpu::v86_mode(s) && s.cpl != 3) res.invariant_error = "V86 mode with CPL != 3";
  else if (!(fl & 0x2) || (fl & 0x8028) || (fl >> 22))
    res.invariant_error = "EFLAGS reserved bits wrong";
  else if ((s.cr0 & cpu::CR0_PG) && !(s.cr0 & cpu::CR0_PE))
    res.invariant_error = "CR0.PG set without CR0.PE";

  res.mem_digest = m.digest_memory(res.dirty_pages);
  res.final_state = s;
  if (keep_pages)
    for (uint64_t p : res.dirty_pages) {
      const uint8_t* b = m.mem.ram_base() + p * machine::kPageSize;
      res.page_bytes.insert(res.page_bytes.end(), b, b + machine::kPageSize);
    }
  uint64_t h = 0xCBF29CE484222325ull;
  h = fnv(h, s.gpr, sizeof s.gpr);
  h = fnv(h, &s.eip, 4);
  h = fnv(h, &fl, 4);
  for (const cpu::SegmentCache& sc : s.seg) {
    h = fnv(h, &sc.selector, 2); h = fnv(h, &sc.base, 4); h = fnv(h, &sc.limit, 4);
    h = fnv(h, &sc.attr, 2);
  }
  for (uint32_t x : {s.cr0, s.cr2, s.cr3, s.cr4, uint32_t(s.cpl), uint32_t(res.executed),
                     uint32_t(e.reason), s.gdtr.base, s.idtr.base, uint32_t(s.tr.selector),
                     uint32_t(s.ldtr.selector)})
    h = fnv(h, &x, 4);
  res.digest = h;
  return res;
}

}  // namespace vmlab::fuzz
