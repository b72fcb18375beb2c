// SSE (single precision) and the SSE/SSE2 exception rules: MXCSR rounding/flags/FTZ/DAZ,
// #XM vs #UD, LDMXCSR #GP, 16-byte alignment, CVT* rounding and the integer indefinite,
// COMISS/UCOMISS flags.
#include <cmath>
#include <limits>
#include "cpu/flags.h"
#include "cpu/fpu/x87.h"
#include "tests/cpu/simd_test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::is;
using vmlab::cpu::test::SimdMachine;

namespace {
uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
constexpr uint32_t kFIE = 1, kFDE = 2, kFZE = 4, kFUE = 16, kFPE = 32;  // MXCSR flags
}  // namespace

TEST_CASE("sse_addps_honours_mxcsr_rounding_and_sets_pe") {
  SimdMachine m;
  const float tiny = std::ldexp(1.0f, -24);  // half an ulp of 1.0
  m.set_ps(0, 1.0f, 1.0f, -1.0f, 3.0f);
  m.set_ps(1, tiny, tiny * 3, -tiny, 0.5f);
  SimdMachine up = m;
  CHECK(!m.exec({0x0F, 0x58, 0xC1}));  // addps xmm0, xmm1 (round to nearest even)
  CHECK(m.ps(0, 0) == 1.0f);
  CHECK(m.ps(0, 1) == 1.0f + 2 * std::ldexp(1.0f, -23) / 1);
  CHECK(m.ps(0, 2) == -1.0f);
  CHECK(m.ps(0, 3) == 3.5f);
  CHECK((m.v.s.fpu.mxcsr & 0x3F) == kFPE);
  up.v.s.fpu.mxcsr = 0x1F80 | (2u << 13);  // round up
  CHECK(!up.exec({0x0F, 0x58, 0xC1}));
  CHECK(up.ps(0, 0) == std::nextafter(1.0f, 2.0f));
  CHECK(up.ps(0, 2) == -1.0f);  // -1 - tiny rounds up to -1
}

TEST_CASE("sse_divss_by_zero_masked_unmasked_and_osxmmexcpt") {
  SimdMachine m;
  m.set_ps(0, 1.0f, 7.0f);
  m.set_ps(1, 0.0f, 0.0f);
  SimdMachine unmasked = m, noexcpt = m;
  CHECK(!m.exec({0xF3, 0x0F, 0x5E, 0xC1}));  // divss: only the low element
  CHECK(std::isinf(m.ps(0, 0)));
  CHECK(m.ps(0, 1) == 7.0f);
  CHECK((m.v.s.fpu.mxcsr & 0x3F) == kFZE);
  unmasked.v.s.fpu.mxcsr = 0x1F80 & ~(kFZE << 7);
  CHECK(is(unmasked.exec({0xF3, 0x0F, 0x5E, 0xC1}), kXM));
  CHECK(unmasked.ps(0, 0) == 1.0f);  // destination unchanged
  CHECK((unmasked.v.s.fpu.mxcsr & 0x3F) == kFZE);
  noexcpt.v.s.fpu.mxcsr = 0x1F80 & ~(kFZE << 7);
  noexcpt.v.s.cr4 &= ~CR4_OSXMMEXCPT;
  CHECK(is(noexcpt.exec({0xF3, 0x0F, 0x5E, 0xC1}), kUD));
}

TEST_CASE("sse_unmasked_precomputation_exception_skips_post_computation_flags") {
  SimdMachine m;
  m.set_ps(0, 1.0f, 1.0f, 1.0f, 1.0f);
  m.set_ps(1, 0.0f, 3.0f, 1.0f, 1.0f);  // lane 0: ZE; lane 1: 1/3 inexact
  m.v.s.fpu.mxcsr = 0x1F80 & ~(kFZE << 7);
  CHECK(is(m.exec({0x0F, 0x5E, 0xC1}), kXM));  // divps
  CHECK((m.v.s.fpu.mxcsr & 0x3F) == kFZE);       // no PE
  m.v.s.fpu.mxcsr = 0x1F80 & ~(kFPE << 7);       // only PE unmasked: 1/3 raises it
  m.set_ps(1, 2.0f, 3.0f, 1.0f, 1.0f);
  CHECK(is(m.exec({0x0F, 0x5E, 0xC1}), kXM));
  CHECK(m.ps(0, 1) == 1.0f);
  CHECK((m.v.s.fpu.mxcsr & 0x3F) == kFPE);
}

