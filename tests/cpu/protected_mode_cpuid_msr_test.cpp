// I/O permission bitmap decisions, CPUID answers, MSR reads/writes.
#include "tests/cpu/protected_mode_fixture.h"

#include <string>

using namespace vmlab::cpu;
using vmlab::cpu::test::PmFixture;

TEST_CASE("pm_io_permission_uses_iopl_then_tss_bitmap") {
  PmFixture f;
  CHECK(!check_io_permission(f.v, 0x3F8, 1));  // real mode: always
  f.enter_ring3();
  CpuState& s = f.v.s;
  // Bitmap at TSS+0x68: deny port 0x3F9 and 0x60.
  f.w8(PmFixture::kTssA + 0x68 + 0x3F8 / 8, 1u << 1);
  f.w8(PmFixture::kTssA + 0x68 + 0x60 / 8, 1u << 0);
  CHECK(!check_io_permission(f.v, 0x3F8, 1));
  CHECK(check_io_permission(f.v, 0x3F9, 1).vector == kGP);
  CHECK(check_io_permission(f.v, 0x3F8, 2).vector == kGP);  // covers 0x3F9
  CHECK(!check_io_permission(f.v, 0x3FA, 4));
  CHECK(check_io_permission(f.v, 0x5E, 4).vector == kGP);   // 0x5E..0x61 spans two bytes
  CHECK(!check_io_permission(f.v, 0x5C, 4));
  // Beyond the TSS limit: denied.
  CHECK(check_io_permission(f.v, 0xFFFF, 1).vector != kGP);  // last byte is inside (limit 0x2068)
  f.set_gdt(PmFixture::kTssASel, PmFixture::seg(PmFixture::kTssA, 0x68 + 0x10, 0x8B, 0));
  s.tr.limit = 0x68 + 0x10;
  CHECK(check_io_permission(f.v, 0x3F8, 1).vector == kGP);
  CHECK(!check_io_permission(f.v, 0x10, 1));
  // IOPL 3 at CPL 3: no bitmap lookup.
  write_eflags(s, 0x2 | IOPL_MASK);
  CHECK(!check_io_permission(f.v, 0x3F9, 1));
  // V86 always consults the bitmap, whatever IOPL.
  s.eflags |= VM;
  CHECK(check_io_permission(f.v, 0x3F8, 1).vector == kGP);
  // A 16-bit TSS has no bitmap.
  s.eflags &= ~VM;
  write_eflags(s, 0x2);
  s.tr.attr = 0x83;
  CHECK(check_io_permission(f.v, 0x10, 1).vector == kGP);
}

static std::string regs_str(std::initializer_list<uint32_t> regs) {
  std::string out;
  for (uint32_t r : regs)
    for (int i = 0; i < 4; ++i) out += char((r >> (8 * i)) & 0xFF);
  return out;
}

TEST_CASE("pm_cpuid_identifies_an_i686_with_implemented_features_only") {
  PmFixture f;
  CpuidResult r = cpuid(f.v, 0, 0);
  CHECK(r.eax == 2);
  CHECK(regs_str({r.ebx, r.edx, r.ecx}) == "GenuineIntel");
  r = cpuid(f.v, 1, 0);
  CHECK(((r.eax >> 8) & 0xF) == 6);
  CHECK(((r.eax >> 4) & 0xF) == 5);
  CHECK((r.edx & 1) != 0);       // FPU (cpu/fpu)
  CHECK((r.edx & (1u << 24)) != 0);     // FXSR (cpu/fpu/fxsave.cpp)
  CHECK(!(r.edx & (1u << 1)));   // no VME
  CHECK((r.edx & (1u << 9)) != 0);     // APIC: the machine wires one per CPU (docs/smp.md)
  CHECK((r.edx & (1u << 23)) != 0);     // MMX (cpu/simd)
  CHECK((r.edx & (3u << 25)) == (3u << 25));  // SSE, SSE2 (cpu/simd)
  CHECK((r.edx & (1u << 6)) != 0);      // PAE
  CHECK((r.edx & (1u << 13)) != 0);     // PGE
  CHECK((r.edx & (1u << 11)) != 0);     // SEP
  CHECK((cpuid(f.v, 2, 0).eax & 0xFF) == 1);
  r = cpuid(f.v, 0x40000000, 0);
  CHECK(r.eax == 0x40000001u);
  CHECK(regs_str({r.ebx, r.ecx, r.edx}) == "vmlabvmlab  ");
  f.v.technique_id = 3;
  CHECK(cpuid(f.v, 0x40000001, 0).eax == 3);
  CHECK(cpuid(f.v, 0x80000000, 0).eax == 0x80000004u);
  CHECK((cpuid(f.v, 0x80000001, 0).edx & (1u << 20)) != 0);  // NX
  std::string brand;
  for (uint32_t l = 0x80000002; l <= 0x80000004; ++l) {
    r = cpuid(f.v, l, 0);
    brand += regs_str({r.eax, r.ebx, r.ecx, r.edx});
  }
  CHECK(std::string(brand.c_str()) == "vmlab virtual i686 CPU");
}

TEST_CASE("pm_msr_reads_writes_and_unknown_gp") {
  PmFixture f;
  Vcpu& v = f.v;
  uint64_t x = 0;
  v.s.instructions_retired = 1000;
  CHECK(!write_msr(v, 0x10, 5000));
  v.s.instructions_retired = 1500;
  CHECK(!read_msr(v, 0x10, x));
  CHECK(x == 5500);
  CHECK(!write_msr(v, 0x174, 0x10));
  CHECK(!read_msr(v, 0x174, x));
  CHECK(x == 0x10);
  CHECK(!read_msr(v, 0xFE, x));
  CHECK((x & 0xFF) == 8);
  CHECK(write_msr(v, 0xFE, 0).vector == kGP);  // MTRRcap is read-only
  CHECK(write_msr(v, 0x277, 0x0202020202020202ull).vector == kGP);  // type 2 is invalid
  CHECK(!write_msr(v, 0x277, 0x0007010600070106ull));
  CHECK(!read_msr(v, 0x277, x));
  CHECK(x == 0x0007010600070106ull);
  CHECK(write_msr(v, 0xC0000080, 1).vector == kGP);  // SCE not supported
  CHECK(!write_msr(v, 0xC0000080, EFER_NXE));
  CHECK(v.s.msr.efer == EFER_NXE);
  CHECK(!write_msr(v, 0x201, 0xFFF000800ull));        // variable mask with V
  CHECK(write_msr(v, 0x201, 1ull << 40).vector == kGP);
  CHECK(!read_msr(v, 0x1B, x));
  CHECK(x == 0xFEE00900u);
  CHECK(read_msr(v, 0x12345, x).vector == kGP);
  CHECK(write_msr(v, 0x12345, 0).vector == kGP);
  CHECK(!write_msr(v, 0x8B, 0));
  CHECK(!read_msr(v, 0x8B, x));
}
