// CpuState <-> KVM register structures: the round trip keeps every field, and the individual
// encodings (segment attributes, FXSAVE register order, tag words, TSC) are what KVM expects.
// No /dev/kvm needed.
#include <doctest/doctest.h>

#include <cstring>

#include "cpu/flags.h"
#include "kvm_backend/kvm_state.h"

using namespace vmlab::cpu;
using namespace vmlab::kvm_backend;

namespace {

bool same_seg(const SegmentCache& a, const SegmentCache& b) {
  return a.selector == b.selector && a.base == b.base && a.limit == b.limit && a.attr == b.attr;
}

// Every field of CpuState, compared by value (padding bytes do not matter).
void check_same(const CpuState& a, const CpuState& b) {
  for (int i = 0; i < 8; ++i) CHECK(a.gpr[i] == b.gpr[i]);
  CHECK(a.eip == b.eip);
  CHECK(a.eflags == b.eflags);
  CHECK(a.lazy.result == b.lazy.result);
  CHECK(a.lazy.aux == b.lazy.aux);
  for (int i = 0; i < kNumSegRegs; ++i) CHECK(same_seg(a.seg[i], b.seg[i]));
  CHECK(same_seg(a.ldtr, b.ldtr));
  CHECK(same_seg(a.tr, b.tr));
  CHECK(a.gdtr.base == b.gdtr.base);
  CHECK(a.gdtr.limit == b.gdtr.limit);
  CHECK(a.idtr.base == b.idtr.base);
  CHECK(a.idtr.limit == b.idtr.limit);
  CHECK(a.cr0 == b.cr0);
  CHECK(a.cr2 == b.cr2);
  CHECK(a.cr3 == b.cr3);
  CHECK(a.cr4 == b.cr4);
  for (int i = 0; i < 8; ++i) CHECK(a.dr[i] == b.dr[i]);
  CHECK(std::memcmp(&a.msr, &b.msr, sizeof a.msr) == 0);
  for (int i = 0; i < 8; ++i) {
    CHECK(a.fpu.st[i].mantissa == b.fpu.st[i].mantissa);
    CHECK(a.fpu.st[i].sign_exp == b.fpu.st[i].sign_exp);
    CHECK(a.fpu.xmm[i].lo == b.fpu.xmm[i].lo);
    CHECK(a.fpu.xmm[i].hi == b.fpu.xmm[i].hi);
  }
  CHECK(a.fpu.fcw == b.fpu.fcw);
  CHECK(a.fpu.fsw == b.fpu.fsw);
  CHECK(a.fpu.ftw == b.fpu.ftw);
  CHECK(a.fpu.fop == b.fpu.fop);
  CHECK(a.fpu.fip == b.fpu.fip);
  CHECK(a.fpu.fdp == b.fpu.fdp);
  CHECK(a.fpu.fcs == b.fpu.fcs);
  CHECK(a.fpu.fds == b.fpu.fds);
  CHECK(a.fpu.mxcsr == b.fpu.mxcsr);
  CHECK(a.events.interrupt_shadow == b.events.interrupt_shadow);
  CHECK(a.events.nmi_pending == b.events.nmi_pending);
  CHECK(a.events.nmi_blocked == b.events.nmi_blocked);
  CHECK(a.events.halted == b.events.halted);
  CHECK(a.cpl == b.cpl);
  CHECK(a.instructions_retired == b.instructions_retired);
}

// A protected-mode ring-3 state with every group holding something non-default.
CpuState busy_state() {
  CpuState s;
  reset_cpu_state(s);
  for (int i = 0; i < 8; ++i) s.gpr[i] = 0x11111111u * uint32_t(i + 1);
  s.eip = 0x00401234;
  write_eflags(s, 0x00000A97 | IF | (3u << 12) | AC);  // CF PF AF SF OF DF IF, IOPL 3
  s.cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE | CR0_WP;
  s.cr2 = 0xDEADB000;
  s.cr3 = 0x00123000;
  s.cr4 = CR4_PSE | CR4_PGE | CR4_OSFXSR;
  s.seg[CS] = SegmentCache{0x1B, 0, 0xFFFFFFFF, 0x0CFB};  // ring-3 code, D, G
  s.seg[SS] = SegmentCache{0x23, 0, 0xFFFFFFFF, 0x0CF3};
  s.seg[DS] = SegmentCache{0x23, 0x1000, 0x000FFFFF, 0x04F3};
  s.seg[ES] = SegmentCache{0x23, 0, 0xFFFFFFFF, 0x0CF3};
  s.seg[FS] = SegmentCache{0x00, 0, 0, 0x0000};  // null: unusable
  s.seg[GS] = SegmentCache{0x3B, 0x7000, 0xFFF, 0x00F3};
  s.ldtr = SegmentCache{0x28, 0x5000, 0x3F, 0x0082};
  s.tr = SegmentCache{0x30, 0x6000, 0x67, 0x008B};
  s.gdtr = DescriptorTableReg{0x00010000, 0x47};
  s.idtr = DescriptorTableReg{0x00020000, 0x7FF};
  s.cpl = 3;
  s.dr[0] = 0x1000; s.dr[1] = 0x2000; s.dr[2] = 0x3000; s.dr[3] = 0x4000;
  s.dr[6] = 0xFFFF0FF1; s.dr[7] = 0x00000401;
  s.msr.sysenter_cs = 0x08;
  s.msr.sysenter_esp = 0xC0001000;
  s.msr.sysenter_eip = 0xC0100000;
  s.msr.pat = 0x0007010600070106ull;
  s.msr.efer = EFER_NXE;
  s.msr.apic_base = 0xFEE00900;
  s.msr.mtrr_def_type = 0xC06;
  for (int i = 0; i < 11; ++i) s.msr.mtrr_fixed[i] = 0x0606060606060606ull + uint64_t(i);
  for (int i = 0; i < 16; ++i) s.msr.mtrr_var[i] = 0x1000ull * uint64_t(i + 1) | 6;
  s.msr.misc_enable = 1;
  s.instructions_retired = 123456789;
  s.msr.tsc_offset = 1000;
  // x87: TOP = 5, two registers in use (valid 1.0 and zero), the rest empty.
  s.fpu.fcw = 0x037F;
  s.fpu.fsw = uint16_t(5u << 11) | 0x0020;
  s.fpu.st[5] = FpuReg{0x8000000000000000ull, 0x3FFF, {}};  // ST(0) = 1.0
  s.fpu.st[6] = FpuReg{0, 0x8000, {}};                      // ST(1) = -0.0
  s.fpu.ftw = uint16_t((0xFFFFu & ~(0xFu << 10)) | (1u << 12));  // R5 valid, R6 zero
  s.fpu.fop = 0x1D9;
  s.fpu.fip = 0x00401000; s.fpu.fcs = 0x1B;
  s.fpu.fdp = 0x00602000; s.fpu.fds = 0x23;
  s.fpu.mxcsr = 0x1FA0;
  for (int i = 0; i < 8; ++i) s.fpu.xmm[i] = XmmReg{0x0102030405060708ull * uint64_t(i + 1), ~uint64_t(i)};
  s.events.interrupt_shadow = 1;
  s.events.nmi_pending = 1;
  s.events.nmi_blocked = 1;
  return s;
}

}  // namespace

