// x87 instructions run on the interpreter in real mode (cpu/fpu/x87_dispatch.cpp): stack and
// tags, masked and unmasked exceptions, #NM (CR0.EM/TS/MP) and #MF (CR0.NE) rules, precision
// and rounding control, integer/BCD conversions, FCOMI flags, FSAVE/FRSTOR layouts and round
// trips. Programs are hand-assembled bytes at 0000:0100; data at 0000:0800.
#include <doctest/doctest.h>
#include <cmath>
#include <cstring>
#include <vector>
#include "cpu/fpu/x87_stack.h"
#include "machine/irq.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab;
using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kData = 0x800;
constexpr uint8_t kNoTrap = 0xFF;

// Every exception vector's handler at 0000:0400+16*vec does "mov bl, vec; hlt".
struct X87Machine : TestMachine {
  X87Machine() {
    for (uint8_t vec = 0; vec < 32; ++vec) {
      poke32(vec * 4u, 0x400u + 16u * vec);
      load(0x400u + 16u * vec, {0xB3, vec, 0xF4});
    }
    v.s.gpr[EBX] = kNoTrap;
  }
  // Runs `code` (HLT appended) and returns the vector taken, or kNoTrap.
  uint8_t exec(std::vector<uint8_t> code) {
    code.push_back(0xF4);
    load(0x100, code);
    v.s.eip = 0x100;
    v.s.gpr[EBX] = kNoTrap;
    v.s.events.halted = 0;
    run();
    return uint8_t(v.s.gpr[EBX]);
  }
  double f64(uint32_t pa) {
    uint64_t bits = uint64_t(peek32(pa)) | (uint64_t(peek32(pa + 4)) << 32);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  void put_f64(uint32_t pa, double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    poke32(pa, uint32_t(bits));
    poke32(pa + 4, uint32_t(bits >> 32));
  }
  void put16(uint32_t pa, uint16_t x) { load(pa, {uint8_t(x), uint8_t(x >> 8)}); }
  uint16_t fsw() const { return v.s.fpu.fsw; }
  std::vector<uint8_t> bytes(uint32_t pa, unsigned n) {
    std::vector<uint8_t> b(n);
    mem.read_phys(pa, b);
    return b;
  }
};

// Encodings used below (16-bit addressing, [disp16] operands).
constexpr uint8_t FNINIT[] = {0xDB, 0xE3};
std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
std::vector<uint8_t> mem_op(uint8_t esc, uint8_t reg, uint16_t addr) {
  return {esc, uint8_t((reg << 3) | 6), uint8_t(addr), uint8_t(addr >> 8)};
}
const std::vector<uint8_t> kInit(std::begin(FNINIT), std::end(FNINIT));
const std::vector<uint8_t> kFld1 = {0xD9, 0xE8}, kFldz = {0xD9, 0xEE}, kFldpi = {0xD9, 0xEB};

}  // namespace

TEST_CASE("x87_fninit_sets_the_documented_state") {
  X87Machine m;
  CHECK(m.v.s.fpu.fcw == 0x0040);  // RESET value
  CHECK(m.exec(cat({kInit, mem_op(0xD9, 7, kData), {0xDF, 0xE0}})) == kNoTrap);
  CHECK(m.peek16(kData) == 0x037F);
  CHECK((m.reg(EAX) & 0xFFFF) == 0);
  CHECK(m.v.s.fpu.ftw == 0xFFFF);
}

TEST_CASE("x87_fld1_fadd_fstp_m64_gives_two_and_empties_the_stack") {
  X87Machine m;
  CHECK(m.exec(cat({kInit, kFld1, kFld1, {0xDE, 0xC1}, mem_op(0xDD, 3, kData)})) == kNoTrap);
  CHECK(m.f64(kData) == 2.0);
  CHECK(fpu::top(m.v.s.fpu) == 0);
  CHECK(m.v.s.fpu.ftw == 0xFFFF);
  CHECK((m.fsw() & 0x3F) == 0);
}