TEST_CASE("sse_ftz_daz_and_exact_underflow_when_unmasked") {
  SimdMachine m;
  const float small = std::numeric_limits<float>::min();  // smallest normal
  m.set_ps(0, small);
  m.set_ps(1, 0.5f);
  SimdMachine ftz = m, unm = m;
  CHECK(!m.exec({0xF3, 0x0F, 0x59, 0xC1}));  // mulss: exact denormal, masked: no UE
  CHECK(m.ps(0, 0) == small / 2);
  CHECK((m.v.s.fpu.mxcsr & 0x3F) == 0);
  ftz.v.s.fpu.mxcsr = 0x1F80 | (1u << 15);
  CHECK(!ftz.exec({0xF3, 0x0F, 0x59, 0xC1}));  // FTZ: flushed to +0, UE and PE
  CHECK(bits(ftz.ps(0, 0)) == 0);
  CHECK((ftz.v.s.fpu.mxcsr & 0x3F) == (kFUE | kFPE));
  unm.v.s.fpu.mxcsr = 0x1F80 & ~(kFUE << 7);
  CHECK(is(unm.exec({0xF3, 0x0F, 0x59, 0xC1}), kXM));  // tiny though exact: unmasked UE traps
  CHECK(unm.ps(0, 0) == small);
  SimdMachine daz;
  daz.set_ps(0, 1.0f);
  daz.set_ps(1, small / 4);  // denormal operand
  SimdMachine nodaz = daz;
  CHECK(!nodaz.exec({0xF3, 0x0F, 0x58, 0xC1}));
  CHECK((nodaz.v.s.fpu.mxcsr & 0x3F) == (kFDE | kFPE));
  daz.v.s.fpu.mxcsr = 0x1F80 | 0x40;
  CHECK(!daz.exec({0xF3, 0x0F, 0x58, 0xC1}));  // DAZ: the operand is 0, no DE, exact
  CHECK(daz.ps(0, 0) == 1.0f);
  CHECK((daz.v.s.fpu.mxcsr & 0x3F) == 0);
}

