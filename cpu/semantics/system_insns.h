// System instructions (SDM Vol. 2/3: CLI STI HLT LGDT LIDT SGDT SIDT LLDT SLDT LTR STR SMSW LMSW
// CLTS INVD WBINVD INVLPG MOV CRn/DRn LAR LSL VERR VERW ARPL CPUID RDTSC RDMSR WRMSR RDPMC
// SYSENTER SYSEXIT; the x87 escapes and FWAIT are in x87.h). Privilege checks are here;
// the register and descriptor work is in cpu/protected_mode.h.
#pragma once
#include "cpu/operands.h"
#include "cpu/protected_mode.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

// CPL 0 required (protected mode; V86 runs at CPL 3). Real mode is always privileged.
inline Fault require_cpl0(const CpuState& s) {
  return (protected_mode(s) && s.cpl != 0) ? fault_gp(0) : kNoFault;
}
// SLDT/STR/LLDT/LTR/LAR/LSL/VERR/VERW/ARPL are not recognised in real and V86 mode.
inline Fault require_protected_not_v86(const CpuState& s) {
  return (!protected_mode(s) || v86_mode(s)) ? fault_ud() : kNoFault;
}

// CLI (FA) / STI (FB), A = 0 / 1: protected mode needs CPL <= IOPL, V86 needs IOPL 3 (VME and
// PVI virtual interrupt flags are not modelled yet). STI blocks interrupts for one instruction.
template <typename, int A> Fault cli_sti(Vcpu& v, const Insn&) {
  CpuState& s = v.s;
  if (protected_mode(s) && s.cpl > iopl(s)) return fault_gp(0);
  if (A) {
    if (!(s.eflags & IF)) s.events.interrupt_shadow = 1;
    s.eflags |= IF;
  } else {
    s.eflags &= ~IF;
  }
  return kNoFault;
}
// HLT (F4)
template <typename, int> Fault hlt(Vcpu& v, const Insn&) {
  VMLAB_TRY(require_cpl0(v.s));
  v.s.events.halted = 1;
  ++v.counters.halts;
  return kNoFault;
}
// LGDT/LIDT m (0F 01 /2 /3): a 16-bit operand size keeps 24 bits of the base.
template <typename, int A> Fault lgdt_lidt(Vcpu& v, const Insn& i) {
  if (!i.is_mem) return fault_ud();
  VMLAB_TRY(require_cpl0(v.s));
  const uint32_t a = effective_address(v.s, i);
  uint16_t limit;
  uint32_t base;
  VMLAB_TRY(read_mem<uint16_t>(v, i.seg, a, limit));
  VMLAB_TRY(read_mem<uint32_t>(v, i.seg, (a + 2) & addr_mask(i), base));
  if (!i.op32) base &= 0xFFFFFF;
  DescriptorTableReg& r = A ? v.s.idtr : v.s.gdtr;
  r.base = base;
  r.limit = limit;
  return kNoFault;
}
// SGDT/SIDT m (0F 01 /0 /1): not privileged (a sensitive instruction for the classifier).
template <typename, int A> Fault sgdt_sidt(Vcpu& v, const Insn& i) {
  if (!i.is_mem) return fault_ud();
  const DescriptorTableReg& r = A ? v.s.idtr : v.s.gdtr;
  const uint32_t a = effective_address(v.s, i);
  VMLAB_TRY(probe_write_mem(v, i.seg, a, 2));
  VMLAB_TRY(probe_write_mem(v, i.seg, (a + 2) & addr_mask(i), 4));
  VMLAB_TRY(write_mem<uint16_t>(v, i.seg, a, r.limit));
  return write_mem<uint32_t>(v, i.seg, (a + 2) & addr_mask(i), i.op32 ? r.base : (r.base & 0xFFFFFF));
}
// SLDT (0F 00 /0), STR (0F 00 /1). A = 0 / 1.
template <typename, int A> Fault sldt_str(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_protected_not_v86(v.s));
  const uint16_t sel = A ? v.s.tr.selector : v.s.ldtr.selector;
  if (!i.is_mem && i.op32) { v.s.gpr[i.rm] = sel; return kNoFault; }
  return write_E<uint16_t>(v, i, sel);
}
// LLDT (0F 00 /2), LTR (0F 00 /3). A = 0 / 1.
template <typename, int A> Fault lldt_ltr(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_protected_not_v86(v.s));
  VMLAB_TRY(require_cpl0(v.s));
  uint16_t sel;
  VMLAB_TRY(read_E<uint16_t>(v, i, sel));
  return A ? load_tr(v, sel) : load_ldtr(v, sel);
}
// VERR (0F 00 /4), VERW (0F 00 /5). A = 0 / 1.
template <typename, int A> Fault verr_verw(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_protected_not_v86(v.s));
  uint16_t sel;
  VMLAB_TRY(read_E<uint16_t>(v, i, sel));
  bool ok = false;
  VMLAB_TRY(verify_segment(v, sel, A != 0, ok));
  update_flags(v.s.lazy, ZF, ok ? ZF : 0);
  return kNoFault;
}
// LAR (0F 02), LSL (0F 03). A = 0 / 1.
template <typename T, int A> Fault lar_lsl(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_protected_not_v86(v.s));
  uint16_t sel;
  VMLAB_TRY(read_E<uint16_t>(v, i, sel));
  uint32_t value = 0;
  bool ok = false;
  VMLAB_TRY(A ? load_segment_limit(v, sel, value, ok) : load_access_rights(v, sel, value, ok));
  if (ok) set_reg<T>(v.s, i.reg, T(value));
  update_flags(v.s.lazy, ZF, ok ? ZF : 0);
  return kNoFault;
}
// ARPL r/m16, r16 (63)
template <typename, int> Fault arpl(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_protected_not_v86(v.s));
  uint16_t d;
  VMLAB_TRY(read_E<uint16_t>(v, i, d));
  const uint16_t s = get_reg<uint16_t>(v.s, i.reg);
  if ((d & 3) < (s & 3)) {
    VMLAB_TRY(write_E<uint16_t>(v, i, uint16_t((d & ~3u) | (s & 3))));
    update_flags(v.s.lazy, ZF, ZF);
  } else {
    update_flags(v.s.lazy, ZF, 0);
  }
  return kNoFault;
}
// SMSW r/m (0F 01 /4): a register destination gets all of CR0 with 32-bit operand size.
template <typename, int> Fault smsw(Vcpu& v, const Insn& i) {
  if (!i.is_mem && i.op32) { v.s.gpr[i.rm] = v.s.cr0; return kNoFault; }
  return write_E<uint16_t>(v, i, uint16_t(v.s.cr0));
}
// LMSW r/m16 (0F 01 /6): changes PE MP EM TS only, and cannot clear PE.
template <typename, int> Fault lmsw(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_cpl0(v.s));
  uint16_t w;
  VMLAB_TRY(read_E<uint16_t>(v, i, w));
  const uint32_t cr0 = v.s.cr0;
  return write_cr(v, 0, (cr0 & ~0xEu) | (w & 0xE) | ((cr0 | w) & CR0_PE));
}
// CLTS (0F 06)
template <typename, int> Fault clts(Vcpu& v, const Insn&) {
  VMLAB_TRY(require_cpl0(v.s));
  return write_cr(v, 0, v.s.cr0 & ~CR0_TS);
}
// INVD (0F 08), WBINVD (0F 09): caches are not modelled; only the privilege check remains.
template <typename, int> Fault invd(Vcpu& v, const Insn&) { return require_cpl0(v.s); }
// INVLPG m (0F 01 /7)
template <typename, int> Fault invlpg(Vcpu& v, const Insn& i) {
  if (!i.is_mem) return fault_ud();
  VMLAB_TRY(require_cpl0(v.s));
  v.tlb.flush_page(v.s.seg[i.seg].base + effective_address(v.s, i));
  ++v.mmu.counters.tlb_flushes_page;
  return kNoFault;
}
// MOV r32, CRn (0F 20), MOV CRn, r32 (0F 22), MOV r32, DRn (0F 21), MOV DRn, r32 (0F 23).
// The mod field is ignored: these always name registers. A = 0 read CR, 1 write CR, 2 read DR,
// 3 write DR.
template <typename, int A> Fault mov_cr_dr(Vcpu& v, const Insn& i) {
  VMLAB_TRY(require_cpl0(v.s));
  if constexpr (A == 0) return read_cr(v, i.reg, v.s.gpr[i.rm]);
  else if constexpr (A == 1) return write_cr(v, i.reg, v.s.gpr[i.rm]);
  else if constexpr (A == 2) return read_dr(v, i.reg, v.s.gpr[i.rm]);
  else return write_dr(v, i.reg, v.s.gpr[i.rm]);
}
// CPUID (0F A2)
template <typename, int> Fault cpuid_insn(Vcpu& v, const Insn&) {
  const CpuidResult r = cpuid(v, v.s.gpr[EAX], v.s.gpr[ECX]);
  v.s.gpr[EAX] = r.eax; v.s.gpr[EBX] = r.ebx; v.s.gpr[ECX] = r.ecx; v.s.gpr[EDX] = r.edx;
  return kNoFault;
}
// RDTSC (0F 31): tsc_ticks() (host time, or retired instructions with the deterministic clock)
// plus the offset; CR4.TSD makes it CPL 0.
template <typename, int> Fault rdtsc(Vcpu& v, const Insn&) {
  if ((v.s.cr4 & CR4_TSD) && protected_mode(v.s) && v.s.cpl != 0) return fault_gp(0);
  const uint64_t t = tsc_ticks(v) + v.s.msr.tsc_offset;
  v.s.gpr[EAX] = uint32_t(t);
  v.s.gpr[EDX] = uint32_t(t >> 32);
  return kNoFault;
}
// RDMSR (0F 32), WRMSR (0F 30). A = 0 / 1.
template <typename, int A> Fault rdmsr_wrmsr(Vcpu& v, const Insn&) {
  VMLAB_TRY(require_cpl0(v.s));
  if (A) return write_msr(v, v.s.gpr[ECX], (uint64_t(v.s.gpr[EDX]) << 32) | v.s.gpr[EAX]);
  uint64_t x = 0;
  VMLAB_TRY(read_msr(v, v.s.gpr[ECX], x));
  v.s.gpr[EAX] = uint32_t(x);
  v.s.gpr[EDX] = uint32_t(x >> 32);
  return kNoFault;
}
// RDPMC (0F 33): CPL 0 or CR4.PCE; P6 has counters 0 and 1. Performance events are not
// modelled, so both count 0.
template <typename, int> Fault rdpmc(Vcpu& v, const Insn&) {
  if (!(v.s.cr4 & CR4_PCE) && protected_mode(v.s) && v.s.cpl != 0) return fault_gp(0);
  if (v.s.gpr[ECX] > 1) return fault_gp(0);
  v.s.gpr[EAX] = 0;
  v.s.gpr[EDX] = 0;
  return kNoFault;
}