TEST_CASE("x87_fsub_fsubr_fdiv_fdivr_register_forms_have_the_right_operand_order") {
  X87Machine m;
  m.put_f64(kData, 8.0);
  m.put_f64(kData + 8, 2.0);
  auto run2 = [&](std::vector<uint8_t> op) {
    // ST1 = 8, ST0 = 2; op; FSTP m64 -> kData+16
    m.exec(cat({kInit, mem_op(0xDD, 0, kData), mem_op(0xDD, 0, kData + 8), op,
                mem_op(0xDD, 3, kData + 16)}));
    return m.f64(kData + 16);
  };
  CHECK(run2({0xD8, 0xE1}) == -6.0);  // FSUB ST0,ST1: 2-8
  CHECK(run2({0xD8, 0xE9}) == 6.0);   // FSUBR ST0,ST1: 8-2
  CHECK(run2({0xD8, 0xF1}) == 0.25);  // FDIV ST0,ST1: 2/8
  CHECK(run2({0xD8, 0xF9}) == 4.0);   // FDIVR ST0,ST1: 8/2
  CHECK(run2({0xDE, 0xE9}) == 6.0);   // FSUBP ST1,ST0: 8-2
  CHECK(run2({0xDE, 0xE1}) == -6.0);  // FSUBRP ST1,ST0: 2-8
  CHECK(run2({0xDE, 0xF9}) == 4.0);   // FDIVP ST1,ST0: 8/2
  CHECK(run2({0xDE, 0xF1}) == 0.25);  // FDIVRP ST1,ST0: 2/8
  CHECK(run2({0xDC, 0xE9, 0xDD, 0xD8}) == 6.0);  // FSUB ST1,ST0 (8-2); FSTP ST0
  CHECK(run2({0xDC, 0xF9, 0xDD, 0xD8}) == 4.0);  // FDIV ST1,ST0 (8/2); FSTP ST0
  CHECK(run2(mem_op(0xDC, 4, kData)) == -6.0);   // FSUB m64: 2-8
  CHECK(run2(mem_op(0xDC, 5, kData)) == 6.0);    // FSUBR m64: 8-2
}

TEST_CASE("x87_precision_and_rounding_control_round_one_third") {
  X87Machine m;
  m.put_f64(kData, 3.0);
  auto third = [&](uint16_t cw) {
    m.put16(kData + 32, cw);
    m.exec(cat({kInit, mem_op(0xD9, 5, kData + 32), kFld1, mem_op(0xDC, 6, kData),
                mem_op(0xDD, 3, kData + 8)}));
    return m.f64(kData + 8);
  };
  const float nearest24 = 1.0f / 3.0f;
  CHECK(third(0x007F) == double(nearest24));                               // PC=24, RC=nearest
  CHECK(third(0x047F) == double(std::nextafter(nearest24, 0.0f)));        // RC=down
  CHECK(third(0x087F) == double(nearest24));                               // RC=up (rounds up)
  CHECK(third(0x0C7F) == double(std::nextafter(nearest24, 0.0f)));        // RC=chop
  CHECK(third(0x027F) == 1.0 / 3.0);                                       // PC=53
  CHECK((m.fsw() & fpu::kFswPE) != 0);
}

TEST_CASE("x87_stack_overflow_masked_pushes_indefinite_with_c1_set") {
  X87Machine m;
  std::vector<uint8_t> code = kInit;
  for (int k = 0; k < 9; ++k) code.insert(code.end(), kFld1.begin(), kFld1.end());
  code.push_back(0xDF);
  code.push_back(0xE0);  // FNSTSW AX
  CHECK(m.exec(code) == kNoTrap);
  const uint16_t sw = uint16_t(m.reg(EAX));
  CHECK((sw & (fpu::kFswIE | fpu::kFswSF | fpu::kFswC1)) == (fpu::kFswIE | fpu::kFswSF | fpu::kFswC1));
  CHECK((sw & fpu::kFswES) == 0);  // masked
  const fpu::Ext80 st0 = fpu::st(m.v.s.fpu, 0);
  CHECK(st0.sign_exp == 0xFFFF);
  CHECK(st0.mantissa == 0xC000000000000000ull);
}

