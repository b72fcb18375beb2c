// The fast handlers (cpu/fast_handlers.h) must give exactly what the general handlers give.
// Random programs made only of the specialised forms (every addressing form, byte/word/dword,
// aligned and not, loads, stores, read-modify-write, shifts, INC/DEC, IMUL, CMOVcc, SETcc, PUSH/POP,
// CALL/RET, REP MOVS/STOS) run twice, with
// Interpreter::Options::fast_handlers on and off, in settings that send the fast path to its
// fallback in different ways: flat ring 0, ring 3 under paging with read-only pages, a segment
// with a base and a short limit (#GP) and a short CS limit, #AC at ring 3, stores into the code
// page, and a 16-bit stack. bt (--backend bt) runs them a third time. Registers,
// flags, EIP, the exit and the data and code memory must be identical.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "bt/translator.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kCode = 0x10000, kData = 0x20000, kStack = 0x38000;
constexpr uint32_t kPageDir = 0x40000, kPageTable = 0x41000, kGdt = 0x3C000;
// GDT selectors (RPL 3, DPL 3 data): flat, and one whose limit ends inside the data.
constexpr uint32_t kFlatData = 0x13, kShortData = 0x1B;

// Registers the programs may write (never ESP, EBP, ESI: they keep addresses in range).
constexpr uint8_t kDest32[] = {EAX, ECX, EDX, EBX, EDI};
constexpr uint8_t kDest8[] = {0, 1, 2, 3, 4, 5, 6, 7};  // AL CL DL BL AH CH DH BH

