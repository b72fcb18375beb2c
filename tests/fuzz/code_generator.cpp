// Snippet kinds and their weights. Each snippet is a short byte pattern; the page is filled by
// drawing snippets until it is full (the last one is cut at the page end).
#include "tests/fuzz/code_generator.h"

#include <vector>

namespace vmlab::fuzz {
namespace {

class Emitter {
 public:
  Emitter(Rng& r, const CodeFlavor& f) : r_(r), f_(f) {}
  std::vector<uint8_t> buf;

  void b(uint8_t x) { buf.push_back(x); }
  void w(uint16_t x) { b(uint8_t(x)); b(uint8_t(x >> 8)); }
  void d(uint32_t x) { w(uint16_t(x)); w(uint16_t(x >> 16)); }
  // An immediate of the current operand size (16 or 32 bits).
  void imm(uint32_t x) { if (f_.code32) d(x); else w(uint16_t(x)); }

  // ModRM byte with `reg`, mostly a memory operand, with the displacement it implies.
  void modrm(uint8_t reg) {
    uint8_t mod = r_.chance(75) ? uint8_t(r_.below(3)) : 3;
    uint8_t rm = uint8_t(r_.below(8));
    b(uint8_t(mod << 6 | (reg & 7) << 3 | rm));
    if (mod == 3) return;
    if (f_.code32) {
      if (rm == 4) b(r_.byte());                 // SIB
      if (mod == 1) b(r_.byte());
      else if (mod == 2 || (mod == 0 && rm == 5)) d(small_or_random());
    } else {
      if (mod == 1) b(r_.byte());
      else if (mod == 2 || (mod == 0 && rm == 6)) w(r_.u16());
    }
  }
  // Load `v` into EAX/AX (mov eAX, imm).
  void mov_ax(uint32_t v) { b(0xB8); imm(v); }
  uint32_t small_or_random() { return r_.chance(60) ? r_.below(0x20000) : r_.u32(); }
  // Offsets near the fuzz code/data when followed, else anything.
  uint32_t target_offset() {
    if (r_.chance(70)) return (f_.code32 ? 0x200000u : 0u) + r_.below(0x1000);
    return r_.u32();
  }