TEST_CASE("x87_stack_underflow_masked_sets_sf_with_c1_clear_and_stores_indefinite") {
  X87Machine m;
  CHECK(m.exec(cat({kInit, {0xD8, 0xC1}, {0xDF, 0xE0}, mem_op(0xDB, 3, kData)})) == kNoTrap);
  const uint16_t sw = uint16_t(m.reg(EAX));
  CHECK((sw & (fpu::kFswIE | fpu::kFswSF)) == (fpu::kFswIE | fpu::kFswSF));
  CHECK((sw & fpu::kFswC1) == 0);
  CHECK(m.peek32(kData) == 0x80000000u);  // FISTP of the indefinite: integer indefinite
}

TEST_CASE("x87_unmasked_zero_divide_raises_mf_at_the_next_waiting_instruction_when_ne") {
  X87Machine m;
  m.v.s.cr0 |= CR0_NE;
  m.put16(kData, 0x037B);  // ZE unmasked
  // FLDCW; FLD1; FLDZ; FDIVP ST1,ST0 (1/0) -> pending; FNSTSW AX (no wait); FWAIT -> #MF
  CHECK(m.exec(cat({kInit, mem_op(0xD9, 5, kData), kFld1, kFldz, {0xDE, 0xF9}, {0xDF, 0xE0},
                    {0x9B}})) == kMF);
  const uint16_t sw = uint16_t(m.reg(EAX));
  CHECK((sw & (fpu::kFswZE | fpu::kFswES | fpu::kFswB)) == (fpu::kFswZE | fpu::kFswES | fpu::kFswB));
  // The destination and TOP are unchanged by an unmasked ZE: ST1 = 1, ST0 = 0.
  CHECK(fpu::top(m.v.s.fpu) == 6);
  CHECK(fpu::st(m.v.s.fpu, 1).sign_exp == 0x3FFF);
  CHECK(m.v.s.fpu.fop == ((6u << 8) | 0xF9));  // the faulting FDIVP's opcode
  CHECK(m.v.s.fpu.fip == 0x100 + 2 + 4 + 2 + 2);
  // A non-waiting FNCLEX then clears it and FWAIT passes.
  CHECK(m.exec({0xDB, 0xE2, 0x9B}) == kNoTrap);
}

TEST_CASE("x87_unmasked_exception_with_ne_clear_asserts_ferr_instead_of_mf") {
  X87Machine m;
  machine::IrqLine ferr;
  int raised = 0, lowered = 0;
  ferr.connect([&](bool level) { (level ? raised : lowered)++; });
  m.v.ferr = &ferr;
  m.put16(kData, 0x037B);
  CHECK(m.exec(cat({kInit, mem_op(0xD9, 5, kData), kFld1, kFldz, {0xDE, 0xF9}, {0x9B}})) == kNoTrap);
  CHECK(raised == 1);
  CHECK(ferr.level());
  CHECK(m.exec({0xDB, 0xE2}) == kNoTrap);  // FNCLEX deasserts FERR#
  CHECK(lowered == 1);
}

TEST_CASE("x87_masked_exceptions_set_flags_without_faulting") {
  X87Machine m;
  m.v.s.cr0 |= CR0_NE;
  CHECK(m.exec(cat({kInit, kFld1, kFldz, {0xDE, 0xF9}, {0x9B}, mem_op(0xDD, 3, kData)})) == kNoTrap);
  CHECK(std::isinf(m.f64(kData)));
  CHECK((m.fsw() & 0x3F) == fpu::kFswZE);
}

TEST_CASE("x87_nm_rules_for_em_ts_and_mp") {
  X87Machine m;
  m.v.s.cr0 |= CR0_EM;
  CHECK(m.exec(kInit) == kNM);
  CHECK(m.exec({0x9B}) == kNoTrap);  // WAIT ignores EM
  m.v.s.cr0 = (m.v.s.cr0 & ~CR0_EM) | CR0_TS;
  CHECK(m.exec(kFld1) == kNM);
  CHECK(m.exec({0x9B}) == kNoTrap);  // TS without MP: WAIT runs
  m.v.s.cr0 |= CR0_MP;
  CHECK(m.exec({0x9B}) == kNM);
  CHECK(m.exec({0x0F, 0xAE, 0x06, 0x00, 0x08}) == kNM);  // FXSAVE with TS
  m.v.s.cr0 &= ~CR0_TS;
  CHECK(m.exec(cat({kInit, kFld1})) == kNoTrap);
}

