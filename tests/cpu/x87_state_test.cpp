// x87 register-file operations without memory (cpu/fpu/x87_ops.h, x87_stack.h) and the image
// layouts (FSTENV 16/32-bit protected and real mode, FXSAVE with the abridged tag).
#include <doctest/doctest.h>
#include <cstring>
#include "cpu/fpu/x87.h"
#include "cpu/fpu/x87_memory.h"
#include "cpu/fpu/x87_ops.h"

using namespace vmlab::cpu;
using namespace vmlab::cpu::fpu;

namespace {
constexpr Ext80 kOne{0x8000000000000000ull, 0x3FFF};
constexpr Ext80 kThree{0xC000000000000000ull, 0x4000};
constexpr Ext80 kSnan{0x8000000000000001ull, 0x7FFF};

FpuState fresh() {
  FpuState f;
  fninit(f);
  return f;
}
}  // namespace

TEST_CASE("x87_tags_classify_zero_special_valid_and_track_push_pop") {
  CHECK(tag_for(Ext80{0, 0}) == kTagZero);
  CHECK(tag_for(Ext80{0, 0x8000}) == kTagZero);
  CHECK(tag_for(kOne) == kTagValid);
  CHECK(tag_for(Ext80{1, 0}) == kTagSpecial);                        // denormal
  CHECK(tag_for(Ext80{0x8000000000000000ull, 0x7FFF}) == kTagSpecial);  // infinity
  CHECK(tag_for(Ext80{0x4000000000000000ull, 0x4000}) == kTagSpecial);  // unnormal
  FpuState f = fresh();
  push(f, kOne);
  CHECK(top(f) == 7);
  CHECK(f.ftw == 0x3FFF);
  push(f, Ext80{});
  CHECK(f.ftw == 0x1FFF);
  pop(f);
  pop(f);
  CHECK(top(f) == 0);
  CHECK(f.ftw == 0xFFFF);
  // An MMX-style write (exponent all ones, tag valid) reads back as special after refresh.
  f.st[3].sign_exp = 0xFFFF;
  set_tag(f, 3, kTagValid);
  refresh_tags(f);
  CHECK(tag(f, 3) == kTagSpecial);
}

TEST_CASE("x87_fldcw_unmasking_a_set_flag_makes_it_pending_and_fnclex_clears_it") {
  FpuState f = fresh();
  load_value(f, kOne, 0);
  load_value(f, Ext80{}, 0);
  arith_regs(f, kOpDiv, 1, 0, false);  // ST1 = 1 / 0, masked: +inf
  CHECK((f.fsw & kFswZE) != 0);
  CHECK((f.fsw & kFswES) == 0);
  CHECK(st(f, 1).sign_exp == 0x7FFF);
  fldcw(f, 0x037B);
  CHECK((f.fsw & (kFswES | kFswB)) == (kFswES | kFswB));
  CHECK(f.fcw == 0x037B);
  fnclex(f);
  CHECK((f.fsw & 0x80FF) == 0);
  fldcw(f, 0x0000);
  CHECK(f.fcw == 0x0040);  // bit 6 reads as one
}

TEST_CASE("x87_unmasked_invalid_leaves_destination_and_top_unchanged") {
  FpuState f = fresh();
  fldcw(f, 0x037E);  // IE unmasked
  load_value(f, kThree, 0);
  load_value(f, kSnan, 0);
  arith_regs(f, kOpAdd, 0, 1, false);
  CHECK((f.fsw & (kFswIE | kFswES)) == (kFswIE | kFswES));
  CHECK(st(f, 0).mantissa == kSnan.mantissa);
  // FSTP m32 of the SNaN: nothing written, no pop
  const StorePlan p = plan_store(f, HostStore::F32);
  CHECK(!p.write);
  commit_store(f, p, true);
  CHECK(top(f) == 6);
}

TEST_CASE("x87_precision_control_rounds_the_significand") {
  FpuState f = fresh();
  fldcw(f, 0x007F);  // PC = 24 bits
  load_value(f, kThree, 0);
  load_value(f, kOne, 0);
  arith_regs(f, kOpDiv, 0, 1, false);  // 1/3
  CHECK(st(f, 0).mantissa == 0xAAAAAB0000000000ull);
  CHECK(st(f, 0).sign_exp == 0x3FFD);
  CHECK((f.fsw & (kFswPE | kFswC1)) == (kFswPE | kFswC1));  // rounded up
  fldcw(f, 0x0C7F);  // chop at 24 bits
  load_value(f, kOne, 0);
  arith_regs(f, kOpDiv, 0, 2, false);
  CHECK(st(f, 0).mantissa == 0xAAAAAA0000000000ull);
}