// Flat 4 GiB segment caches that SYSENTER/SYSEXIT load without reading descriptors.
inline SegmentCache flat_segment(uint16_t sel, bool code, unsigned dpl) {
  SegmentCache c;
  c.selector = sel;
  c.base = 0;
  c.limit = 0xFFFFFFFF;
  c.attr = uint16_t((code ? 0x9B : 0x93) | (dpl << 5) | SEG_DB | SEG_G);
  return c;
}
// SYSENTER (0F 34): to CPL 0 at SYSENTER_CS:SYSENTER_EIP with SS = CS + 8.
template <typename, int> Fault sysenter(Vcpu& v, const Insn&) {
  CpuState& s = v.s;
  const uint16_t cs = uint16_t(s.msr.sysenter_cs);
  if (!protected_mode(s) || (cs & 0xFFFC) == 0) return fault_gp(0);
  s.eflags &= ~(VM | IF | RF);
  s.seg[CS] = flat_segment(cs & 0xFFFC, true, 0);
  s.seg[SS] = flat_segment(uint16_t((cs & 0xFFFC) + 8), false, 0);
  s.cpl = 0;
  s.gpr[ESP] = uint32_t(s.msr.sysenter_esp);
  s.eip = uint32_t(s.msr.sysenter_eip);
  return kNoFault;
}
// SYSEXIT (0F 35): to CPL 3 at ECX:EDX with CS = SYSENTER_CS + 16, SS = + 24.
template <typename, int> Fault sysexit(Vcpu& v, const Insn&) {
  CpuState& s = v.s;
  const uint16_t cs = uint16_t(s.msr.sysenter_cs);
  if (!protected_mode(s) || v86_mode(s) || s.cpl != 0 || (cs & 0xFFFC) == 0) return fault_gp(0);
  s.seg[CS] = flat_segment(uint16_t((cs + 16) | 3), true, 3);
  s.seg[SS] = flat_segment(uint16_t((cs + 24) | 3), false, 3);
  s.cpl = 3;
  s.gpr[ESP] = s.gpr[ECX];
  s.eip = s.gpr[EDX];
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