TEST_CASE("x87_undefined_escape_forms_are_ud") {
  X87Machine m;
  CHECK(m.exec({0xD9, 0xD1}) == kUD);              // D9 D1
  CHECK(m.exec({0xD9, 0xEF}) == kUD);              // D9 EF
  CHECK(m.exec(mem_op(0xD9, 1, kData)) == kUD);    // D9 /1 m
  CHECK(m.exec({0xDB, 0xE5}) == kUD);
  CHECK(m.exec({0xDD, 0xF0}) == kUD);
  CHECK(m.exec({0xDE, 0xD8}) == kUD);              // DE D8 (only D9 is FCOMPP)
  CHECK(m.exec({0xDF, 0xE1}) == kUD);
  CHECK(m.exec({0x0F, 0xAE, 0xC0}) == kUD);        // FXSAVE with a register operand
}

TEST_CASE("x87_integer_and_bcd_conversions_round_by_rc") {
  X87Machine m;
  m.put_f64(kData, -2.5);
  auto fistp = [&](uint16_t cw) {
    m.put16(kData + 40, cw);
    m.exec(cat({kInit, mem_op(0xD9, 5, kData + 40), mem_op(0xDD, 0, kData), mem_op(0xDB, 3, kData + 8)}));
    return int32_t(m.peek32(kData + 8));
  };
  CHECK(fistp(0x037F) == -2);  // nearest even
  CHECK(fistp(0x077F) == -3);  // down
  CHECK(fistp(0x0B7F) == -2);  // up
  CHECK(fistp(0x0F7F) == -2);  // chop
  // FILD m16 -1234; FBSTP -> packed BCD 80 .. 00 12 34; FBLD back; FISTP m64
  m.put16(kData + 16, uint16_t(-1234));
  CHECK(m.exec(cat({kInit, mem_op(0xDF, 0, kData + 16), mem_op(0xDF, 6, kData + 20),
                    mem_op(0xDF, 4, kData + 20), mem_op(0xDF, 7, kData + 32)})) == kNoTrap);
  const std::vector<uint8_t> bcd = m.bytes(kData + 20, 10);
  CHECK(bcd[0] == 0x34);
  CHECK(bcd[1] == 0x12);
  CHECK(bcd[9] == 0x80);
  CHECK(int32_t(m.peek32(kData + 32)) == -1234);
  CHECK(m.peek32(kData + 36) == 0xFFFFFFFFu);
  // Out of range for m16: masked IE, integer indefinite 0x8000
  m.put_f64(kData, 1e6);
  CHECK(m.exec(cat({kInit, mem_op(0xDD, 0, kData), mem_op(0xDF, 3, kData + 8)})) == kNoTrap);
  CHECK(m.peek16(kData + 8) == 0x8000);
  CHECK((m.fsw() & fpu::kFswIE) != 0);
}

TEST_CASE("x87_fcomi_sets_zf_pf_cf_and_fcom_sets_c0_c2_c3") {
  X87Machine m;
  // ST0 = 0, ST1 = 1: FCOMI ST1 -> ST0 < ST1: CF=1 ZF=0 PF=0
  CHECK(m.exec(cat({kInit, kFld1, kFldz, {0xDB, 0xF1}})) == kNoTrap);
  CHECK((m.flags() & (CF | ZF | PF)) == CF);
  CHECK(m.exec(cat({kInit, kFld1, kFld1, {0xDF, 0xF1}})) == kNoTrap);  // FCOMIP equal
  CHECK((m.flags() & (CF | ZF | PF)) == ZF);
  CHECK(fpu::top(m.v.s.fpu) == 7);
  // FCOM ST1 with ST0 = pi > 1: C3=C2=C0=0; FCOMPP pops two
  CHECK(m.exec(cat({kInit, kFld1, kFldpi, {0xDE, 0xD9}, {0xDF, 0xE0}})) == kNoTrap);
  CHECK((m.reg(EAX) & (fpu::kFswC0 | fpu::kFswC2 | fpu::kFswC3)) == 0);
  CHECK(m.v.s.fpu.ftw == 0xFFFF);
  // FXAM of an empty register: C3 C2 C0 = 1 0 1
  CHECK(m.exec(cat({kInit, {0xD9, 0xE5}, {0xDF, 0xE0}})) == kNoTrap);
  CHECK((m.reg(EAX) & (fpu::kFswC0 | fpu::kFswC2 | fpu::kFswC3)) == (fpu::kFswC0 | fpu::kFswC3));
}

