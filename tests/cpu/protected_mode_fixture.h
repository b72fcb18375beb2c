// Test fixture for the protected-mode services: a 2 MiB guest with a GDT, IDT and TSSs built
// in memory (paging off, so linear = physical) and a Vcpu in flat 32-bit ring 0.
//
//   PmFixture f;
//   f.enter_ring0();
//   CHECK(!load_segment(f.v, DS, PmFixture::kData0));
#pragma once
#include <cstdint>
#include <cstring>
#include "cpu/cpu_state.h"
#include "cpu/descriptor.h"
#include "cpu/flags.h"
#include "cpu/protected_mode.h"
#include "cpu/vcpu.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"

#include <doctest/doctest.h>

namespace vmlab::cpu::test {

struct PmFixture {
  static constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000;
  static constexpr uint32_t kTssA = 0x10000, kTssB = 0x12000, kTssDf = 0x13000, kTss16 = 0x14000;
  static constexpr uint32_t kStack0 = 0x20000, kStack3 = 0x30000, kStackDf = 0x40000;
  // GDT selectors.
  static constexpr uint16_t kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1B, kData3 = 0x23,
                            kTssASel = 0x28, kTssBSel = 0x30, kCallGate = 0x3B, kTaskGateB = 0x40,
                            kNotPresent = 0x48, kCodeConf = 0x50, kTssDfSel = 0x58,
                            kExecOnly = 0x60, kTss16Sel = 0x68, kCode16 = 0x70;

  machine::GuestMemory mem{2u << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  Vcpu v{mem, io, mmio};

  static uint64_t seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    return (uint64_t(limit & 0xFFFF)) | (uint64_t(base & 0xFFFFFF) << 16) |
           (uint64_t(access) << 40) | (uint64_t((limit >> 16) & 0xF) << 48) |
           (uint64_t(flags & 0xF) << 52) | (uint64_t(base >> 24) << 56);
  }
  static uint64_t gate(uint16_t sel, uint32_t off, uint8_t type, unsigned dpl, unsigned params = 0) {
    return uint64_t(off & 0xFFFF) | (uint64_t(sel) << 16) | (uint64_t(params & 0x1F) << 32) |
           (uint64_t(0x80 | (dpl << 5) | type) << 40) | (uint64_t(off >> 16) << 48);
  }

  void w8(uint32_t pa, uint8_t x) { std::memcpy(mem.ram_base() + pa, &x, 1); }
  void w16(uint32_t pa, uint16_t x) { std::memcpy(mem.ram_base() + pa, &x, 2); }
  void w32(uint32_t pa, uint32_t x) { std::memcpy(mem.ram_base() + pa, &x, 4); }
  void w64(uint32_t pa, uint64_t x) { std::memcpy(mem.ram_base() + pa, &x, 8); }
  uint8_t r8(uint32_t pa) { uint8_t x; std::memcpy(&x, mem.ram_base() + pa, 1); return x; }
  uint16_t r16(uint32_t pa) { uint16_t x; std::memcpy(&x, mem.ram_base() + pa, 2); return x; }
  uint32_t r32(uint32_t pa) { uint32_t x; std::memcpy(&x, mem.ram_base() + pa, 4); return x; }
  uint64_t r64(uint32_t pa) { uint64_t x; std::memcpy(&x, mem.ram_base() + pa, 8); return x; }

  void set_gdt(uint16_t sel, uint64_t d) { w64(kGdt + (sel & 0xFFF8), d); }
  void set_idt(uint8_t vec, uint64_t d) { w64(kIdt + vec * 8u, d); }
  uint8_t gdt_access(uint16_t sel) { return r8(kGdt + (sel & 0xFFF8) + 5); }

