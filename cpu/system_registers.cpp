// System registers and descriptor-table instructions: MOV to/from CRn and DRn, LLDT, LTR,
// LAR, LSL, VERR, VERW (SDM Vol. 2 and Vol. 3 2.5, 17.2). The instruction handlers do the
// CPL/mode checks (#GP(0) at CPL > 0, #UD in real/V86 mode for LLDT..VERW); these functions
// do the register- and descriptor-level work.
#include "cpu/descriptor.h"
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"

namespace vmlab::cpu {

void flush_tlb_all(Vcpu& v) {
  v.tlb.flush_all();
  v.mmu.counters.tlb_flushes_full++;
}

void flush_tlb_for_cr3_load(Vcpu& v) {
  // With CR4.PGE, translations of global pages survive a CR3 load (SDM Vol. 3, 4.10.4.1).
  if (v.s.cr4 & CR4_PGE) v.tlb.flush_nonglobal();
  else v.tlb.flush_all();
  v.mmu.counters.tlb_flushes_full++;
}

namespace {

// CR0 bits a P6 implements; the other bits of the low 32 are reserved and writes ignore them.
constexpr uint32_t kCr0Writable = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_WP |
                                  CR0_AM | CR0_NW | CR0_CD | CR0_PG;
constexpr uint32_t kCr0PagingBits = CR0_PG | CR0_WP | CR0_PE;
// CR4 bits for features the CPU model advertises (cpuid.cpp): anything else is #GP(0).
// OSFXSR (FXSR) and OSXMMEXCPT (SSE): the OS's promises that cpu/simd checks.
constexpr uint32_t kCr4Supported = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE |
                                   CR4_OSFXSR | CR4_OSXMMEXCPT;
constexpr uint32_t kCr4PagingBits = CR4_PSE | CR4_PAE | CR4_PGE;

}  // namespace

Fault write_cr(Vcpu& v, unsigned n, uint32_t value) {
  CpuState& s = v.s;
  switch (n) {
    case 0: {
      uint32_t nv = (value & kCr0Writable) | CR0_ET;  // ET is hardwired to 1 on a P6
      if ((nv & CR0_PG) && !(nv & CR0_PE)) return fault_gp(0);
      if ((nv & CR0_NW) && !(nv & CR0_CD)) return fault_gp(0);
      uint32_t changed = nv ^ s.cr0;
      s.cr0 = nv;
      if (!(nv & CR0_PE)) s.cpl = 0;
      if (changed & kCr0PagingBits) flush_tlb_all(v);
      return kNoFault;
    }
    case 2:
      s.cr2 = value;
      return kNoFault;
    case 3:
      s.cr3 = value;
      flush_tlb_for_cr3_load(v);
      return kNoFault;
    case 4: {
      if (value & ~kCr4Supported) return fault_gp(0);
      uint32_t changed = value ^ s.cr4;
      s.cr4 = value;
      if (changed & kCr4PagingBits) flush_tlb_all(v);
      return kNoFault;
    }
    default:
      return fault_ud();
  }
}

Fault read_cr(Vcpu& v, unsigned n, uint32_t& value) {
  const CpuState& s = v.s;
  switch (n) {
    case 0: value = s.cr0; return kNoFault;
    case 2: value = s.cr2; return kNoFault;
    case 3: value = s.cr3; return kNoFault;
    case 4: value = s.cr4; return kNoFault;
    default: return fault_ud();
  }
}

// DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD (SDM 17.2.2).
static Fault map_dr(const CpuState& s, unsigned& n) {
  if (n > 7) return fault_ud();
  if (n == 4 || n == 5) {
    if (s.cr4 & CR4_DE) return fault_ud();
    n += 2;
  }
  return kNoFault;
}

Fault write_dr(Vcpu& v, unsigned n, uint32_t value) {
  VMLAB_TRY(map_dr(v.s, n));
  // Reserved bits read as the P6 fixes them: DR6 bits 4-11 and 16-31 set, bit 12 clear;
  // DR7 bit 10 set, bits 11, 12, 14, 15 clear. (DR7.GD general-detect is not implemented.)
  if (n == 6) value = (value & 0x0000E00Fu) | 0xFFFF0FF0u;
  else if (n == 7) value = (value & 0xFFFF23FFu) | 0x400u;
  v.s.dr[n] = value;
  if (n >= 6) v.s.dr[n - 2] = value;  // keep the alias slots in step
  return kNoFault;
}

Fault read_dr(Vcpu& v, unsigned n, uint32_t& value) {
  VMLAB_TRY(map_dr(v.s, n));
  value = v.s.dr[n];
  return kNoFault;
}

Fault load_ldtr(Vcpu& v, uint16_t sel) {
  CpuState& s = v.s;
  if ((sel & 0xFFFC) == 0) {
    s.ldtr = null_segment(sel);
    return kNoFault;
  }
  const uint32_t err = sel_error(sel);
  if (sel & 4) return fault_gp(err);
  Descriptor d;
  VMLAB_TRY(fetch_descriptor(v, sel, d));
  if (d.s() || d.type() != kLdt) return fault_gp(err);
  if (!d.present()) return fault_np(err);
  s.ldtr = cache_from_descriptor(sel, d);
  return kNoFault;
}

Fault load_tr(Vcpu& v, uint16_t sel) {
  CpuState& s = v.s;
  if ((sel & 0xFFFC) == 0) return fault_gp(0);
  const uint32_t err = sel_error(sel);
  if (sel & 4) return fault_gp(err);
  Descriptor d;
  VMLAB_TRY(fetch_descriptor(v, sel, d));
  if (d.s() || (d.type() != kTss16Avail && d.type() != kTss32Avail)) return fault_gp(err);
  if (!d.present()) return fault_np(err);
  VMLAB_TRY(write_descriptor_type(v, sel, d, d.type() | 2u));
  s.tr = cache_from_descriptor(sel, d);
  return kNoFault;
}

namespace {

// LAR/LSL/VERR/VERW never fault on a bad selector: they clear ZF. Page faults on the table
// read still happen.
Fault probe_descriptor(Vcpu& v, uint16_t sel, Descriptor& d, bool& found) {
  found = false;
  if ((sel & 0xFFFC) == 0) return kNoFault;
  Fault f = fetch_descriptor(v, sel, d);
  if (f.vector == kGP) return kNoFault;  // beyond the table limit
  VMLAB_TRY(f);
  found = true;
  return kNoFault;
}

// The privilege rule the four instructions share: conforming code is always visible,
// everything else needs DPL >= CPL and DPL >= RPL.
bool visible(const CpuState& s, uint16_t sel, const Descriptor& d) {
  if (d.conforming()) return true;
  return d.dpl() >= s.cpl && d.dpl() >= (sel & 3u);
}

}  // namespace

Fault load_access_rights(Vcpu& v, uint16_t sel, uint32_t& value, bool& ok) {
  Descriptor d;
  VMLAB_TRY(probe_descriptor(v, sel, d, ok));
  if (!ok) return kNoFault;
  if (!d.s()) {
    switch (d.type()) {
      case kTss16Avail: case kLdt: case kTss16Busy: case kCallGate16: case kTaskGate:
      case kTss32Avail: case kTss32Busy: case kCallGate32: break;
      default: ok = false; return kNoFault;
    }
  }
  ok = visible(v.s, sel, d);
  if (ok) value = uint32_t(d.raw >> 32) & 0x00F0FF00u;
  return kNoFault;
}

Fault load_segment_limit(Vcpu& v, uint16_t sel, uint32_t& value, bool& ok) {
  Descriptor d;
  VMLAB_TRY(probe_descriptor(v, sel, d, ok));
  if (!ok) return kNoFault;
  if (!d.s()) {
    switch (d.type()) {
      case kTss16Avail: case kLdt: case kTss16Busy: case kTss32Avail: case kTss32Busy: break;
      default: ok = false; return kNoFault;
    }
  }
  ok = visible(v.s, sel, d);
  if (ok) value = d.limit();
  return kNoFault;
}

Fault verify_segment(Vcpu& v, uint16_t sel, bool write, bool& ok) {
  Descriptor d;
  VMLAB_TRY(probe_descriptor(v, sel, d, ok));
  if (!ok) return kNoFault;
  if (!d.s() || !visible(v.s, sel, d)) {
    ok = false;
    return kNoFault;
  }
  ok = write ? d.writable() : d.readable();
  return kNoFault;
}

}  // namespace vmlab::cpu