TEST_CASE("x87_fcmov_moves_on_the_condition") {
  X87Machine m;
  // STC; FLDZ; FLD1 (ST0=1, ST1=0); FCMOVB ST0,ST1 -> ST0 = 0
  CHECK(m.exec(cat({kInit, kFldz, kFld1, {0xF9}, {0xDA, 0xC1}, mem_op(0xDD, 3, kData)})) == kNoTrap);
  CHECK(m.f64(kData) == 0.0);
  CHECK(m.exec(cat({kInit, kFldz, kFld1, {0xF9}, {0xDB, 0xC1}, mem_op(0xDD, 3, kData)})) == kNoTrap);
  CHECK(m.f64(kData) == 1.0);  // FCMOVNB: CF=1, no move
}

TEST_CASE("x87_transcendentals_match_the_math_library_closely") {
  X87Machine m;
  m.put_f64(kData, 0.5);
  CHECK(m.exec(cat({kInit, mem_op(0xDD, 0, kData), {0xD9, 0xFE}, mem_op(0xDD, 3, kData + 8)})) == kNoTrap);
  CHECK(m.f64(kData + 8) == doctest::Approx(std::sin(0.5)).epsilon(1e-15));
  // FSINCOS pushes: ST0 = cos, ST1 = sin
  CHECK(m.exec(cat({kInit, mem_op(0xDD, 0, kData), {0xD9, 0xFB}, mem_op(0xDD, 3, kData + 8),
                    mem_op(0xDD, 3, kData + 16)})) == kNoTrap);
  CHECK(m.f64(kData + 8) == doctest::Approx(std::cos(0.5)).epsilon(1e-15));
  CHECK(m.f64(kData + 16) == doctest::Approx(std::sin(0.5)).epsilon(1e-15));
  // FSIN of 2^64: out of range, C2=1 and ST0 unchanged
  m.put_f64(kData, 18446744073709551616.0);
  CHECK(m.exec(cat({kInit, mem_op(0xDD, 0, kData), {0xD9, 0xFE}, {0xDF, 0xE0}, mem_op(0xDD, 3, kData + 8)})) == kNoTrap);
  CHECK((m.reg(EAX) & fpu::kFswC2) != 0);
  CHECK(m.f64(kData + 8) == 18446744073709551616.0);
  // FPATAN(1, 1) = pi/4, FYL2X(8, 1) = 3, FSQRT(2)
  CHECK(m.exec(cat({kInit, kFld1, kFld1, {0xD9, 0xF3}, mem_op(0xDD, 3, kData + 8)})) == kNoTrap);
  CHECK(m.f64(kData + 8) == doctest::Approx(M_PI / 4).epsilon(1e-15));
  m.put_f64(kData, 8.0);
  CHECK(m.exec(cat({kInit, kFld1, mem_op(0xDD, 0, kData), {0xD9, 0xF1}, mem_op(0xDD, 3, kData + 8)})) == kNoTrap);
  CHECK(m.f64(kData + 8) == 3.0);
  CHECK(fpu::top(m.v.s.fpu) == 0);
}

TEST_CASE("x87_fnsave_16_bit_real_mode_layout_and_frstor_round_trip") {
  X87Machine m;
  // FLDPI; FLD1 -> ST0 = 1 (phys 6), ST1 = pi (phys 7); FNSAVE [0x800]
  CHECK(m.exec(cat({kInit, kFldpi, kFld1, mem_op(0xDD, 6, kData)})) == kNoTrap);
  CHECK(m.peek16(kData + 0) == 0x037F);
  CHECK(m.peek16(kData + 2) == (6u << 11));          // TOP = 6
  CHECK(m.peek16(kData + 4) == 0x0FFF);              // R6, R7 valid, others empty
  CHECK(m.peek16(kData + 6) == 0x104);               // FIP: linear address of FLD1
  CHECK((m.peek16(kData + 8) & 0x7FF) == 0x1E8);     // FOP of FLD1
  CHECK(m.peek16(kData + 14 + 8) == 0x3FFF);         // ST0 = 1.0 exponent
  CHECK(m.peek32(kData + 14 + 4) == 0x80000000u);
  CHECK(m.peek16(kData + 24 + 8) == 0x4000);         // ST1 = pi exponent
  CHECK(m.v.s.fpu.ftw == 0xFFFF);                    // FNSAVE reinitialises
  CHECK(m.v.s.fpu.fcw == 0x037F);
  // FRSTOR; FNSAVE again elsewhere: identical image
  CHECK(m.exec(cat({mem_op(0xDD, 4, kData), mem_op(0xDD, 6, kData + 0x100)})) == kNoTrap);
  CHECK(m.bytes(kData, 94) == m.bytes(kData + 0x100, 94));
}