TEST_CASE("kvm_state_round_trip_keeps_every_field") {
  const CpuState s = busy_state();
  KvmVcpuState k;
  to_kvm(s, k);
  // Start from a different state; only what KVM does not hold is carried over by design.
  CpuState t;
  reset_cpu_state(t);
  t.instructions_retired = s.instructions_retired;
  t.dr[4] = s.dr[4];
  t.dr[5] = s.dr[5];
  from_kvm(k, t);
  check_same(s, t);
}

TEST_CASE("kvm_state_round_trip_of_the_reset_state") {
  CpuState s;
  reset_cpu_state(s);
  KvmVcpuState k;
  to_kvm(s, k);
  CpuState t = busy_state();
  t.instructions_retired = s.instructions_retired;
  t.dr[4] = s.dr[4];
  t.dr[5] = s.dr[5];
  t.events.halted = s.events.halted;
  from_kvm(k, t);
  check_same(s, t);
  CHECK(k.regs.rip == 0xFFF0);
  CHECK(k.sregs.cs.base == 0xFFFF0000u);
  CHECK(k.sregs.cs.selector == 0xF000);
  CHECK(k.regs.rflags == 0x2);
}

TEST_CASE("kvm_state_encodes_registers_as_kvm_expects") {
  const CpuState s = busy_state();
  KvmVcpuState k;
  to_kvm(s, k);
  CHECK(k.regs.rax == 0x11111111u);
  CHECK(k.regs.rbx == 0x44444444u);  // EBX is gpr[3]
  CHECK(k.regs.rsp == 0x55555555u);
  CHECK(k.regs.rflags == (0x00000A97u | IF | (3u << 12) | AC | 0x2));
  // CS 0x0CFB: type 11 (code, read, accessed), S, DPL 3, P, D, G.
  CHECK(k.sregs.cs.type == 11);
  CHECK(k.sregs.cs.s == 1);
  CHECK(k.sregs.cs.dpl == 3);
  CHECK(k.sregs.cs.present == 1);
  CHECK(k.sregs.cs.db == 1);
  CHECK(k.sregs.cs.g == 1);
  CHECK(k.sregs.cs.unusable == 0);
  CHECK(k.sregs.fs.unusable == 1);  // null selector in protected mode
  CHECK(k.sregs.tr.type == 11);
  CHECK(k.sregs.efer == EFER_NXE);
  CHECK(k.sregs.cr3 == 0x00123000u);
  // FXSAVE order: fpr[0] is ST(0) = physical R5.
  uint64_t m0 = 0;
  uint16_t e0 = 0, e1 = 0;
  std::memcpy(&m0, &k.fpu.fpr[0][0], 8);
  std::memcpy(&e0, &k.fpu.fpr[0][8], 2);
  std::memcpy(&e1, &k.fpu.fpr[1][8], 2);
  CHECK(m0 == 0x8000000000000000ull);
  CHECK(e0 == 0x3FFF);
  CHECK(e1 == 0x8000);
  CHECK(k.fpu.ftwx == 0x60);  // R5 and R6 in use
  CHECK(k.fpu.last_ip == (0x00401000ull | 0x1Bull << 32));
  CHECK(k.events.nmi.pending == 1);
  CHECK(k.events.nmi.masked == 1);
  CHECK(k.events.interrupt.shadow != 0);
  CHECK(k.debugregs.dr7 == 0x401);
  // TSC = retired instructions + offset; MSRs in the documented order.
  bool found_tsc = false;
  for (uint32_t i = 0; i < k.msrs.nmsrs; ++i)
    if (k.msrs.entries[i].index == kMsrTsc) {
      found_tsc = true;
      CHECK(k.msrs.entries[i].data == 123456789u + 1000u);
    }
  CHECK(found_tsc);
  CHECK(k.msrs.nmsrs == state_msr_indices().size());
}

