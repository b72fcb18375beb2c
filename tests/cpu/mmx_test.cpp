// MMX (0F 60-7F, D1-FE, 0F 71-73, 0F 77) and the SSE integer instructions on MMX registers:
// arithmetic corner cases, x87 aliasing, and the CR0/x87 exception rules.
#include "tests/cpu/simd_test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::is;
using vmlab::cpu::test::SimdMachine;

TEST_CASE("mmx_paddsb_paddusw_psubusb_saturate") {
  SimdMachine m;
  m.mm(0) = 0x7F80'0102'7F80'FF01ull;
  m.mm(1) = 0x0180'FF01'7FFF'0101ull;
  CHECK(!m.exec({0x0F, 0xEC, 0xC1}));  // paddsb mm0, mm1
  // 7F+01=7F(sat) 80+80=80(sat) 01+FF=00 02+01=03 7F+7F=7F 80+FF=80 FF+01=00 01+01=02
  CHECK(m.mm(0) == 0x7F80'0003'7F80'0002ull);
  m.mm(2) = 0xFFFF'0001'8000'1234ull;
  m.mm(3) = 0x0001'FFFF'8000'0001ull;
  CHECK(!m.exec({0x0F, 0xDD, 0xD3}));  // paddusw mm2, mm3
  CHECK(m.mm(2) == 0xFFFF'FFFF'FFFF'1235ull);
  m.mm(4) = 0x0010'2000'0000'00FFull;
  m.mm(5) = 0x0020'1000'0000'0001ull;
  CHECK(!m.exec({0x0F, 0xD8, 0xE5}));  // psubusb mm4, mm5
  CHECK(m.mm(4) == 0x0000'1000'0000'00FEull);
  m.mm(6) = 0x8000'7FFF'0000'0005ull;
  m.mm(7) = 0x0001'FFFF'0000'0007ull;
  CHECK(!m.exec({0x0F, 0xE9, 0xF7}));  // psubsw mm6, mm7
  CHECK(m.mm(6) == 0x8000'7FFF'0000'FFFEull);
}

TEST_CASE("mmx_pack_and_unpack") {
  SimdMachine m;
  m.mm(0) = 0x0080'FF7F'0100'FFFFull;  // words 0xFFFF(-1) 0x0100 0xFF7F 0x0080
  m.mm(1) = 0x7FFF'8000'0005'FFFEull;  // -2 5 -32768 32767
  SimdMachine u = m;
  CHECK(!m.exec({0x0F, 0x63, 0xC1}));  // packsswb mm0, mm1
  CHECK(m.mm(0) == 0x7F80'05FE'7F80'7FFFull);
  CHECK(!u.exec({0x0F, 0x67, 0xC1}));  // packuswb mm0, mm1
  CHECK(u.mm(0) == 0xFF00'0500'8000'FF00ull);
  SimdMachine d;
  d.mm(0) = 0x0001'0000'FFFF'8000ull;  // dwords 0xFFFF8000 (-32768) 0x00010000 (65536)
  d.mm(1) = 0x8000'0000'0000'7FFFull;
  CHECK(!d.exec({0x0F, 0x6B, 0xC1}));  // packssdw mm0, mm1
  CHECK(d.mm(0) == 0x8000'7FFF'7FFF'8000ull);
  SimdMachine p;
  p.mm(0) = 0x0706'0504'0302'0100ull;
  p.mm(1) = 0x1716'1514'1312'1110ull;
  SimdMachine h = p;
  CHECK(!p.exec({0x0F, 0x60, 0xC1}));  // punpcklbw
  CHECK(p.mm(0) == 0x1303'1202'1101'1000ull);
  CHECK(!h.exec({0x0F, 0x6A, 0xC1}));  // punpckhdq
  CHECK(h.mm(0) == 0x1716'1514'0706'0504ull);
}

TEST_CASE("mmx_punpcklbw_memory_source_reads_only_32_bits") {
  SimdMachine m;
  m.v.s.seg[DS].limit = 0x1003;  // the 4 bytes at 0x1000 are the last ones in the segment
  m.poke32(0x1000, 0x13121110);
  m.mm(0) = 0x0706'0504'0302'0100ull;
  m.v.s.gpr[EAX] = 0x1000;
  CHECK(!m.exec({0x0F, 0x60, 0x00}));  // punpcklbw mm0, [eax]
  CHECK(m.mm(0) == 0x1303'1202'1101'1000ull);
  CHECK(is(m.exec({0x0F, 0x68, 0x00}), kGP));  // punpckhbw reads 8 bytes: past the limit
}

TEST_CASE("mmx_shifts_by_width_or_more") {
  SimdMachine m;
  m.mm(0) = 0x8001'8001'8001'8001ull;
  m.mm(1) = 16;
  SimdMachine a = m, q = m, imm = m, big = m;
  CHECK(!m.exec({0x0F, 0xF1, 0xC1}));  // psllw mm0, mm1 (16) -> 0
  CHECK(m.mm(0) == 0);
  a.mm(1) = 0x1'0000'0000ull;          // count 2^32: still "too big", not truncated to 0
  CHECK(!a.exec({0x0F, 0xE1, 0xC1}));  // psraw -> sign fill
  CHECK(a.mm(0) == 0xFFFF'FFFF'FFFF'FFFFull);
  q.mm(1) = 63;
  CHECK(!q.exec({0x0F, 0xD3, 0xC1}));  // psrlq by 63
  CHECK(q.mm(0) == 1);
  CHECK(!imm.exec({0x0F, 0x71, 0xD0, 0x0F}));  // psrlw mm0, 15
  CHECK(imm.mm(0) == 0x0001'0001'0001'0001ull);
  CHECK(!big.exec({0x0F, 0x72, 0xE0, 0x40}));  // psrad mm0, 64
  CHECK(big.mm(0) == 0xFFFF'FFFF'FFFF'FFFFull);
  CHECK(is(big.exec({0x0F, 0x71, 0x10, 0x01}), kUD));  // memory form of a shift group: #UD
  CHECK(is(big.exec({0x0F, 0x73, 0xD8, 0x01}), kUD));  // psrldq needs 66
}

TEST_CASE("mmx_pmaddwd_pmulh_psadbw_pmovmskb") {
  SimdMachine m;
  m.mm(0) = 0x8000'8000'0003'0002ull;
  m.mm(1) = 0x8000'8000'FFFF'0004ull;
  SimdMachine h = m;
  CHECK(!m.exec({0x0F, 0xF5, 0xC1}));  // pmaddwd: 2*4 + 3*-1 = 5; 2 * 0x40000000 wraps
  CHECK(m.mm(0) == 0x8000'0000'0000'0005ull);
  CHECK(!h.exec({0x0F, 0xE5, 0xC1}));  // pmulhw: 0x8000*0x8000 = 0x40000000 -> 0x4000
  CHECK(h.mm(0) == 0x4000'4000'FFFF'0000ull);
  SimdMachine s;
  s.mm(0) = 0x00FF'0010'2030'4050ull;
  s.mm(1) = 0xFF00'1000'3020'5040ull;
  CHECK(!s.exec({0x0F, 0xF6, 0xC1}));  // psadbw: 255+255+16+16+16+16+16+16
  CHECK(s.mm(0) == 606);
  s.mm(2) = 0x80'7F'FF'00'01'80'00'FFull;
  s.v.s.gpr[EAX] = 0xDEADBEEF;
  CHECK(!s.exec({0x0F, 0xD7, 0xC2}));  // pmovmskb eax, mm2
  CHECK(s.reg(EAX) == 0b1010'0101u);
}

TEST_CASE("mmx_writes_alias_x87_registers_and_emms_empties_them") {
  SimdMachine m;
  m.v.s.fpu.fsw = 0x3800;  // TOP = 7
  m.v.s.fpu.ftw = 0xFFFF;
  m.v.s.gpr[EAX] = 0x12345678;
  CHECK(!m.exec({0x0F, 0x6E, 0xD8}));  // movd mm3, eax
  CHECK(m.v.s.fpu.st[3].mantissa == 0x12345678);
  CHECK(m.v.s.fpu.st[3].sign_exp == 0xFFFF);
  CHECK(m.v.s.fpu.ftw == 0);
  CHECK(((m.v.s.fpu.fsw >> 11) & 7) == 0);
  m.v.s.fpu.ftw = 0xFFFF;
  m.v.s.fpu.st[5].sign_exp = 0x1234;
  CHECK(!m.exec({0x0F, 0x7E, 0xE9}));  // movd ecx, mm5: a read still makes every tag valid
  CHECK(m.v.s.fpu.ftw == 0);
  CHECK(m.v.s.fpu.st[5].sign_exp == 0x1234);  // but does not write mm5
  m.v.s.fpu.fsw = 0x2000;  // TOP = 4
  CHECK(!m.exec({0x0F, 0x77}));  // emms
  CHECK(m.v.s.fpu.ftw == 0xFFFF);
  CHECK(m.v.s.fpu.fsw == 0x2000);  // TOP unchanged by EMMS
}

TEST_CASE("mmx_cr0_em_ud_ts_nm_pending_x87_mf") {
  SimdMachine m;
  m.v.s.cr0 |= CR0_EM;
  CHECK(is(m.exec({0x0F, 0xFC, 0xC1}), kUD));
  CHECK(is(m.exec({0x0F, 0x77}), kUD));
  m.v.s.cr0 = (m.v.s.cr0 & ~CR0_EM) | CR0_TS;
  CHECK(is(m.exec({0x0F, 0xFC, 0xC1}), kNM));
  m.v.s.cr0 = (m.v.s.cr0 & ~CR0_TS) | CR0_NE;
  m.v.s.fpu.fsw = 0x0081;  // IE pending, unmasked (ES)
  m.v.s.fpu.ftw = 0xFFFF;
  CHECK(is(m.exec({0x0F, 0xFC, 0xC1}), kMF));
  CHECK(is(m.exec({0x0F, 0x77}), kMF));
  CHECK(m.v.s.fpu.ftw == 0xFFFF);  // nothing happened
  m.v.s.cr0 &= ~CR0_NE;            // PC-style reporting: FERR# (not wired here), no #MF
  CHECK(!m.exec({0x0F, 0xFC, 0xC1}));
  CHECK(m.v.s.fpu.ftw == 0);
  m.v.s.fpu.fsw = 0;
  m.v.s.cr4 &= ~CR4_OSFXSR;        // MMX does not need OSFXSR; the 66 (SSE2) form does
  CHECK(!m.exec({0x0F, 0xFC, 0xC1}));
  CHECK(is(m.exec({0x66, 0x0F, 0xFC, 0xC1}), kUD));
  CHECK(is(m.exec({0xF3, 0x0F, 0xFC, 0xC1}), kUD));  // no F3 form
}

TEST_CASE("mmx_movq_memory_and_pshufw_pinsrw_pextrw") {
  SimdMachine m;
  m.poke64(0x2000, 0x1111'2222'3333'4444ull);
  m.v.s.gpr[EBX] = 0x2000;
  CHECK(!m.exec({0x0F, 0x6F, 0x0B}));  // movq mm1, [ebx]
  CHECK(m.mm(1) == 0x1111'2222'3333'4444ull);
  CHECK(!m.exec({0x0F, 0x70, 0xD1, 0x1B}));  // pshufw mm2, mm1, 0x1B (reverse)
  CHECK(m.mm(2) == 0x4444'3333'2222'1111ull);
  m.v.s.gpr[ECX] = 0xABCD'9999;
  CHECK(!m.exec({0x0F, 0xC4, 0xD1, 0x06}));  // pinsrw mm2, ecx, 6 -> word 2
  CHECK(m.mm(2) == 0x4444'9999'2222'1111ull);
  CHECK(!m.exec({0x0F, 0xC5, 0xC2, 0x02}));  // pextrw eax, mm2, 2
  CHECK(m.reg(EAX) == 0x9999);
  CHECK(!m.exec({0x0F, 0x7F, 0x53, 0x08}));  // movq [ebx+8], mm2
  CHECK(m.peek64(0x2008) == 0x4444'9999'2222'1111ull);
}