TEST_CASE("x87_fnsave_32_bit_layout_and_fnstenv_masks_exceptions") {
  X87Machine m;
  // 66 prefix: 32-bit operand size, 108-byte image, registers at offset 28
  CHECK(m.exec(cat({kInit, kFld1, {0x66}, mem_op(0xDD, 6, kData)})) == kNoTrap);
  CHECK(m.peek32(kData + 0) == 0xFFFF037Fu);
  CHECK((m.peek32(kData + 8) & 0xFFFF) == 0x3FFF);  // R7 valid
  CHECK(m.peek16(kData + 28 + 8) == 0x3FFF);
  CHECK(m.exec(cat({{0x66}, mem_op(0xDD, 4, kData), {0x66}, mem_op(0xDD, 6, kData + 0x100)})) == kNoTrap);
  CHECK(m.bytes(kData, 108) == m.bytes(kData + 0x100, 108));
  // FNSTENV then masks all exceptions; FLDENV restores the control word.
  m.put16(kData + 0x200, 0x0360);
  CHECK(m.exec(cat({kInit, mem_op(0xD9, 5, kData + 0x200), mem_op(0xD9, 6, kData)})) == kNoTrap);
  CHECK(m.v.s.fpu.fcw == 0x037F);
  CHECK(m.peek16(kData) == 0x0360);
  CHECK(m.exec(mem_op(0xD9, 4, kData)) == kNoTrap);
  CHECK(m.v.s.fpu.fcw == 0x0360);
}

TEST_CASE("fxsave_layout_abridged_tag_and_fxrstor_round_trip") {
  X87Machine m;
  m.v.s.fpu.xmm[3] = XmmReg{0x1122334455667788ull, 0x99AABBCCDDEEFF00ull};
  CHECK(m.exec(cat({kInit, kFldpi, kFld1, {0x0F, 0xAE, 0x06, 0x00, 0x08}})) == kNoTrap);
  CHECK(m.peek16(kData + 0) == 0x037F);
  CHECK(m.peek16(kData + 2) == (6u << 11));
  CHECK(m.peek8(kData + 4) == 0xC0);                 // R6 and R7 in use
  CHECK(m.peek32(kData + 24) == 0x1F80);             // MXCSR
  CHECK(m.peek32(kData + 28) == 0xFFFF);             // MXCSR_MASK (DAZ supported)
  CHECK(m.peek16(kData + 32 + 8) == 0x3FFF);         // ST0 = 1.0
  CHECK(m.peek16(kData + 48 + 8) == 0x4000);         // ST1 = pi
  CHECK(m.peek32(kData + 160 + 48) == 0x55667788u);  // XMM3
  CHECK(m.v.s.fpu.ftw != 0xFFFF);                    // FXSAVE does not reinitialise
  CHECK(m.exec(cat({kInit, {0x0F, 0xAE, 0x0E, 0x00, 0x08}, {0x0F, 0xAE, 0x06, 0x00, 0x0A}})) == kNoTrap);
  CHECK(m.bytes(kData, 288) == m.bytes(kData + 0x200, 288));
  CHECK(fpu::st(m.v.s.fpu, 1).sign_exp == 0x4000);
  // Misaligned operand: #GP; MXCSR with a reserved bit: #GP
  CHECK(m.exec({0x0F, 0xAE, 0x06, 0x08, 0x08}) == kGP);
  m.poke32(kData + 24, 0x11F80);  // bit 16 is reserved
  CHECK(m.exec({0x0F, 0xAE, 0x0E, 0x00, 0x08}) == kGP);
}
