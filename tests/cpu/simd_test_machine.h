// A TestMachine for MMX/SSE unit tests: flat 32-bit protected mode with CR4.OSFXSR and
// CR4.OSXMMEXCPT set, and exec() which decodes one instruction and runs its handler, returning
// the Fault instead of delivering it (so tests see #UD/#NM/#MF/#XM/#GP directly).
//
//   SimdMachine m;
//   m.v.s.fpu.st[0].mantissa = 1;
//   CHECK(!m.exec({0x0F, 0xFC, 0xC1}));    // paddb mm0, mm1
#pragma once
#include <doctest/doctest.h>
#include <cstring>
#include <vector>
#include "cpu/decode/decoder.h"
#include "tests/cpu/test_machine.h"

namespace vmlab::cpu::test {

struct SimdMachine : TestMachine {
  SimdMachine() {
    flat32();
    v.s.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
  }
  // A "copy" takes the CPU state only (fresh RAM): lets a test run one setup several ways.
  SimdMachine(const SimdMachine& o) : SimdMachine() { v.s = o.v.s; }
  SimdMachine& operator=(const SimdMachine&) = delete;
  Fault exec(const std::vector<uint8_t>& bytes) {
    Insn i;
    REQUIRE(decode(bytes.data(), unsigned(bytes.size()), true, i) == DecodeStatus::Ok);
    REQUIRE(i.len == bytes.size());
    return i.fn(v, i);
  }
  uint64_t& mm(unsigned r) { return v.s.fpu.st[r].mantissa; }
  XmmReg& xmm(unsigned r) { return v.s.fpu.xmm[r]; }
  void set_ps(unsigned r, float a, float b = 0, float c = 0, float d = 0) {
    const float f[4] = {a, b, c, d};
    std::memcpy(&v.s.fpu.xmm[r], f, 16);
  }
  float ps(unsigned r, unsigned k) {
    float f[4];
    std::memcpy(f, &v.s.fpu.xmm[r], 16);
    return f[k];
  }
  void set_pd(unsigned r, double a, double b = 0) {
    const double d[2] = {a, b};
    std::memcpy(&v.s.fpu.xmm[r], d, 16);
  }
  double pd(unsigned r, unsigned k) {
    double d[2];
    std::memcpy(d, &v.s.fpu.xmm[r], 16);
    return d[k];
  }
  void poke64(uint32_t pa, uint64_t x) {
    poke32(pa, uint32_t(x));
    poke32(pa + 4, uint32_t(x >> 32));
  }
  uint64_t peek64(uint32_t pa) { return peek32(pa) | (uint64_t(peek32(pa + 4)) << 32); }
};

inline bool is(const Fault& f, uint8_t vec) { return f.vector == vec; }

}  // namespace vmlab::cpu::test