struct Gen {
  std::mt19937 rng;
  std::vector<uint8_t> out;
  uint32_t pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng); }
  void b(uint8_t x) { out.push_back(x); }
  void d32(uint32_t x) { for (int k = 0; k < 4; ++k) b(uint8_t(x >> (8 * k))); }

  // A ModRM (+SIB, disp) naming `reg` and a memory operand in one of the four forms, or a
  // register when reg_ok and the dice say so. ESI holds a small index, EBP the data base.
  void modrm(uint8_t reg, bool reg_ok, bool byte_regs) {
    if (reg_ok && pick(4) == 0) {
      const uint8_t rm = byte_regs ? kDest8[pick(8)] : kDest32[pick(5)];
      b(uint8_t(0xC0 | (reg << 3) | rm));
      return;
    }
    const uint32_t disp = pick(0x200) + (pick(8) == 0 ? 0xFFD : 0);  // sometimes a page edge
    switch (pick(4)) {
      case 0: b(uint8_t((reg << 3) | 5)); d32(kData + disp); break;                 // [disp32]
      case 1: b(uint8_t(0x80 | (reg << 3) | 5)); d32(disp); break;                  // [ebp+disp32]
      case 2: b(uint8_t((reg << 3) | 4)); b(uint8_t((pick(4) << 6) | (ESI << 3) | 5));
              d32(kData + disp); break;                                              // [esi*s+disp32]
      default: b(uint8_t(0x44 | (reg << 3))); b(uint8_t((pick(4) << 6) | (ESI << 3) | EBP));
               b(uint8_t(disp & 0x7F)); break;                                       // [ebp+esi*s+disp8]
    }
  }

  void insn() {
    const uint8_t reg = uint8_t(pick(8));
    switch (pick(23)) {
      case 0: case 1: {  // ALU/MOV/TEST E,G and G,E in three widths
        static const uint8_t ops[] = {0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x84, 0x88};
        const uint8_t op = ops[pick(10)];
        const unsigned width = pick(3);  // 0 byte, 1 word, 2 dword
        const bool to_reg = op != 0x84 && pick(2);
        if (width == 1) b(0x66);
        b(uint8_t(op + (to_reg ? 2 : 0) + (width ? 1 : 0)));
        const uint8_t r = width == 0 ? kDest8[pick(8)] : kDest32[pick(5)];
        modrm(to_reg || op == 0x84 || op == 0x88 ? r : uint8_t(pick(8)), true, width == 0);
        break;
      }
      case 2: {  // group 1 with an immediate (80 81 83)
        const unsigned form = pick(3);
        b(uint8_t(0x80 + (form == 0 ? 0 : form == 1 ? 1 : 3)));
        modrm(reg, true, form == 0);
        if (form == 1) d32(uint32_t(rng())); else b(uint8_t(pick(256)));
        break;
      }
      case 3: {  // MOV r/m, imm
        const bool byte = pick(2);
        b(byte ? 0xC6 : 0xC7);
        modrm(0, true, byte);
        if (byte) b(uint8_t(pick(256))); else d32(uint32_t(rng()));
        break;
      }
      case 4: {  // MOVZX/MOVSX
        if (pick(3) == 0) b(0x66);
        b(0x0F);
        static const uint8_t ops[] = {0xB6, 0xB7, 0xBE, 0xBF};
        b(ops[pick(4)]);
        modrm(kDest32[pick(5)], true, true);
        break;
      }
      case 5: b(0x8D); modrm(kDest32[pick(5)], false, false); break;  // LEA
      case 6: b(uint8_t(0x50 + pick(8))); b(uint8_t(0x58 + kDest32[pick(5)])); break;  // PUSH, POP
      case 7:  // CALL to a RET that returns over it: E8 +2; JMP +1; RET
        b(0xE8); d32(2); b(0xEB); b(0x01); b(0xC3);
        break;
      case 8: b(0x66); b(uint8_t(0x50 + pick(8))); b(0x66); b(uint8_t(0x58 + kDest32[pick(5)])); break;
      case 9: {  // TEST r/m, imm (F6/F7 /0)
        const bool byte = pick(2);
        b(byte ? 0xF6 : 0xF7);
        modrm(0, true, byte);
        if (byte) b(uint8_t(pick(256))); else d32(uint32_t(rng()));
        break;
      }
      case 12: {  // shifts and rotates by 1, CL or imm8 (D0 D1 D2 D3 C0 C1)
        const bool byte = pick(3) == 0;
        const unsigned src = pick(3);
        if (!byte && pick(3) == 0) b(0x66);
        b(uint8_t((src == 2 ? 0xC0 : src == 0 ? 0xD0 : 0xD2) + (byte ? 0 : 1)));
        modrm(reg, true, byte);
        if (src == 2) b(uint8_t(pick(40)));
        break;
      }
      case 13: {  // INC/DEC r/m (FE FF /0 /1)
        const bool byte = pick(2);
        b(byte ? 0xFE : 0xFF);
        modrm(uint8_t(pick(2)), true, byte);
        break;
      }
      case 14:  // IMUL reg, r/m (0F AF)
        if (pick(3) == 0) b(0x66);
        b(0x0F); b(0xAF);
        modrm(kDest32[pick(5)], true, false);
        break;
      case 15:
        if (pick(2)) {  // CMOVcc reg, r/m (0F 40-4F)
          if (pick(3) == 0) b(0x66);
          b(0x0F); b(uint8_t(0x40 + pick(16)));
          modrm(kDest32[pick(5)], true, false);
        } else {  // SETcc r/m8 (0F 90-9F)
          b(0x0F); b(uint8_t(0x90 + pick(16)));
          modrm(0, true, true);
        }
        break;
      case 16: case 17: {  // REP MOVS / REP STOS: push esi; lea esi/edi,[ebp+x]; mov ecx,n; ...; pop esi
        const bool movs = pick(2);
        const unsigned width = pick(3);
        b(0x56);
        b(0x8D); b(0xB5); d32(pick(0x1800));  // lea esi,[ebp+disp32]
        b(0x8D); b(0xBD); d32(pick(0x1800));  // lea edi,[ebp+disp32]
        b(0xB9); d32(pick(8) == 0 ? 1500 + pick(1000) : pick(300));  // mov ecx, n (past a slice now and then)
        const bool down = pick(6) == 0;
        if (down) b(0xFD);  // STD: the general path
        if (width == 1) b(0x66);
        if (pick(8)) b(0xF3);  // REP (else one iteration)
        b(uint8_t((movs ? 0xA4 : 0xAA) + (width ? 1 : 0)));
        if (down) b(0xFC);
        b(0x5E);
        break;
      }
      case 10:  // PUSH imm32 / imm8 (sign-extended), POP reg
        if (pick(2)) { b(0x68); d32(uint32_t(rng())); } else { b(0x6A); b(uint8_t(pick(256))); }
        b(uint8_t(0x58 + kDest32[pick(5)]));
        break;
      case 11: {  // Jcc (rel8 or rel32) over a MOV reg, reg: taken or not, in the middle of a block
        const uint8_t mov = uint8_t(0xC0 | (kDest32[pick(5)] << 3) | kDest32[pick(5)]);
        if (pick(2)) { b(uint8_t(0x70 + pick(16))); b(0x02); }
        else { b(0x0F); b(uint8_t(0x80 + pick(16))); d32(2); }
        b(0x89); b(mov);
        break;
      }
      case 18: {  // load DS (a flat or a short segment) in the middle of a block: push eax;
                  // mov eax, sel; mov ds, ax; pop eax
        b(0x50);
        b(0xB8); d32(pick(2) ? kFlatData : kShortData);
        b(0x8E); b(0xD8);
        b(0x58);
        break;
      }
      case 19:  // flip EFLAGS.AC: pushfd; xor dword [esp], AC; popfd (#AC at ring 3 with CR0.AM)
        b(0x9C); b(0x81); b(0x34); b(0x24); d32(0x40000); b(0x9D);
        break;
      case 20: {  // NOT / NEG r/m (F6 F7 /2 /3)
        const bool byte = pick(3) == 0;
        b(byte ? 0xF6 : 0xF7);
        modrm(uint8_t(2 + pick(2)), true, byte);
        break;
      }
      case 21: {  // flags a later instruction overwrites, with a load that may fault between:
                  // ADD r, r; MOV/MOVZX r, [mem]; SUB r, r (bt must store the ADD's flags)
        b(0x01); b(uint8_t(0xC0 | (kDest32[pick(5)] << 3) | kDest32[pick(5)]));
        if (pick(2)) b(0x8B); else { b(0x0F); b(0xB6); }
        modrm(kDest32[pick(5)], false, false);
        b(0x29); b(uint8_t(0xC0 | (kDest32[pick(5)] << 3) | kDest32[pick(5)]));
        break;
      }
      default: {  // a conditional branch over nothing: reads the flags the fast handlers left
        b(uint8_t(0x70 + pick(16))); b(0x00);
        b(0x0F); b(uint8_t(0x40 + pick(16))); b(uint8_t(0xC0 | (kDest32[pick(5)] << 3) | pick(8)));  // CMOVcc
        break;
      }
    }
  }
};

