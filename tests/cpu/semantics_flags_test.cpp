// Instruction semantics against known results and flags: ALU, shifts and rotates, multiply and
// divide, BCD, bit instructions (cpu/semantics/*.h), run as tiny 32-bit programs.
#include <doctest/doctest.h>
#include <vector>
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kCode = 0x1000;

// Runs `code` + HLT in flat 32-bit mode with the given EAX/EBX/ECX/EDX and arithmetic flags.
struct Run {
  TestMachine m;
  Run(std::vector<uint8_t> code, uint32_t eax, uint32_t ebx = 0, uint32_t ecx = 0,
      uint32_t flags_in = 0, uint32_t edx = 0) {
    m.flat32();
    code.push_back(0xF4);
    m.load(kCode, code);
    m.v.s.eip = kCode;
    m.v.s.gpr[ESP] = 0x8000;
    m.v.s.gpr[EAX] = eax;
    m.v.s.gpr[EBX] = ebx;
    m.v.s.gpr[ECX] = ecx;
    m.v.s.gpr[EDX] = edx;
    write_eflags(m.v.s, 0x2 | flags_in);
    Exit e = m.run(1000);
    REQUIRE(e.reason == ExitReason::Halted);
  }
  uint32_t r(Gpr g) const { return m.v.s.gpr[g]; }
  uint32_t f() const { return read_eflags(m.v.s) & kArithFlags; }
  uint32_t vectors(uint8_t v) const { return uint32_t(m.v.counters.exceptions[v]); }
};

}  // namespace

TEST_CASE("add_8_bit_overflow_and_carry_flags") {
  Run a({0x00, 0xD8}, 0x7F, 0x01);  // add al, bl: 7F + 1
  CHECK((a.r(EAX) & 0xFF) == 0x80);
  CHECK(a.f() == (OF | SF | AF));
  Run b({0x00, 0xD8}, 0xFF, 0x01);  // FF + 1
  CHECK((b.r(EAX) & 0xFF) == 0x00);
  CHECK(b.f() == (CF | ZF | AF | PF));
}

TEST_CASE("adc_and_sbb_use_the_incoming_carry") {
  Run a({0x11, 0xD8}, 0xFFFFFFFF, 0, 0, CF);  // adc eax, ebx: FFFFFFFF + 0 + 1
  CHECK(a.r(EAX) == 0);
  CHECK(a.f() == (CF | ZF | AF | PF));
  Run b({0x19, 0xD8}, 0, 0, 0, CF);  // sbb eax, ebx: 0 - 0 - 1
  CHECK(b.r(EAX) == 0xFFFFFFFF);
  CHECK(b.f() == (CF | SF | AF | PF));
}

TEST_CASE("sub_and_cmp_signed_overflow") {
  Run a({0x29, 0xD8}, 0x80000000, 1);  // sub eax, ebx
  CHECK(a.r(EAX) == 0x7FFFFFFF);
  CHECK(a.f() == (OF | AF | PF));
  Run b({0x39, 0xD8}, 5, 5);  // cmp eax, ebx
  CHECK(b.r(EAX) == 5);
  CHECK(b.f() == (ZF | PF));
}

TEST_CASE("inc_and_dec_keep_carry") {
  Run a({0x40}, 0x7FFFFFFF, 0, 0, CF);  // inc eax
  CHECK(a.r(EAX) == 0x80000000);
  CHECK(a.f() == (CF | OF | SF | AF | PF));
  Run b({0x48}, 0, 0, 0, 0);  // dec eax
  CHECK(b.r(EAX) == 0xFFFFFFFF);
  CHECK(b.f() == (SF | AF | PF));
}

TEST_CASE("neg_sets_carry_unless_zero") {
  Run a({0xF7, 0xD8}, 1);
  CHECK(a.r(EAX) == 0xFFFFFFFF);
  CHECK((a.f() & CF));
  Run b({0xF7, 0xD8}, 0);
  CHECK(!(b.f() & CF));
  CHECK((b.f() & ZF));
}

TEST_CASE("logic_ops_clear_carry_and_overflow") {
  Run a({0x21, 0xD8}, 0xF0F0F0F0, 0x0F0F0F0F, 0, CF | OF);  // and eax, ebx
  CHECK(a.r(EAX) == 0);
  CHECK(a.f() == (ZF | PF));
}