TEST_CASE("kvm_state_cpl_follows_the_mode") {
  CpuState s = busy_state();
  KvmVcpuState k;
  to_kvm(s, k);
  k.sregs.ss.dpl = 0;
  k.sregs.cs.selector = 0x08;
  from_kvm(k, s);
  CHECK(s.cpl == 0);
  k.regs.rflags |= VM;
  from_kvm(k, s);
  CHECK(s.cpl == 3);  // V86
  k.regs.rflags &= ~uint64_t(VM);
  k.sregs.cr0 &= ~uint64_t(CR0_PE | CR0_PG);
  k.sregs.ss.dpl = 3;
  from_kvm(k, s);
  CHECK(s.cpl == 0);  // real mode
}

TEST_CASE("kvm_state_unusable_segment_reads_back_without_present") {
  kvm_segment k{};
  k.selector = 0;
  k.type = 3;
  k.s = 1;
  k.present = 1;
  k.unusable = 1;
  const SegmentCache c = from_kvm_segment(k);
  CHECK((c.attr & SEG_P) == 0);
  CHECK(to_kvm_segment(c).unusable == 1);
}

TEST_CASE("kvm_state_full_tag_word_is_recomputed_from_contents") {
  FpuState f;
  f.st[0] = FpuReg{0x8000000000000000ull, 0x3FFF, {}};  // valid
  f.st[1] = FpuReg{0, 0, {}};                           // zero
  f.st[2] = FpuReg{0xC000000000000000ull, 0x7FFF, {}};  // NaN: special
  f.st[3] = FpuReg{1, 0, {}};                           // denormal: special
  f.st[4] = FpuReg{0x4000000000000000ull, 0x3FFF, {}};  // unnormal: special
  const uint16_t ftw = full_tag(0x1F, f);               // R0-R4 in use, R5-R7 empty
  CHECK(ftw == (0 | 1 << 2 | 2 << 4 | 2 << 6 | 2 << 8 | 0xFC00));
  CHECK(abridged_tag(ftw) == 0x1F);
  CHECK(abridged_tag(0xFFFF) == 0);
  CHECK(abridged_tag(0x5555) == 0xFF);
}