std::vector<uint8_t> program(uint32_t seed, unsigned n) {
  Gen g{std::mt19937(seed), {}};
  for (unsigned k = 0; k < n; ++k) g.insn();
  g.b(0xF4);  // HLT
  return g.out;
}

enum class Setting { FlatRing0, PagedRing3, ShortSegment, AlignmentCheck, WritesToCode, Stack16 };

void setup(TestMachine& m, Setting s, uint32_t seed) {
  m.flat32();
  // GDT: 2 = flat data; 3 = data with base 0 and limit kData + 0xFFF (byte granular), except
  // where the programs must run to their end (flat there too); both DPL 3.
  m.poke32(kGdt + 16, 0x0000FFFF); m.poke32(kGdt + 20, 0x00CFF300);
  if (s == Setting::FlatRing0 || s == Setting::PagedRing3) {
    m.poke32(kGdt + 24, 0x0000FFFF); m.poke32(kGdt + 28, 0x00CFF300);
  } else {
    m.poke32(kGdt + 24, (kData + 0xFFF) & 0xFFFF);
    m.poke32(kGdt + 28, 0x0040F300 | ((kData + 0xFFF) & 0xF0000));
  }
  m.v.s.gdtr = {kGdt, 31};
  std::mt19937 r(seed ^ 0x5EED);
  for (uint32_t a = kData; a < kData + 0x2000; a += 4) m.poke32(a, uint32_t(r()));
  m.v.s.gpr[EAX] = r(); m.v.s.gpr[ECX] = r(); m.v.s.gpr[EDX] = r(); m.v.s.gpr[EBX] = r();
  m.v.s.gpr[EDI] = r();
  m.v.s.gpr[ESI] = r() & 0x3F;
  m.v.s.gpr[EBP] = kData;
  m.v.s.gpr[ESP] = kStack;
  m.v.s.eip = kCode;
  switch (s) {
    case Setting::FlatRing0: break;
    case Setting::PagedRing3:
    case Setting::AlignmentCheck: {
      m.poke32(kPageDir, kPageTable | 7);
      for (uint32_t page = 0; page < 256; ++page) m.poke32(kPageTable + page * 4, (page << 12) | 7);
      // The six data pages in reverse physical order: an access that runs past a page's end or
      // start lands somewhere else than on a flat machine.
      for (uint32_t k = 0; k < 6; ++k)
        m.poke32(kPageTable + ((kData >> 12) + k) * 4, (kData + (5 - k) * 0x1000) | 7);
      if (seed & 1)  // a user write to the second data page then faults (#PF)
        m.poke32(kPageTable + ((kData + 0x1000) >> 12) * 4, (kData + 0x4000) | 5);
      m.v.s.cr3 = kPageDir;
      m.v.s.cr0 |= CR0_PG | CR0_WP;
      m.v.s.cpl = 3;
      m.v.s.seg[CS] = SegmentCache{0x1B, 0, 0xFFFFFFFF, 0x0CFB};
      for (uint8_t sg : {ES, SS, DS, FS, GS}) m.v.s.seg[sg] = SegmentCache{0x23, 0, 0xFFFFFFFF, 0x0CF3};
      if (s == Setting::AlignmentCheck) {
        m.v.s.cr0 |= CR0_AM;
        m.v.s.eflags |= AC;
      }
      m.v.tlb.flush_all();
      break;
    }
    case Setting::ShortSegment:
      m.v.s.seg[DS] = SegmentCache{0x10, 0x1000, kData + 0x180, 0x0493};
      // and a CS limit inside the program: fetches, jumps and returns past it are #GP
      m.v.s.seg[CS].limit = kCode + 0x400 + (seed & 0x1FF);
      break;
    case Setting::Stack16:  // a 16-bit stack (SS.B = 0): the stack forms take their general path
      m.v.s.seg[SS] = SegmentCache{0x10, 0x30000, 0xFFFF, 0x0093};
      break;
    case Setting::WritesToCode:
      m.v.s.gpr[EBP] = kCode;  // [ebp+...] stores land in the code being run
      break;
  }
}

