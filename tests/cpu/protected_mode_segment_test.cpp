// Segment loads in real, V86 and protected mode; LLDT/LTR/LAR/LSL/VERR/VERW; CRn and DRn.
#include "tests/cpu/protected_mode_fixture.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::PmFixture;

TEST_CASE("pm_reset_state_matches_sdm_power_on_values") {
  PmFixture f;
  const CpuState& s = f.v.s;
  CHECK(s.seg[CS].selector == 0xF000);
  CHECK(s.seg[CS].base == 0xFFFF0000u);
  CHECK(s.eip == 0xFFF0);
  CHECK(s.cr0 == 0x60000010u);
  CHECK(s.gpr[EDX] == cpuid(f.v, 1, 0).eax);
  CHECK(read_eflags(s) == 0x2);
  CHECK(s.idtr.limit == 0xFFFF);
  CHECK(s.dr[7] == 0x400);
}

TEST_CASE("pm_real_mode_segment_load_sets_base_and_keeps_limit") {
  PmFixture f;
  f.v.s.seg[DS].limit = 0xFFFFFFFF;  // big real mode survives a reload
  CHECK(!load_segment(f.v, DS, 0x1234));
  CHECK(f.v.s.seg[DS].base == 0x12340);
  CHECK(f.v.s.seg[DS].limit == 0xFFFFFFFFu);
}

TEST_CASE("pm_segment_load_checks_and_error_codes") {
  PmFixture f;
  f.enter_ring0();
  Vcpu& v = f.v;
  SUBCASE("null SS is #GP(0), null DS is allowed and unusable") {
    Fault e = load_segment(v, SS, 0);
    CHECK(e.vector == kGP);
    CHECK(e.error == 0);
    CHECK(!load_segment(v, DS, 0x0003));
    CHECK(v.s.seg[DS].selector == 0x0003);
    CHECK(!(v.s.seg[DS].attr & SEG_P));
  }
  SUBCASE("SS needs RPL = DPL = CPL and a writable data segment") {
    Fault e = load_segment(v, SS, PmFixture::kData3);
    CHECK(e.vector == kGP);
    CHECK(e.error == (PmFixture::kData3 & 0xFFFC));
    e = load_segment(v, SS, PmFixture::kCode0);
    CHECK(e.vector == kGP);
    CHECK(e.error == PmFixture::kCode0);
    CHECK(!load_segment(v, SS, PmFixture::kData0));
  }
  SUBCASE("not-present data is #NP(sel), not-present stack is #SS(sel)") {
    Fault e = load_segment(v, DS, PmFixture::kNotPresent);
    CHECK(e.vector == kNP);
    CHECK(e.error == PmFixture::kNotPresent);
    f.set_gdt(PmFixture::kNotPresent, PmFixture::seg(0, 0xFFFF, 0x12, 0));
    e = load_segment(v, SS, PmFixture::kNotPresent);
    CHECK(e.vector == kSS);
    CHECK(e.error == PmFixture::kNotPresent);
  }
  SUBCASE("beyond the GDT limit and an LDT selector without LDT are #GP(sel)") {
    Fault e = load_segment(v, DS, 0x80);
    CHECK(e.vector == kGP);
    CHECK(e.error == 0x80);
    e = load_segment(v, ES, 0x0C);
    CHECK(e.vector == kGP);
    CHECK(e.error == 0x0C);
  }
  SUBCASE("execute-only code cannot be loaded into DS; readable conforming code can") {
    Fault e = load_segment(v, DS, PmFixture::kExecOnly);
    CHECK(e.vector == kGP);
    CHECK(e.error == PmFixture::kExecOnly);
    CHECK(!load_segment(v, DS, PmFixture::kCodeConf));
  }
  SUBCASE("privilege: DPL 0 data from CPL 3, or with RPL 3, is #GP") {
    Fault e = load_segment(v, DS, PmFixture::kData0 | 3);
    CHECK(e.vector == kGP);
    f.enter_ring3();
    e = load_segment(v, DS, PmFixture::kData0);
    CHECK(e.vector == kGP);
    CHECK(e.error == PmFixture::kData0);
    CHECK(!load_segment(v, DS, PmFixture::kData3));
    CHECK(!load_segment(v, FS, PmFixture::kCodeConf));  // conforming: no DPL check
  }
  SUBCASE("a load fills the cache, scales G and sets the accessed bit in memory") {
    f.set_gdt(0x78, PmFixture::seg(0x123456, 0x00010, 0x92, 0x8));
    f.v.s.gdtr.limit = 0x7F;
    CHECK(!(f.gdt_access(0x78) & 1));
    CHECK(!load_segment(v, GS, 0x78));
    CHECK(v.s.seg[GS].base == 0x123456);
    CHECK(v.s.seg[GS].limit == 0x10FFF);
    CHECK(v.s.seg[GS].attr == 0x893);
    CHECK(f.gdt_access(0x78) == 0x93);
  }
}

TEST_CASE("pm_v86_segment_load_gives_dpl3_64k_segments") {
  PmFixture f;
  f.enter_ring0();
  f.v.s.eflags |= VM;
  f.v.s.cpl = 3;
  CHECK(!load_segment(f.v, ES, 0xB800));
  CHECK(f.v.s.seg[ES].base == 0xB8000);
  CHECK(f.v.s.seg[ES].limit == 0xFFFF);
  CHECK(seg_dpl(f.v.s.seg[ES].attr) == 3);
}