  // A 32-bit TSS image: ESP0/SS0, the task's registers, I/O bitmap base past the end.
  void make_tss32(uint32_t base, uint32_t eip, uint32_t esp, uint16_t cs, uint16_t ss,
                  uint16_t ds, uint32_t eflags = 0x2) {
    std::memset(mem.ram_base() + base, 0, 0x68);
    w32(base + 0x04, kStack0);
    w16(base + 0x08, kData0);
    w32(base + 0x20, eip);
    w32(base + 0x24, eflags);
    w32(base + 0x38, esp);
    w16(base + 0x48, ds);  // ES
    w16(base + 0x4C, cs);
    w16(base + 0x50, ss);
    w16(base + 0x54, ds);
    w16(base + 0x66, 0x68);
  }

  PmFixture() {
    reset_cpu_state(v.s);
    std::memset(mem.ram_base(), 0, 0x50000);
    set_gdt(kCode0, seg(0, 0xFFFFF, 0x9A, 0xC));
    set_gdt(kData0, seg(0, 0xFFFFF, 0x92, 0xC));
    set_gdt(kCode3, seg(0, 0xFFFFF, 0xFA, 0xC));
    set_gdt(kData3, seg(0, 0xFFFFF, 0xF2, 0xC));
    set_gdt(kTssASel, seg(kTssA, 0x67 + 0x2001, 0x89, 0));  // with an I/O bitmap of 64K ports
    set_gdt(kTssBSel, seg(kTssB, 0x67, 0x89, 0));
    set_gdt(kCallGate, gate(kCode0, 0x5000, kCallGate32, 3, 2));
    set_gdt(kTaskGateB, gate(kTssBSel, 0, kTaskGate, 3));
    set_gdt(kNotPresent, seg(0, 0xFFFF, 0x12, 0));          // data, P = 0
    set_gdt(kCodeConf, seg(0, 0xFFFFF, 0x9E, 0xC));          // conforming readable, DPL 0
    set_gdt(kTssDfSel, seg(kTssDf, 0x67, 0x89, 0));
    set_gdt(kExecOnly, seg(0, 0xFFFFF, 0x98, 0xC));          // execute-only code
    set_gdt(kTss16Sel, seg(kTss16, 0x2B, 0x81, 0));          // 16-bit TSS
    set_gdt(kCode16, seg(0x8000, 0xFFFF, 0x9A, 0));          // 16-bit code, DPL 0
    make_tss32(kTssA, 0, 0, kCode0, kData0, kData0);
    make_tss32(kTssB, 0x7000, 0x28000, kCode0, kData0, kData0);
    make_tss32(kTssDf, 0x7100, kStackDf, kCode0, kData0, kData0);
  }

  // Flat 32-bit ring 0 with TR = TSS A, as an OS would be after boot.
  void enter_ring0() {
    CpuState& s = v.s;
    s.cr0 |= CR0_PE;
    s.gdtr = {kGdt, 0x7F};
    s.idtr = {kIdt, 0x7FF};
    s.seg[CS] = cache_from_descriptor(kCode0, Descriptor{r64(kGdt + kCode0)});
    for (uint8_t r : {ES, SS, DS, FS, GS}) s.seg[r] = cache_from_descriptor(kData0, Descriptor{r64(kGdt + kData0)});
    s.cpl = 0;
    s.gpr[ESP] = kStack0;
    set_gdt(kTssASel, seg(kTssA, 0x67 + 0x2001, 0x89, 0));  // available again
    REQUIRE(!load_tr(v, kTssASel));
  }

  // Ring 3 flat, as after an IRET to user mode.
  void enter_ring3() {
    enter_ring0();
    CpuState& s = v.s;
    s.seg[CS] = cache_from_descriptor(kCode3, Descriptor{r64(kGdt + (kCode3 & 0xFFF8))});
    for (uint8_t r : {ES, SS, DS, FS, GS}) s.seg[r] = cache_from_descriptor(kData3, Descriptor{r64(kGdt + (kData3 & 0xFFF8))});
    s.cpl = 3;
    s.gpr[ESP] = kStack3;
    write_eflags(s, 0x202);
  }
};

}  // namespace vmlab::cpu::test