struct Outcome {
  CpuState s;
  ExitReason reason;
  std::vector<uint8_t> data, code;
};

// General: the general handlers through the loop (the reference); Loop: the fast handlers
// through the loop; Fast: the fast handlers in threaded blocks (the default); Bt: bt.
enum class Core { General, Loop, Fast, Bt };
uint64_t bt_inline_insns = 0;  // instructions bt emitted as host code, over every run

uint64_t bt_links = 0;        // chain links bt's host code followed itself, over every run
uint64_t threaded_blocks = 0;  // blocks the interpreter ran threaded, over every run

// Runs the program twice on one machine: the second run finds its blocks cached, chained and
// (bt) translated and linked, so it takes the paths the first one did not.
std::vector<Outcome> run(Setting s, uint32_t seed, const std::vector<uint8_t>& code, Core c,
                         void (*tweak)(TestMachine&) = nullptr) {
  Interpreter::Options o;
  o.fast_handlers = c != Core::General;
  o.threaded = c == Core::Fast || c == Core::Bt;
  o.hot_runs = 1;  // bt: translate every cached block the first time it runs
  std::unique_ptr<BlockTranslator> t;
  if (c == Core::Bt) t = std::make_unique<vmlab::bt::Translator>(1u << 20);
  TestMachine m(o, std::move(t));
  std::vector<Outcome> outs;
  for (int pass = 0; pass < 2; ++pass) {
    reset_cpu_state(m.v.s);
    setup(m, s, seed);
    // A write to the code page retires its blocks and links: only where the run wrote it.
    if (pass == 0 || s == Setting::WritesToCode) m.load(kCode, code);
    // A lower CS limit leaves the links valid (same stamps): their span check alone must stop
    // a linked block that now runs past the limit.
    if (pass == 1 && s == Setting::FlatRing0) m.v.s.seg[CS].limit = kCode + 0x300 + (seed & 0xFF);
    if (tweak) tweak(m);
    const Exit e = m.run(20000);
    Outcome out{m.v.s, e.reason, std::vector<uint8_t>(0x6000), std::vector<uint8_t>(0x6000)};
    (void)m.mem.read_phys(kData, out.data);
    (void)m.mem.read_phys(kCode, out.code);
    outs.push_back(std::move(out));
  }
  if (c == Core::Fast) threaded_blocks += m.core.threaded_blocks();
  if (c == Core::Bt) {
    bt_inline_insns += m.core.translator()->stats().insns_inline;
    bt_links += m.core.host_code_links();
  }
  return outs;
}

}  // namespace