TEST_CASE("x87_env_32_bit_protected_layout_round_trips") {
  FpuState f = fresh();
  load_value(f, kOne, 0);
  f.fip = 0x12345678;
  f.fcs = 0x1B;
  f.fop = 0x5E9;
  f.fdp = 0xCAFEBABE;
  f.fds = 0x23;
  uint8_t env[28];
  build_env(f, false, true, env);
  CHECK(get32(env + 0) == 0xFFFF037Fu);
  CHECK(get32(env + 4) == (0xFFFF0000u | (7u << 11)));
  CHECK(get32(env + 8) == 0xFFFF3FFFu);
  CHECK(get32(env + 12) == 0x12345678u);
  CHECK(get32(env + 16) == (0x1Bu | (0x5E9u << 16)));
  CHECK(get32(env + 20) == 0xCAFEBABEu);
  CHECK(get32(env + 24) == 0xFFFF0023u);
  FpuState g = fresh();
  apply_env(g, false, true, env);
  CHECK(g.fip == f.fip);
  CHECK(g.fcs == f.fcs);
  CHECK(g.fop == f.fop);
  CHECK(g.fdp == f.fdp);
  CHECK(g.fds == f.fds);
  CHECK(g.ftw == 0x7FFF);  // R7 in use; its tag is recomputed from g's own register (+0)
  CHECK(g.fsw == f.fsw);
}

TEST_CASE("x87_env_16_bit_and_real_mode_layouts") {
  FpuState f = fresh();
  f.fip = 0xFFF0;
  f.fcs = 0xF000;  // real mode: linear FFFF0
  f.fop = 0x7FF;
  f.fdp = 0x0010;
  f.fds = 0x1234;  // linear 12350
  uint8_t env[28];
  build_env(f, true, false, env);  // 16-bit real mode
  CHECK(get16(env + 6) == 0xFFF0);
  CHECK(get16(env + 8) == 0xF7FF);  // IP[19:16] in 15:12, opcode in 10:0
  CHECK(get16(env + 10) == 0x2350);
  CHECK(get16(env + 12) == 0x1000);
  build_env(f, true, true, env);  // 32-bit real mode
  CHECK(get32(env + 12) == 0xFFFFFFF0u);
  CHECK(get32(env + 16) == ((0xFu << 12) | 0x7FF));
  CHECK(get32(env + 20) == 0xFFFF2350u);
  CHECK(get32(env + 24) == (0x1u << 12));
  FpuState g = fresh();
  apply_env(g, true, true, env);
  CHECK(g.fip == 0xFFFF0);
  CHECK(g.fdp == 0x12350);
  CHECK(g.fop == 0x7FF);
  build_env(f, false, false, env);  // 16-bit protected mode: selectors, no opcode
  CHECK(get16(env + 6) == 0xFFF0);
  CHECK(get16(env + 8) == 0xF000);
  CHECK(get16(env + 12) == 0x1234);
}

TEST_CASE("fxsave_image_has_the_abridged_tag_and_stack_order_registers") {
  FpuState f = fresh();
  load_value(f, kThree, 0);   // R7
  load_value(f, Ext80{}, 0);  // R6 = +0
  f.mxcsr = 0x1F80;
  f.xmm[7] = XmmReg{1, 2};
  uint8_t img[512] = {};
  build_fxsave(f, img);
  CHECK(get16(img + 0) == 0x037F);
  CHECK(img[4] == 0xC0);
  CHECK(get32(img + 24) == 0x1F80);
  CHECK(get32(img + 28) == kMxcsrMask);
  CHECK(get16(img + 32 + 8) == 0);       // ST0 = +0
  CHECK(get16(img + 48 + 8) == 0x4000);  // ST1 = 3
  CHECK(get32(img + 160 + 7 * 16) == 1);
  CHECK(get32(img + 168 + 7 * 16) == 2);
  FpuState g = fresh();
  CHECK(apply_fxsave(g, img));
  CHECK(g.ftw == 0x1FFF);  // full tags recomputed: R6 zero, R7 valid
  CHECK(std::memcmp(&g.xmm[7], &f.xmm[7], sizeof(XmmReg)) == 0);
  uint32_t bad = 0x10000;
  std::memcpy(img + 24, &bad, 4);
  FpuState h = fresh();
  CHECK(!apply_fxsave(h, img));
  CHECK(h.ftw == 0xFFFF);  // unchanged
}

TEST_CASE("x87_host_evaluation_leaves_the_host_fpu_clean") {
  // The host's control word and an empty host stack survive any primitive, including ones
  // that fault unmasked in the guest.
  uint16_t before, after;
  asm volatile("fnstcw %0" : "=m"(before));
  FpuState f = fresh();
  f.fcw = 0x0360;  // everything unmasked
  host_binary(HostBin::Div, kOne, Ext80{}, f);
  host_unary(HostUn::Sincos, kSnan, f);
  host_binary(HostBin::Patan, kSnan, kOne, f);
  uint8_t out[10];
  host_store(HostStore::I16, Ext80{0x8000000000000000ull, 0x4040}, f, out);
  asm volatile("fnstcw %0" : "=m"(after));
  CHECK(before == after);
  uint16_t sw;
  asm volatile("fnstsw %0" : "=m"(sw));
  CHECK((sw & 0xBFFF & ~0x4700) == 0);  // no flags, TOP 0, nothing pending
  volatile double x = 1.0;
  CHECK(x / 3.0 > 0.33);
}