TEST_CASE("shl_shr_sar_results_and_carry") {
  Run a({0xD3, 0xE0}, 0x80000001, 0, 1);  // shl eax, cl(1)
  CHECK(a.r(EAX) == 2);
  CHECK((a.f() & (CF | OF)) == (CF | OF));
  Run b({0xD3, 0xE8}, 0x80000001, 0, 1);  // shr eax, 1
  CHECK(b.r(EAX) == 0x40000000);
  CHECK((b.f() & (CF | OF)) == (CF | OF));
  Run c({0xD3, 0xF8}, 0x80000000, 0, 31);  // sar eax, 31
  CHECK(c.r(EAX) == 0xFFFFFFFF);
  CHECK((c.f() & (CF | OF)) == 0);
  Run d({0xD2, 0xE0}, 0x01, 0, 33);  // shl al, cl: count masked to 1
  CHECK((d.r(EAX) & 0xFF) == 2);
}

TEST_CASE("shift_by_zero_changes_no_flags") {
  Run a({0xD3, 0xE0}, 0x1234, 0, 32, CF | ZF | OF);  // shl eax, 32 -> masked 0
  CHECK(a.r(EAX) == 0x1234);
  CHECK(a.f() == (CF | ZF | OF));
}

TEST_CASE("rotates_through_carry_and_plain_rotates") {
  Run a({0xD0, 0xD0}, 0x80, 0, 0, 0);  // rcl al, 1
  CHECK((a.r(EAX) & 0xFF) == 0x00);
  CHECK((a.f() & (CF | OF)) == (CF | OF));
  Run b({0xD0, 0xD8}, 0x01, 0, 0, CF);  // rcr al, 1 with CF=1
  CHECK((b.r(EAX) & 0xFF) == 0x80);
  CHECK((b.f() & CF));
  Run c({0xC1, 0xC0, 0x04}, 0x12345678);  // rol eax, 4
  CHECK(c.r(EAX) == 0x23456781);
  CHECK((c.f() & CF));
  Run d({0xC1, 0xC8, 0x08}, 0x12345678);  // ror eax, 8
  CHECK(d.r(EAX) == 0x78123456);
}

TEST_CASE("shld_and_shrd_shift_in_bits_from_the_source") {
  Run a({0x0F, 0xA4, 0xD8, 0x08}, 0x11223344, 0xAABBCCDD);  // shld eax, ebx, 8
  CHECK(a.r(EAX) == 0x223344AA);
  Run b({0x0F, 0xAC, 0xD8, 0x08}, 0x11223344, 0xAABBCCDD);  // shrd eax, ebx, 8
  CHECK(b.r(EAX) == 0xDD112233);
  CHECK(!(b.f() & CF));
}

TEST_CASE("mul_and_imul_widen_and_flag_significant_high_half") {
  Run a({0xF7, 0xE3}, 0x80000000, 4);  // mul ebx
  CHECK(a.r(EAX) == 0);
  CHECK(a.r(EDX) == 2);
  CHECK((a.f() & (CF | OF)) == (CF | OF));
  Run b({0xF7, 0xEB}, 0xFFFFFFFF, 5);  // imul ebx: -1 * 5
  CHECK(b.r(EAX) == 0xFFFFFFFB);
  CHECK(b.r(EDX) == 0xFFFFFFFF);
  CHECK((b.f() & (CF | OF)) == 0);
  Run c({0x6B, 0xC3, 0x10}, 0, 0x10000000);  // imul eax, ebx, 16: overflows
  CHECK(c.r(EAX) == 0);
  CHECK((c.f() & (CF | OF)) == (CF | OF));
  Run d({0x0F, 0xAF, 0xC3}, 7, 6);  // imul eax, ebx
  CHECK(d.r(EAX) == 42);
}

TEST_CASE("div_and_idiv_quotient_remainder_and_divide_error") {
  Run a({0xF7, 0xF3}, 100, 7, 0, 0, 0);  // div ebx: 100 / 7
  CHECK(a.r(EAX) == 14);
  CHECK(a.r(EDX) == 2);
  Run b({0xF7, 0xFB}, uint32_t(-100), 7, 0, 0, 0xFFFFFFFF);  // idiv ebx: -100 / 7
  CHECK(b.r(EAX) == uint32_t(-14));
  CHECK(b.r(EDX) == uint32_t(-2));
}