TEST_CASE("pm_ltr_sets_busy_and_lldt_checks_type") {
  PmFixture f;
  f.enter_ring0();
  CHECK((f.gdt_access(PmFixture::kTssASel) & 0xF) == kTss32Busy);
  CHECK(f.v.s.tr.base == PmFixture::kTssA);
  Fault e = load_tr(f.v, PmFixture::kTssASel);  // busy now
  CHECK(e.vector == kGP);
  CHECK(e.error == PmFixture::kTssASel);
  e = load_ldtr(f.v, PmFixture::kData0);
  CHECK(e.vector == kGP);
  f.set_gdt(0x78, PmFixture::seg(0x5000, 0x17, 0x82, 0));
  CHECK(!load_ldtr(f.v, 0x78));
  CHECK(f.v.s.ldtr.base == 0x5000);
  // A descriptor in the LDT now loads through an LDT selector.
  f.w64(0x5008, PmFixture::seg(0x9000, 0xFFFF, 0x92, 0));
  CHECK(!load_segment(f.v, DS, 0x0C));
  CHECK(f.v.s.seg[DS].base == 0x9000);
}

TEST_CASE("pm_lar_lsl_verr_verw") {
  PmFixture f;
  f.enter_ring3();
  uint32_t val = 0;
  bool ok = false;
  CHECK(!load_access_rights(f.v, PmFixture::kCode3, val, ok));
  CHECK(ok);
  CHECK(val == 0x00C0FA00u);
  CHECK(!load_access_rights(f.v, PmFixture::kData0, val, ok));
  CHECK(!ok);  // DPL 0 < CPL 3
  CHECK(!load_access_rights(f.v, PmFixture::kCodeConf, val, ok));
  CHECK(ok);   // conforming code is visible
  CHECK(!load_access_rights(f.v, 0x400, val, ok));
  CHECK(!ok);  // beyond the GDT: ZF clear, no fault
  CHECK(!load_segment_limit(f.v, PmFixture::kData3, val, ok));
  CHECK(ok);
  CHECK(val == 0xFFFFFFFFu);
  CHECK(!load_segment_limit(f.v, PmFixture::kCallGate, val, ok));
  CHECK(!ok);  // gates have no limit
  CHECK(!verify_segment(f.v, PmFixture::kData3, true, ok));
  CHECK(ok);
  CHECK(!verify_segment(f.v, PmFixture::kCode3, true, ok));
  CHECK(!ok);
  CHECK(!verify_segment(f.v, PmFixture::kCode3, false, ok));
  CHECK(ok);
}

TEST_CASE("pm_control_register_writes_check_bits_and_flush_tlb") {
  PmFixture f;
  Vcpu& v = f.v;
  CHECK(write_cr(v, 0, CR0_PG).vector == kGP);            // PG without PE
  CHECK(write_cr(v, 0, CR0_PE | CR0_NW).vector == kGP);   // NW without CD
  CHECK(write_cr(v, 4, CR4_VME).vector == kGP);           // VME is not advertised
  CHECK(!write_cr(v, 4, CR4_OSFXSR | CR4_OSXMMEXCPT));  // FXSR and SSE are advertised
  CHECK(!write_cr(v, 4, 0));
  CHECK(write_cr(v, 1, 0).vector == kUD);
  uint64_t before = v.mmu.counters.tlb_flushes_full;
  CHECK(!write_cr(v, 3, 0x5000));
  CHECK(v.mmu.counters.tlb_flushes_full == before + 1);
  CHECK(!write_cr(v, 0, v.s.cr0 | CR0_TS));               // TS is not a paging bit
  CHECK(v.mmu.counters.tlb_flushes_full == before + 1);
  CHECK(!write_cr(v, 0, CR0_PE | CR0_PG | CR0_ET));
  CHECK(v.mmu.counters.tlb_flushes_full == before + 2);
  CHECK(!write_cr(v, 4, CR4_PSE | CR4_PGE | CR4_PAE));
  CHECK(v.mmu.counters.tlb_flushes_full == before + 3);
  uint32_t x = 0;
  CHECK(!read_cr(v, 3, x));
  CHECK(x == 0x5000);
  CHECK(!read_cr(v, 0, x));
  CHECK(x == (CR0_PE | CR0_PG | CR0_ET));
}

TEST_CASE("pm_debug_registers_alias_dr4_dr5_unless_cr4_de") {
  PmFixture f;
  uint32_t x = 0;
  CHECK(!write_dr(f.v, 7, 0x1));
  CHECK(!read_dr(f.v, 5, x));
  CHECK(x == 0x401);
  CHECK(!write_dr(f.v, 6, 0));
  CHECK(!read_dr(f.v, 6, x));
  CHECK(x == 0xFFFF0FF0u);
  CHECK(!write_dr(f.v, 0, 0xDEADBEEF));
  CHECK(!read_dr(f.v, 0, x));
  CHECK(x == 0xDEADBEEFu);
  f.v.s.cr4 = CR4_DE;
  CHECK(read_dr(f.v, 4, x).vector == kUD);
  CHECK(write_dr(f.v, 5, 0).vector == kUD);
}