TEST_CASE("fast_handlers_and_bt_give_what_the_general_handlers_give") {
  unsigned ran_to_the_end = 0;  // in the settings without a deliberate fault
  for (Setting s : {Setting::FlatRing0, Setting::PagedRing3, Setting::ShortSegment,
                    Setting::AlignmentCheck, Setting::WritesToCode, Setting::Stack16}) {
    for (uint32_t seed = 1; seed <= 40; ++seed) {
      CAPTURE(int(s));
      CAPTURE(seed);
      const std::vector<uint8_t> code = program(seed * 7919 + unsigned(s), 300);
      const std::vector<Outcome> fast = run(s, seed, code, Core::Fast),
                                 general = run(s, seed, code, Core::General),
                                 loop = run(s, seed, code, Core::Loop),
                                 bt = run(s, seed, code, Core::Bt);  // host code for these forms
      for (int pass = 0; pass < 2; ++pass)
      for (const Outcome* bp : {&general[pass], &loop[pass], &bt[pass]}) {
        const Outcome& a = fast[pass];
        const Outcome& b = *bp;
        CAPTURE(pass);
        CAPTURE(bp == &bt[pass]);
        CAPTURE(bp == &loop[pass]);
        CHECK(int(a.reason) == int(b.reason));
        for (unsigned r = 0; r < 8; ++r) CHECK(a.s.gpr[r] == b.s.gpr[r]);
        CHECK(a.s.eip == b.s.eip);
        CHECK(read_eflags(a.s) == read_eflags(b.s));
        CHECK(a.s.instructions_retired == b.s.instructions_retired);
        CHECK(a.s.cr2 == b.s.cr2);
        CHECK(a.data == b.data);
        CHECK(a.code == b.code);
      }
      if ((s == Setting::FlatRing0 || (s == Setting::PagedRing3 && !(seed & 1))) &&
          fast[0].s.instructions_retired > 300)
        ++ran_to_the_end;
    }
  }
  // The programs really ran to their HLT where nothing stops them on purpose.
  CHECK(ran_to_the_end == 60);
  // The default core really ran threaded blocks.
  MESSAGE("threaded blocks: " << threaded_blocks);
  CHECK(threaded_blocks > 1000);
  // And bt really ran host code, not only its handler calls, and linked blocks itself.
  CHECK(bt_inline_insns > 10000);
  MESSAGE("bt links followed in host code: " << bt_links);
  CHECK(bt_links > 200);
}

TEST_CASE("fast_handlers_are_used_and_off_switch_turns_them_off") {
  // mov eax,[ebp+8]; add [ebp+12],eax; push eax; pop ebx; hlt, run twice so the block is cached.
  const std::vector<uint8_t> code = {0x8B, 0x45, 0x08, 0x01, 0x45, 0x0C, 0x50, 0x5B, 0xF4};
  for (bool fast : {true, false}) {
    Interpreter::Options o;
    o.fast_handlers = fast;
    TestMachine m(o);
    m.flat32();
    m.load(kCode, code);
    m.poke32(kData + 8, 5);
    m.poke32(kData + 12, 7);
    m.v.s.gpr[EBP] = kData;
    m.v.s.gpr[ESP] = kStack;
    for (int k = 0; k < 2; ++k) {
      m.v.s.eip = kCode;
      m.v.s.events.halted = 0;
      m.run();
    }
    CHECK(m.reg(EBX) == 5);
    CHECK(m.peek32(kData + 12) == 17);
    CHECK(m.reg(ESP) == kStack);
  }
}