TEST_CASE("divide_by_zero_and_quotient_overflow_raise_de_in_real_mode") {
  TestMachine m;
  // IVT[0] -> 0000:0200 where a HLT waits.
  m.poke32(0, 0x00000200);
  m.load(0x200, {0xF4});
  m.load(0x100, {0xF6, 0xF3, 0xF4});  // div bl with bl = 0
  m.v.s.gpr[EAX] = 0x1234;
  m.run(100);
  CHECK(m.v.counters.exceptions[kDE] == 1);
  CHECK(m.v.s.eip == 0x201);
  CHECK(m.peek16(0xFFF0 - 6) == 0x100);  // the pushed IP is the faulting DIV
  CHECK(m.reg(EAX) == 0x1234);

  TestMachine o;
  o.poke32(0, 0x00000200);
  o.load(0x200, {0xF4});
  o.load(0x100, {0xF6, 0xF3, 0xF4});  // div bl: 0x1234 / 2 does not fit in AL
  o.v.s.gpr[EAX] = 0x1234;
  o.v.s.gpr[EBX] = 2;
  o.run(100);
  CHECK(o.v.counters.exceptions[kDE] == 1);
}

TEST_CASE("bcd_adjustments_match_known_values") {
  Run a({0x27}, 0x0F);  // daa: 0F -> 15
  CHECK((a.r(EAX) & 0xFF) == 0x15);
  CHECK((a.f() & AF));
  Run b({0x27}, 0x9A);  // daa: 9A -> 00, CF
  CHECK((b.r(EAX) & 0xFF) == 0x00);
  CHECK((b.f() & CF));
  Run c({0x2F}, 0x10, 0, 0, AF);  // das with AF: 10 -> 0A
  CHECK((c.r(EAX) & 0xFF) == 0x0A);
  Run d({0x37}, 0x000B);  // aaa: AX 000B -> 0101
  CHECK((d.r(EAX) & 0xFFFF) == 0x0101);
  CHECK((d.f() & (CF | AF)) == (CF | AF));
  Run e({0xD4, 0x0A}, 0x0041);  // aam: 65 -> 0605
  CHECK((e.r(EAX) & 0xFFFF) == 0x0605);
  Run f({0xD5, 0x0A}, 0x0605);  // aad: 0605 -> 0041
  CHECK((f.r(EAX) & 0xFFFF) == 0x0041);
}

TEST_CASE("bit_test_forms_including_memory_bit_offsets") {
  Run a({0x0F, 0xAB, 0xD8}, 0, 35);  // bts eax, ebx: bit 35 & 31 = 3
  CHECK(a.r(EAX) == 8);
  CHECK(!(a.f() & CF));
  Run b({0x0F, 0xBC, 0xC3}, 0x1234, 0x00F0);  // bsf eax, ebx
  CHECK(b.r(EAX) == 4);
  CHECK(!(b.f() & ZF));
  Run c({0x0F, 0xBD, 0xC3}, 0x1234, 0);  // bsr eax, ebx with zero source
  CHECK(c.r(EAX) == 0x1234);
  CHECK((c.f() & ZF));
  Run d({0x0F, 0xC8}, 0x11223344);  // bswap eax
  CHECK(d.r(EAX) == 0x44332211);
  // bt [0x2000], ebx with ebx = -1: tests bit 31 of the dword at 0x1FFC.
  TestMachine m;
  m.flat32();
  m.poke32(0x1FFC, 0x80000000);
  m.load(kCode, {0x0F, 0xA3, 0x1D, 0x00, 0x20, 0x00, 0x00, 0xF4});
  m.v.s.eip = kCode;
  m.v.s.gpr[EBX] = 0xFFFFFFFF;
  m.run(10);
  CHECK((read_eflags(m.v.s) & CF));
}

TEST_CASE("cmpxchg_and_xadd") {
  Run a({0x0F, 0xB1, 0xD9}, 5, 9, 5);  // cmpxchg ecx, ebx: eax == ecx -> ecx = ebx
  CHECK(a.r(ECX) == 9);
  CHECK((a.f() & ZF));
  Run b({0x0F, 0xB1, 0xD9}, 4, 9, 5);  // not equal -> eax = ecx
  CHECK(b.r(EAX) == 5);
  CHECK(!(b.f() & ZF));
  Run c({0x0F, 0xC1, 0xD8}, 3, 4);  // xadd eax, ebx
  CHECK(c.r(EAX) == 7);
  CHECK(c.r(EBX) == 3);
}

TEST_CASE("setcc_and_cmovcc_follow_conditions") {
  Run a({0x39, 0xD8, 0x0F, 0x9C, 0xC1}, 1, 2);  // cmp eax, ebx; setl cl
  CHECK((a.r(ECX) & 0xFF) == 1);
  Run b({0x39, 0xD8, 0x0F, 0x47, 0xC3}, 1, 2);  // cmp; cmova eax, ebx (1 > 2 unsigned? no)
  CHECK(b.r(EAX) == 1);
  Run c({0x39, 0xD8, 0x0F, 0x42, 0xC3}, 1, 2);  // cmovb eax, ebx
  CHECK(c.r(EAX) == 2);
}