TEST_CASE("sse_cvt_rounding_and_integer_indefinite") {
  SimdMachine m;
  m.set_ps(1, 2.5f, -1.5f);
  CHECK(!m.exec({0xF3, 0x0F, 0x2D, 0xC1}));  // cvtss2si eax, xmm1: nearest even
  CHECK(m.reg(EAX) == 2);
  CHECK(!m.exec({0xF3, 0x0F, 0x2C, 0xC1}));  // cvttss2si: truncate
  CHECK(m.reg(EAX) == 2);
  m.v.s.fpu.mxcsr = 0x1F80 | (1u << 13);     // round down
  m.set_ps(1, -1.5f);
  CHECK(!m.exec({0xF3, 0x0F, 0x2D, 0xC1}));
  CHECK(m.reg(EAX) == uint32_t(-2));
  m.v.s.fpu.mxcsr = 0x1F80;
  m.set_ps(1, std::numeric_limits<float>::quiet_NaN());
  CHECK(!m.exec({0xF3, 0x0F, 0x2C, 0xC1}));
  CHECK(m.reg(EAX) == 0x80000000u);
  CHECK((m.v.s.fpu.mxcsr & kFIE) != 0);
  m.set_ps(1, 3e9f, -7.25f);
  CHECK(!m.exec({0x0F, 0x2C, 0xC1}));  // cvttps2pi mm0, xmm1
  CHECK(m.mm(0) == 0xFFFFFFF9'80000000ull);
  CHECK(m.v.s.fpu.st[0].sign_exp == 0xFFFF);
  m.v.s.gpr[EDX] = uint32_t(-16777217);  // not representable: rounds, PE
  m.v.s.fpu.mxcsr = 0x1F80;
  m.set_ps(2, 9.0f, 9.0f);
  CHECK(!m.exec({0xF3, 0x0F, 0x2A, 0xD2}));  // cvtsi2ss xmm2, edx
  CHECK(m.ps(2, 0) == -16777216.0f);
  CHECK(m.ps(2, 1) == 9.0f);
  CHECK((m.v.s.fpu.mxcsr & kFPE) != 0);
  m.mm(3) = 0x00000005'FFFFFFFFull;
  CHECK(!m.exec({0x0F, 0x2A, 0xD3}));  // cvtpi2ps xmm2, mm3: upper two lanes kept
  CHECK(m.ps(2, 0) == -1.0f);
  CHECK(m.ps(2, 1) == 5.0f);
}

TEST_CASE("sse_comiss_ucomiss_flags") {
  SimdMachine m;
  auto run = [&](std::vector<uint8_t> insn, float a, float b) {
    m.set_ps(0, a);
    m.set_ps(1, b);
    m.v.s.fpu.mxcsr = 0x1F80;
    set_arith_flags(m.v.s.lazy, OF | SF | AF);
    REQUIRE(!m.exec(insn));
    return get_arith_flags(m.v.s.lazy);
  };
  const std::vector<uint8_t> comiss = {0x0F, 0x2F, 0xC1}, ucomiss = {0x0F, 0x2E, 0xC1};
  CHECK(run(comiss, 1.0f, 2.0f) == CF);
  CHECK(run(comiss, 2.0f, 1.0f) == 0);
  CHECK(run(comiss, 2.0f, 2.0f) == ZF);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  CHECK(run(ucomiss, qnan, 1.0f) == (ZF | PF | CF));
  CHECK((m.v.s.fpu.mxcsr & kFIE) == 0);  // UCOMISS: a QNaN is not invalid
  CHECK(run(comiss, qnan, 1.0f) == (ZF | PF | CF));
  CHECK((m.v.s.fpu.mxcsr & kFIE) != 0);  // COMISS: any NaN is
}

TEST_CASE("sse_ldmxcsr_stmxcsr_reserved_bits_gp") {
  SimdMachine m;
  m.poke32(0x3000, 0xDF81);  // FTZ, round up, all masked, IE flag
  m.v.s.gpr[EAX] = 0x3000;
  CHECK(!m.exec({0x0F, 0xAE, 0x10}));  // ldmxcsr [eax]
  CHECK(m.v.s.fpu.mxcsr == 0xDF81);
  CHECK(!m.exec({0x0F, 0xAE, 0x58, 0x04}));  // stmxcsr [eax+4]
  CHECK(m.peek32(0x3004) == 0xDF81);
  m.poke32(0x3000, 0x10000);
  CHECK(is(m.exec({0x0F, 0xAE, 0x10}), kGP));
  CHECK(m.v.s.fpu.mxcsr == 0xDF81);
  m.poke32(0x3000, 0x1FC0);  // DAZ: accepted exactly when MXCSR_MASK (FXSAVE's) has bit 6
  const Fault daz = m.exec({0x0F, 0xAE, 0x10});
  CHECK(bool(daz) == !(fpu::kMxcsrMask & 0x40));
  CHECK(m.v.s.fpu.mxcsr == ((fpu::kMxcsrMask & 0x40) ? 0x1FC0u : 0xDF81u));
  CHECK(is(m.exec({0x0F, 0xAE, 0xD0}), kUD));  // ldmxcsr with a register operand
  CHECK(!m.exec({0x0F, 0xAE, 0xF8}));  // sfence
  CHECK(!m.exec({0x0F, 0xAE, 0xE8}));  // lfence
  CHECK(!m.exec({0x0F, 0xAE, 0xF0}));  // mfence
}

TEST_CASE("sse_alignment_gp_for_aligned_forms_only") {
  SimdMachine m;
  m.v.s.gpr[EAX] = 0x4008;
  CHECK(is(m.exec({0x0F, 0x28, 0x00}), kGP));        // movaps xmm0, [eax] misaligned
  CHECK(is(m.exec({0x0F, 0x58, 0x00}), kGP));        // addps xmm0, [eax]
  CHECK(is(m.exec({0x66, 0x0F, 0xFC, 0x00}), kGP));  // paddb xmm0, [eax]
  CHECK(is(m.exec({0x0F, 0x29, 0x00}), kGP));        // movaps [eax], xmm0
  CHECK(!m.exec({0x0F, 0x10, 0x00}));                // movups
  CHECK(!m.exec({0xF3, 0x0F, 0x58, 0x00}));          // addss m32
  CHECK(!m.exec({0xF3, 0x0F, 0x6F, 0x00}));          // movdqu
  CHECK(!m.exec({0x0F, 0x12, 0x00}));                // movlps m64
  m.v.s.gpr[EAX] = 0x4010;
  CHECK(!m.exec({0x0F, 0x28, 0x00}));
}

TEST_CASE("sse_cr0_cr4_rules") {
  SimdMachine m;
  m.v.s.cr4 &= ~CR4_OSFXSR;
  CHECK(is(m.exec({0x0F, 0x58, 0xC1}), kUD));
  CHECK(is(m.exec({0x0F, 0xAE, 0x10}), kUD));  // ldmxcsr too
  m.v.s.cr4 |= CR4_OSFXSR;
  m.v.s.cr0 |= CR0_EM;
  CHECK(is(m.exec({0x0F, 0x58, 0xC1}), kUD));
  m.v.s.cr0 = (m.v.s.cr0 & ~CR0_EM) | CR0_TS;
  CHECK(is(m.exec({0x0F, 0x58, 0xC1}), kNM));
  CHECK(is(m.exec({0x0F, 0x28, 0xC1}), kNM));
  m.v.s.cr0 = (m.v.s.cr0 & ~CR0_TS) | CR0_NE;
  m.v.s.fpu.fsw = 0x0081;                       // a pending x87 exception does not matter
  CHECK(!m.exec({0x0F, 0x58, 0xC1}));
  CHECK(is(m.exec({0x0F, 0x2A, 0xC1}), kMF));   // ...except to forms with an MMX operand
  CHECK(!m.exec({0x0F, 0x52, 0xC1}));           // rsqrtps
  CHECK(is(m.exec({0x66, 0x0F, 0x52, 0xC1}), kUD));  // no RSQRTPD
}

TEST_CASE("sse_min_max_return_second_operand_for_nan_and_zeros") {
  SimdMachine m;
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  m.set_ps(0, qnan, 1.0f, -0.0f, 0.0f);
  m.set_ps(1, 5.0f, qnan, 0.0f, -0.0f);
  CHECK(!m.exec({0x0F, 0x5D, 0xC1}));  // minps
  CHECK(m.ps(0, 0) == 5.0f);
  CHECK(std::isnan(m.ps(0, 1)));
  CHECK(bits(m.ps(0, 2)) == 0);            // min(-0, +0) = second = +0
  CHECK(bits(m.ps(0, 3)) == 0x80000000u);  // min(+0, -0) = -0
  CHECK((m.v.s.fpu.mxcsr & kFIE) != 0);     // MINPS with a QNaN is invalid
}

TEST_CASE("sse_shufps_unpck_movmskps_cmpps") {
  SimdMachine m;
  m.set_ps(0, 1, 2, 3, 4);
  m.set_ps(1, 5, 6, 7, 8);
  SimdMachine u = m, c = m;
  CHECK(!m.exec({0x0F, 0xC6, 0xC1, 0x1B}));  // shufps xmm0, xmm1, 0b00011011
  CHECK(m.ps(0, 0) == 4);
  CHECK(m.ps(0, 1) == 3);
  CHECK(m.ps(0, 2) == 6);
  CHECK(m.ps(0, 3) == 5);
  CHECK(!u.exec({0x0F, 0x14, 0xC1}));  // unpcklps
  CHECK(u.ps(0, 0) == 1);
  CHECK(u.ps(0, 1) == 5);
  CHECK(u.ps(0, 2) == 2);
  CHECK(u.ps(0, 3) == 6);
  c.set_ps(1, 1, 0, 5, std::numeric_limits<float>::quiet_NaN());
  CHECK(!c.exec({0x0F, 0xC2, 0xC1, 0x01}));  // cmpltps
  CHECK(c.xmm(0).lo == 0x00000000'00000000ull);  // 1<1 no, 2<0 no
  CHECK(c.xmm(0).hi == 0x00000000'FFFFFFFFull);  // 3<5 yes, 4<NaN no
  CHECK(!c.exec({0x0F, 0x50, 0xC0}));             // movmskps eax, xmm0
  CHECK(c.reg(EAX) == 0b0100);
}