 private:
  Rng& r_;
  const CodeFlavor& f_;
};

// CR values that flip the bits the CPU checks on a write.
uint32_t interesting_cr_value(Rng& r, unsigned cr) {
  static constexpr uint32_t kCr0[] = {0x00000011, 0x80000011, 0x80000001, 0x60000011, 0x80010033,
                                      0x00000010, 0x8000003B, 0x00000015, 0x20000011, 0xE0000011};
  static constexpr uint32_t kCr4[] = {0x0, 0x10, 0x20, 0x30, 0x80, 0x1, 0x200, 0x600, 0xFFFFFFFF};
  switch (cr) {
    case 0: return r.chance(80) ? r.pick(kCr0) : r.u32();
    case 3: return r.chance(70) ? 0x20000u | (r.below(2) << 3) : r.u32();
    case 4: return r.chance(80) ? r.pick(kCr4) : r.u32();
    default: return r.u32();
  }
}

void snippet(Emitter& e, Rng& r, const CodeFlavor& f) {
  static constexpr uint8_t kPrefixes[] = {0x66, 0x67, 0xF2, 0xF3, 0xF0, 0x26, 0x2E, 0x36, 0x3E,
                                          0x64, 0x65};
  static constexpr uint8_t kModrmOps[] = {
      0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30,
      0x31, 0x38, 0x39, 0x3A, 0x3B, 0x62, 0x63, 0x69, 0x6B, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
      0x8A, 0x8B, 0x8C, 0x8D, 0x8F, 0xC0, 0xC1, 0xC4, 0xC5, 0xD0, 0xD1, 0xD2, 0xD3, 0xF6, 0xF7,
      0xFE, 0xFF, 0x80, 0x81, 0x83, 0xC6, 0xC7, 0xD8, 0xD9, 0xDB, 0xDD, 0xDF};
  static constexpr uint8_t kSys0F[] = {0x00, 0x01, 0x02, 0x03, 0x06, 0x08, 0x09, 0x0B, 0x20, 0x21,
                                       0x22, 0x23, 0x30, 0x31, 0x32, 0x33, 0xA0, 0xA1, 0xA2, 0xA8,
                                       0xA9, 0xB2, 0xB4, 0xB5, 0xA3, 0xAB, 0xB3, 0xBB, 0xBA, 0xBC,
                                       0xBD, 0xAF, 0xB6, 0xB7, 0xBE, 0xBF, 0xC0, 0xC1, 0xC8, 0x40,
                                       0x80, 0x90, 0xA4, 0xA5, 0xAC, 0xAD, 0xB0, 0xB1, 0xC7, 0x10,
                                       0x28, 0x6F, 0x7F, 0xAE, 0xFF, 0x05, 0x07, 0x34, 0x35};
  static constexpr uint8_t kString[] = {0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE,
                                        0xAF, 0x6C, 0x6D, 0x6E, 0x6F};
  unsigned k = r.below(100);
  if (k < 14) {                       // plain random bytes
    for (unsigned n = 1 + r.below(8); n; --n) e.b(r.byte());
  } else if (k < 24) {                // prefixes, then another snippet
    for (unsigned n = 1 + r.below(r.chance(5) ? 15 : 3); n; --n) e.b(r.pick(kPrefixes));
    snippet(e, r, f);
  } else if (k < 42) {                // ALU / moves with a ModRM memory operand
    e.b(r.pick(kModrmOps));
    e.modrm(uint8_t(r.below(8)));
    if (r.chance(40)) e.b(r.byte());  // a possible imm8
  } else if (k < 50) {                // segment register loads with chosen selectors
    uint16_t sel = random_selector(r);
    switch (r.below(5)) {
      case 0: e.mov_ax(sel); e.b(0x8E); e.b(uint8_t(0xC0 | r.below(6) << 3)); break;  // mov sreg, ax
      case 1: e.b(0x68); e.imm(sel); e.b(r.pick<uint8_t>({0x07, 0x17, 0x1F})); break;
      case 2: e.b(0x68); e.imm(sel); e.b(0x0F); e.b(r.chance(50) ? 0xA1 : 0xA9); break;
      case 3: e.b(r.pick<uint8_t>({0xC4, 0xC5})); e.modrm(uint8_t(r.below(8))); break;
      default: e.b(0x0F); e.b(r.pick<uint8_t>({0xB2, 0xB4, 0xB5})); e.modrm(uint8_t(r.below(8)));
    }
  } else if (k < 60) {                // 0F system and newer opcodes
    e.b(0x0F);
    uint8_t op = r.chance(85) ? r.pick(kSys0F) : r.byte();
    e.b(op);
    if (op == 0x00 || op == 0x01) {   // group 6/7: LLDT/LTR/VERR/LGDT/LIDT/LMSW/INVLPG ...
      if (r.chance(50)) { e.mov_ax(random_selector(r)); }
      e.modrm(uint8_t(r.below(8)));
    } else if (op == 0x20 || op == 0x21 || op == 0x22 || op == 0x23) {
      e.b(uint8_t(0xC0 | r.below(8) << 3 | r.below(8)));
    } else if (op == 0x06 || op == 0x0B || op == 0x08 || op == 0x09 || op == 0x30 ||
               op == 0x31 || op == 0x32 || op == 0x33 || op == 0xA2 || op == 0xA0 ||
               op == 0xA1 || op == 0xA8 || op == 0xA9 || op == 0x05 || op == 0x07 ||
               op == 0x34 || op == 0x35) {
      // no ModRM
    } else {
      e.modrm(uint8_t(r.below(8)));
      if (op == 0xBA || op == 0xA4 || op == 0xAC) e.b(r.byte());
    }
  } else if (k < 64) {                // MOV CRn, r32 with an interesting value
    unsigned cr = r.pick<unsigned>({0, 0, 3, 4, 2, 1, 5, 8});
    if (!f.code32) e.b(0x66);         // a 32-bit value in 16-bit code too
    e.b(0xB8); e.d(interesting_cr_value(r, cr));
    e.b(0x0F); e.b(0x22); e.b(uint8_t(0xC0 | cr << 3));
  } else if (k < 70) {                // software interrupts and friends
    switch (r.below(6)) {
      case 0: case 1: e.b(0xCD); e.b(r.chance(50) ? uint8_t(r.below(32)) : r.byte()); break;
      case 2: e.b(0xCC); break;
      case 3: e.b(0xCE); break;
      case 4: e.b(0xF1); break;
      default: e.b(0x0F); e.b(0x0B); break;
    }
  } else if (k < 74) {                // IRET with a chosen frame
    e.b(0x68); e.imm(r.chance(50) ? 0x2 | (r.u32() & 0x7FD7) : r.u32());   // flags
    e.b(0x68); e.imm(random_selector(r));
    e.b(0x68); e.imm(e.target_offset());
    if (r.chance(20)) e.b(0x66);
    e.b(0xCF);
  } else if (k < 81) {                // far JMP / CALL / RET
    switch (r.below(4)) {
      case 0: case 1:
        e.b(r.chance(50) ? 0xEA : 0x9A); e.imm(e.target_offset()); e.w(random_selector(r)); break;
      case 2: e.b(0xFF); e.modrm(r.chance(50) ? 3 : 5); break;
      default:
        e.b(0x68); e.imm(random_selector(r)); e.b(0x68); e.imm(e.target_offset());
        if (r.chance(50)) { e.b(0xCB); } else { e.b(0xCA); e.w(uint16_t(r.below(16))); }
    }
  } else if (k < 84) {                // task switches through the TSS or the task gate
    static constexpr uint16_t kTaskSels[] = {0x58, 0x50, 0x53, 0x28, 0x59};
    e.b(r.chance(60) ? 0xEA : 0x9A); e.imm(r.u32()); e.w(r.pick(kTaskSels));
  } else if (k < 87) {                // POPF with random flags
    e.b(0x68); e.imm(r.u32()); e.b(0x9D);
  } else if (k < 90) {                // I/O
    static constexpr uint8_t kIo[] = {0xE4, 0xE5, 0xE6, 0xE7, 0xEC, 0xED, 0xEE, 0xEF};
    uint8_t op = r.pick(kIo);
    if (op >= 0xEC) { e.b(0xBA); e.imm(r.u16()); e.b(op); } else { e.b(op); e.b(r.byte()); }
  } else if (k < 94) {                // string ops, often REP, with small or huge counts
    e.b(0xB9); e.imm(r.chance(70) ? r.below(64) : r.u32());
    if (r.chance(70)) e.b(r.chance(80) ? 0xF3 : 0xF2);
    e.b(r.pick(kString));
  } else if (k < 98) {                // near branches
    switch (r.below(4)) {
      case 0: e.b(uint8_t(0x70 | r.below(16))); e.b(r.byte()); break;
      case 1: e.b(r.pick<uint8_t>({0xE0, 0xE1, 0xE2, 0xE3, 0xEB})); e.b(r.byte()); break;
      case 2: e.b(r.chance(50) ? 0xE8 : 0xE9); e.imm(r.chance(80) ? r.below(0x400) - 0x200 : r.u32()); break;
      default: e.b(r.pick<uint8_t>({0xC3, 0xC2, 0xC8, 0xC9, 0x61, 0x60})); if (r.chance(50)) e.w(r.u16());
    }
  } else {                            // the odd HLT, CLI, STI
    e.b(r.pick<uint8_t>({0xF4, 0xFA, 0xFB, 0x9C, 0x9D, 0x9E, 0x9F}));
  }
}

}  // namespace

uint16_t random_selector(Rng& r) {
  uint16_t index = r.chance(85) ? uint16_t(r.below(34)) : uint16_t(r.below(8192));
  uint16_t ti = r.chance(12) ? 4 : 0;
  return uint16_t(index << 3 | ti | r.below(4));
}

void generate_code(Rng& r, const CodeFlavor& f, std::span<uint8_t> out) {
  Emitter e(r, f);
  size_t pos = 0;
  while (pos < out.size()) {
    e.buf.clear();
    snippet(e, r, f);
    for (size_t i = 0; i < e.buf.size() && pos < out.size(); ++i) out[pos++] = e.buf[i];
  }
}

}  // namespace vmlab::fuzz