TEST_CASE("bt_keeps_flags_an_overwriting_instruction_would_kill_when_a_load_between_faults") {
  // add eax, ebx; movzx ecx, byte [kData + 0x1000]; sub edx, edx; hlt -- with that page not
  // present the load is #PF, so the ADD's flags are what the exception sees (and EFLAGS at the
  // end): bt may skip them only when nothing between could fault.
  std::vector<uint8_t> code = {0x01, 0xD8, 0x0F, 0xB6, 0x0D};
  for (int k = 0; k < 4; ++k) code.push_back(uint8_t((kData + 0x1000) >> (8 * k)));
  for (uint8_t x : {0x29, 0xD2, 0xF4}) code.push_back(x);
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    auto unmap = [](TestMachine& m) {
      m.poke32(kPageTable + ((kData + 0x1000) >> 12) * 4, 0);
      m.v.tlb.flush_all();
    };
    const std::vector<Outcome> interp = run(Setting::PagedRing3, seed, code, Core::General, unmap),
                               bt = run(Setting::PagedRing3, seed, code, Core::Bt, unmap);
    for (int pass = 0; pass < 2; ++pass) {
      CAPTURE(pass);
      CHECK(int(bt[pass].reason) == int(interp[pass].reason));
      CHECK(read_eflags(bt[pass].s) == read_eflags(interp[pass].s));
      CHECK(bt[pass].s.eip == interp[pass].s.eip);
      if (pass == 0) CHECK(bt[pass].s.cr2 == kData + 0x1000);  // the load faulted
    }
  }
}

// A machine on the interpreter, or on bt translating every block the first time it runs.
static std::unique_ptr<TestMachine> machine_translating_at_once(bool translate) {
  Interpreter::Options o;
  o.hot_runs = 1;
  std::unique_ptr<BlockTranslator> t;
  if (translate) t = std::make_unique<vmlab::bt::Translator>(1u << 20);
  return std::make_unique<TestMachine>(o, std::move(t));
}

TEST_CASE("bt_follows_a_link_after_a_far_jump_only_in_the_code_size_the_link_was_made_for") {
  // jmp far [ebx] to the linear address X, then at X: inc eax; hlt. The far pointer names a
  // 32-bit code segment (base 0) for two runs, so bt links the jump's block to X's 32-bit host
  // code; then a 16-bit one (base kCode, same X): the link still names X and the mode the host
  // code started in, but the handler changed the code size, so X must run as inc ax.
  constexpr uint32_t kX = kCode + 0x100, kPointer = kData;
  for (bool translate : {false, true}) {
    CAPTURE(translate);
    auto owner = machine_translating_at_once(translate);
    TestMachine& m = *owner;
    m.poke32(kGdt + 8, 0x0000FFFF); m.poke32(kGdt + 12, 0x00CF9B00);   // 0x08: 32-bit code, flat
    m.poke32(kGdt + 16, 0x0000FFFF); m.poke32(kGdt + 20, 0x00CF9300);  // 0x10: data, flat
    m.poke32(kGdt + 32, 0x0000FFFF); m.poke32(kGdt + 36, 0x00009B01);  // 0x20: 16-bit code at kCode
    m.load(kCode, {0xFF, 0x2B});  // jmp far [ebx]
    m.load(kX, {0x40, 0xF4});     // inc eax (inc ax in 16-bit code); hlt
    for (int pass = 0; pass < 3; ++pass) {
      CAPTURE(pass);
      const bool code16 = pass == 2;
      m.flat32();
      m.v.s.gdtr = {kGdt, 39};
      m.v.s.eip = kCode;
      m.v.s.events.halted = 0;
      m.v.s.gpr[EBX] = kPointer;
      m.v.s.gpr[EAX] = 0xFFFF;
      m.poke32(kPointer, code16 ? kX - kCode : kX);
      m.poke32(kPointer + 4, code16 ? 0x20 : 0x08);
      m.run(1000);
      CHECK(m.v.s.seg[CS].selector == (code16 ? 0x20 : 0x08));
      CHECK(m.reg(EAX) == (code16 ? 0x0000u : 0x10000u));
    }
    if (translate) {  // and the 32-bit runs really went from the jump to X through the link
      CHECK(m.core.translator()->stats().blocks >= 2);
      CHECK(m.core.host_code_links() >= 1);
    }
  }
}

