// SSE2: double precision arithmetic and conversions, the integer instructions on XMM registers
// (66 prefix), 128-bit shuffles and byte shifts, and the MMX<->XMM moves.
#include <cmath>
#include <limits>
#include "tests/cpu/simd_test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::is;
using vmlab::cpu::test::SimdMachine;

TEST_CASE("sse2_integer_ops_on_xmm_use_all_128_bits") {
  SimdMachine m;
  m.xmm(0) = XmmReg{0x7FFF'0001'8000'0000ull, 0x0000'0000'FFFF'FFFFull};
  m.xmm(1) = XmmReg{0x0001'0001'FFFF'0000ull, 0x0000'0000'0000'0001ull};
  SimdMachine q = m, pk = m;
  CHECK(!m.exec({0x66, 0x0F, 0xED, 0xC1}));  // paddsw xmm0, xmm1
  CHECK(m.xmm(0).lo == 0x7FFF'0002'8000'0000ull);
  CHECK(m.xmm(0).hi == 0x0000'0000'FFFF'0000ull);
  CHECK(!q.exec({0x66, 0x0F, 0xD4, 0xC1}));  // paddq
  CHECK(q.xmm(0).lo == 0x8000'0003'7FFF'0000ull);
  CHECK(q.xmm(0).hi == 0x0000'0001'0000'0000ull);
  CHECK(!pk.exec({0x66, 0x0F, 0x6C, 0xC1}));  // punpcklqdq
  CHECK(pk.xmm(0).lo == 0x7FFF'0001'8000'0000ull);
  CHECK(pk.xmm(0).hi == 0x0001'0001'FFFF'0000ull);
  CHECK(m.v.s.fpu.ftw == 0x5555);  // SSE2 forms do not touch the x87 tags (reset value)
}

TEST_CASE("sse2_psadbw_two_lanes_and_pmovmskb_16_bits") {
  SimdMachine m;
  m.xmm(0) = XmmReg{0x0000'0000'0000'00FFull, 0x0101'0101'0101'0101ull};
  m.xmm(1) = XmmReg{0x0000'0000'0000'0000ull, 0x0000'0000'0000'0000ull};
  CHECK(!m.exec({0x66, 0x0F, 0xF6, 0xC1}));  // psadbw
  CHECK(m.xmm(0).lo == 255);
  CHECK(m.xmm(0).hi == 8);
  m.xmm(2) = XmmReg{0x8000'0000'0000'0080ull, 0xFF00'0000'0000'0000ull};
  CHECK(!m.exec({0x66, 0x0F, 0xD7, 0xC2}));  // pmovmskb eax, xmm2
  CHECK(m.reg(EAX) == 0x8081u);
}

TEST_CASE("sse2_byte_shifts_and_pshufd") {
  SimdMachine m;
  m.xmm(0) = XmmReg{0x0706'0504'0302'0100ull, 0x0F0E'0D0C'0B0A'0908ull};
  SimdMachine r = m, big = m, sh = m;
  CHECK(!m.exec({0x66, 0x0F, 0x73, 0xF8, 0x03}));  // pslldq xmm0, 3
  CHECK(m.xmm(0).lo == 0x0403'0201'0000'0000ull);
  CHECK(m.xmm(0).hi == 0x0C0B'0A09'0807'0605ull);
  CHECK(!r.exec({0x66, 0x0F, 0x73, 0xD8, 0x09}));  // psrldq xmm0, 9
  CHECK(r.xmm(0).lo == 0x000F'0E0D'0C0B'0A09ull);
  CHECK(r.xmm(0).hi == 0);
  CHECK(!big.exec({0x66, 0x0F, 0x73, 0xD8, 0x10}));  // psrldq 16: all zero
  CHECK(big.xmm(0).lo == 0);
  CHECK(big.xmm(0).hi == 0);
  CHECK(!sh.exec({0x66, 0x0F, 0x70, 0xC8, 0x1B}));  // pshufd xmm1, xmm0, 0x1B
  CHECK(sh.xmm(1).lo == 0x0B0A'0908'0F0E'0D0Cull);
  CHECK(sh.xmm(1).hi == 0x0302'0100'0706'0504ull);
}

TEST_CASE("sse2_cvtpd2dq_rounding_and_indefinite") {
  SimdMachine m;
  m.set_pd(1, 2.5, -3.5);
  SimdMachine t = m, nan = m;
  CHECK(!m.exec({0xF2, 0x0F, 0xE6, 0xC1}));  // cvtpd2dq: nearest even, upper half zeroed
  CHECK(m.xmm(0).lo == 0xFFFF'FFFC'0000'0002ull);
  CHECK(m.xmm(0).hi == 0);
  CHECK(!t.exec({0x66, 0x0F, 0xE6, 0xC1}));  // cvttpd2dq: truncate
  CHECK(t.xmm(0).lo == 0xFFFF'FFFD'0000'0002ull);
  nan.set_pd(1, std::numeric_limits<double>::infinity(), 1e10);
  CHECK(!nan.exec({0xF2, 0x0F, 0x2D, 0xC1}));  // cvtsd2si eax, xmm1: +inf -> indefinite
  CHECK(nan.reg(EAX) == 0x80000000u);
  CHECK((nan.v.s.fpu.mxcsr & 1) != 0);
  CHECK(!nan.exec({0x66, 0x0F, 0x2D, 0xC1}));  // cvtpd2pi mm0, xmm1: both indefinite
  CHECK(nan.mm(0) == 0x80000000'80000000ull);
}

TEST_CASE("sse2_double_arithmetic_and_cvtsd2ss_narrowing") {
  SimdMachine m;
  m.set_pd(0, 1.0, 10.0);
  m.set_pd(1, 3.0, 4.0);
  SimdMachine s = m;
  CHECK(!m.exec({0x66, 0x0F, 0x5E, 0xC1}));  // divpd
  CHECK(m.pd(0, 0) == 1.0 / 3.0);
  CHECK(m.pd(0, 1) == 2.5);
  CHECK(!s.exec({0xF2, 0x0F, 0x51, 0xC1}));  // sqrtsd: low only
  CHECK(s.pd(0, 0) == std::sqrt(3.0));
  CHECK(s.pd(0, 1) == 10.0);
  SimdMachine n;
  n.set_ps(0, 7.0f, 8.0f, 9.0f, 10.0f);
  n.set_pd(1, 1e300);
  CHECK(!n.exec({0xF2, 0x0F, 0x5A, 0xC1}));  // cvtsd2ss: overflow -> +inf, OE|PE
  CHECK(std::isinf(n.ps(0, 0)));
  CHECK(n.ps(0, 1) == 8.0f);
  CHECK((n.v.s.fpu.mxcsr & 0x3F) == (8 | 32));
}

TEST_CASE("sse2_movq2dq_movdq2q_and_maskmovq") {
  SimdMachine m;
  m.mm(3) = 0x1122'3344'5566'7788ull;
  m.xmm(2) = XmmReg{0xFFFF, 0xFFFF};
  m.v.s.fpu.ftw = 0xFFFF;
  CHECK(!m.exec({0xF3, 0x0F, 0xD6, 0xD3}));  // movq2dq xmm2, mm3
  CHECK(m.xmm(2).lo == 0x1122'3344'5566'7788ull);
  CHECK(m.xmm(2).hi == 0);
  CHECK(m.v.s.fpu.ftw == 0);  // an MMX register operand: x87 -> MMX transition
  m.xmm(4) = XmmReg{0xAAAA'BBBB'CCCC'DDDDull, 1};
  CHECK(!m.exec({0xF2, 0x0F, 0xD6, 0xCC}));  // movdq2q mm1, xmm4
  CHECK(m.mm(1) == 0xAAAA'BBBB'CCCC'DDDDull);
  CHECK(m.v.s.fpu.st[1].sign_exp == 0xFFFF);
  m.poke64(0x5000, 0);
  m.v.s.gpr[EDI] = 0x5000;
  m.mm(2) = 0x8000'0000'0000'0080ull;  // bytes 0 and 7 selected
  CHECK(!m.exec({0x0F, 0xF7, 0xCA}));     // maskmovq mm1, mm2
  CHECK(m.peek64(0x5000) == 0xAA00'0000'0000'00DDull);
}

TEST_CASE("sse2_real_mode_program_runs_through_the_interpreter") {
  vmlab::cpu::test::TestMachine m;  // real mode, code at 0000:0100
  m.v.s.cr4 |= CR4_OSFXSR;
  m.poke32(0x200, 0x01020304);
  m.poke32(0x204, 0x05060708);
  m.poke32(0x208, 0x10203040);
  m.poke32(0x20C, 0x50607080);
  m.load(0x100, {
      0x0F, 0x28, 0x06, 0x00, 0x02,        // movaps xmm0, [0x200]
      0x66, 0x0F, 0xFC, 0xC0,              // paddb xmm0, xmm0
      0xF3, 0x0F, 0x7F, 0x06, 0x10, 0x02,  // movdqu [0x210], xmm0
      0x0F, 0x6F, 0x0E, 0x00, 0x02,        // movq mm1, [0x200]
      0x0F, 0xD5, 0xC9,                    // pmullw mm1, mm1
      0x0F, 0x7E, 0xC8,                    // movd eax, mm1
      0x0F, 0x77,                          // emms
      0xF4});
  const Exit e = m.run();
  CHECK(e.reason == ExitReason::Halted);
  CHECK(m.peek32(0x210) == 0x02040608u);
  CHECK(m.peek32(0x21C) == 0xA0C0E000u);
  CHECK(m.reg(EAX) == ((0x0102u * 0x0102u) << 16 | ((0x0304u * 0x0304u) & 0xFFFF)));
  CHECK(m.v.s.fpu.ftw == 0xFFFF);
  CHECK(m.v.s.eip == 0x100 + 29);  // after HLT
}