TEST_CASE("bt_follows_no_link_after_a_handler_wrote_code") {
  // call [ebx] to T: inc eax; hlt. Two runs link the call's block to T's host code; in the
  // third the call's return address is pushed over T's first bytes (ESP just above T), which
  // makes T add al,[eax]; add [eax],eax; hlt. The write retired T, so the link made before it
  // must not be followed: the interpreter runs the new bytes, and bt must too.
  constexpr uint32_t kT = kCode + 0x100, kTarget = kData;
  uint32_t eax[2] = {}, data[2] = {};
  for (bool translate : {false, true}) {
    CAPTURE(translate);
    auto owner = machine_translating_at_once(translate);
    TestMachine& m = *owner;
    m.load(kCode, {0xFF, 0x13});         // call [ebx]
    m.load(kT, {0x40, 0xF4, 0xF4, 0xF4, 0xF4});  // inc eax; hlt (then hlt after the new bytes)
    for (int pass = 0; pass < 3; ++pass) {
      m.flat32();
      m.v.s.eip = kCode;
      m.v.s.events.halted = 0;
      m.v.s.gpr[EBX] = kTarget;
      m.v.s.gpr[EAX] = kData + 0x40;
      m.v.s.gpr[ESP] = pass == 2 ? kT + 4 : kStack;
      m.poke32(kTarget, kT);
      m.poke32(kData + 0x40, 0x01020304);
      m.run(1000);
    }
    eax[translate] = m.reg(EAX);
    data[translate] = m.peek32(kData + 0x40);
    if (translate) CHECK(m.core.host_code_links() >= 1);
  }
  CHECK(eax[0] != kData + 0x41);  // the interpreter did run the new bytes
  CHECK(eax[1] == eax[0]);
  CHECK(data[1] == data[0]);
}

TEST_CASE("bt_follows_no_link_after_a_handler_flushed_the_tlb") {
  // mov cr4, eax just before the page of T, which it falls through to: T is inc eax; hlt. Two
  // runs write CR4 unchanged (no flush) and link the two. Then T's page table entry is pointed
  // at another page (inc eax twice; hlt) without a flush, and the MOV sets CR4.PGE, which
  // flushes the TLB: the link made for the old translation must not be followed, T now runs
  // from the other page.
  constexpr uint32_t kT = kCode + 0x1000, kOther = kCode + 0x3000;
  for (bool translate : {false, true}) {
    CAPTURE(translate);
    auto owner = machine_translating_at_once(translate);
    TestMachine& m = *owner;
    m.poke32(kPageDir, kPageTable | 3);
    for (uint32_t page = 0; page < 256; ++page) m.poke32(kPageTable + page * 4, (page << 12) | 3);
    m.load(kT - 3, {0x0F, 0x22, 0xE0});  // mov cr4, eax
    m.load(kT, {0x40, 0xF4});            // inc eax; hlt
    m.load(kOther, {0x40, 0x40, 0xF4});  // inc eax; inc eax; hlt
    for (int pass = 0; pass < 3; ++pass) {
      CAPTURE(pass);
      if (pass == 2) m.poke32(kPageTable + (kT >> 12) * 4, kOther | 3);
      m.flat32();
      m.v.s.cr3 = kPageDir;
      m.v.s.cr0 |= CR0_PG;
      m.v.s.cr4 = 0;
      m.v.s.eip = kT - 3;
      m.v.s.events.halted = 0;
      m.v.s.gpr[EAX] = pass == 2 ? CR4_PGE : 0;
      m.run(1000);
      CHECK(m.reg(EAX) == (pass == 2 ? CR4_PGE + 2 : 1u));
    }
    if (translate) CHECK(m.core.host_code_links() >= 1);  // pass 1 went through the link
  }
}
