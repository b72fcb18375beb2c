// Model-specific registers (SDM Vol. 4) as a P6 answers them: TSC, APIC_BASE, SYSENTER_*,
// MTRRs, PAT, EFER (NXE only), MISC_ENABLE, PLATFORM_ID, BIOS_SIGN_ID, and the read-only vmlab
// MSRs 0x40000020-0x40000022 (docs/guest_interface.md). Anything else is #GP(0), as is a write
// of a reserved bit.
#include <chrono>

#include "cpu/cpu_model.h"
#include "cpu/protected_mode.h"
#include "cpu/vcpu.h"

namespace vmlab::cpu {
namespace {

enum : uint32_t {
  kMsrTsc = 0x10, kMsrPlatformId = 0x17, kMsrApicBase = 0x1B, kMsrBiosSignId = 0x8B,
  kMsrMtrrCap = 0xFE, kMsrSysenterCs = 0x174, kMsrSysenterEsp = 0x175,
  kMsrSysenterEip = 0x176, kMsrMiscEnable = 0x1A0, kMsrMtrrVarFirst = 0x200,
  kMsrMtrrVarLast = 0x20F, kMsrMtrrFix64k = 0x250, kMsrMtrrFix16k80 = 0x258,
  kMsrMtrrFix16kA0 = 0x259, kMsrMtrrFix4kFirst = 0x268, kMsrMtrrFix4kLast = 0x26F,
  kMsrPat = 0x277, kMsrMtrrDefType = 0x2FF, kMsrEfer = 0xC0000080,
  // vmlab's own, in the range reserved for hypervisors (docs/guest_interface.md): read-only.
  kMsrVmlabHostNs = 0x40000020, kMsrVmlabInsns = 0x40000021, kMsrVmlabExits = 0x40000022,
};

constexpr uint64_t kPhysMask = ((1ull << kCpuPhysAddrBits) - 1) & ~0xFFFull;

// Index into MsrState::mtrr_fixed, or -1.
int fixed_mtrr_index(uint32_t index) {
  if (index == kMsrMtrrFix64k) return 0;
  if (index == kMsrMtrrFix16k80) return 1;
  if (index == kMsrMtrrFix16kA0) return 2;
  if (index >= kMsrMtrrFix4kFirst && index <= kMsrMtrrFix4kLast) return int(index - kMsrMtrrFix4kFirst) + 3;
  return -1;
}

bool valid_mtrr_type(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }
bool valid_pat_type(uint64_t t) { return valid_mtrr_type(t) || t == 7; }

bool every_byte(uint64_t value, bool (*ok)(uint64_t)) {
  for (unsigned i = 0; i < 8; ++i)
    if (!ok((value >> (i * 8)) & 0xFF)) return false;
  return true;
}

}  // namespace

Fault read_msr(Vcpu& v, uint32_t index, uint64_t& value) {
  const MsrState& m = v.s.msr;
  if (int i = fixed_mtrr_index(index); i >= 0) {
    value = m.mtrr_fixed[i];
    return kNoFault;
  }
  if (index >= kMsrMtrrVarFirst && index <= kMsrMtrrVarLast) {
    value = m.mtrr_var[index - kMsrMtrrVarFirst];
    return kNoFault;
  }
  switch (index) {
    case kMsrTsc: value = tsc_ticks(v) + m.tsc_offset; return kNoFault;
    case kMsrPlatformId: value = 0; return kNoFault;
    case kMsrApicBase: value = m.apic_base; return kNoFault;
    case kMsrBiosSignId: value = 0; return kNoFault;  // microcode revision 0 in EDX
    case kMsrMtrrCap: value = 0x508; return kNoFault;  // WC, fixed ranges, 8 variable
    case kMsrSysenterCs: value = m.sysenter_cs; return kNoFault;
    case kMsrSysenterEsp: value = m.sysenter_esp; return kNoFault;
    case kMsrSysenterEip: value = m.sysenter_eip; return kNoFault;
    case kMsrMiscEnable: value = m.misc_enable; return kNoFault;
    case kMsrPat: value = m.pat; return kNoFault;
    case kMsrMtrrDefType: value = m.mtrr_def_type; return kNoFault;
    case kMsrEfer: value = m.efer; return kNoFault;
    // Host time, so guest benchmarks are not distorted by the guest's virtual clock.
    case kMsrVmlabHostNs:
      value = uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now().time_since_epoch()).count());
      return kNoFault;
    case kMsrVmlabInsns: value = v.s.instructions_retired; return kNoFault;
    // The interpreter never leaves guest execution for an exit handler: 0. A core with exits
    // (KVM) answers this MSR itself; others do not have the counter yet: #GP, "unknown".
    case kMsrVmlabExits:
      if (v.technique_id != kTechniqueInterp && v.technique_id != kTechniqueBt) return fault_gp(0);
      value = 0;
      return kNoFault;
    default: return fault_gp(0);
  }
}

Fault write_msr(Vcpu& v, uint32_t index, uint64_t value) {
  MsrState& m = v.s.msr;
  if (int i = fixed_mtrr_index(index); i >= 0) {
    if (!every_byte(value, valid_mtrr_type)) return fault_gp(0);
    m.mtrr_fixed[i] = value;
    return kNoFault;
  }
  if (index >= kMsrMtrrVarFirst && index <= kMsrMtrrVarLast) {
    const bool is_mask = (index - kMsrMtrrVarFirst) & 1;
    const uint64_t allowed = is_mask ? (kPhysMask | (1ull << 11)) : (kPhysMask | 0xFF);
    if (value & ~allowed) return fault_gp(0);
    if (!is_mask && !valid_mtrr_type(value & 0xFF)) return fault_gp(0);
    m.mtrr_var[index - kMsrMtrrVarFirst] = value;
    return kNoFault;
  }
  switch (index) {
    case kMsrTsc:
      // Unsigned wrap-around is intended: TSC = tsc_ticks + offset (mod 2^64).
      m.tsc_offset = value - tsc_ticks(v);
      return kNoFault;
    case kMsrApicBase:
      // BSP (bit 8) is read-only; EN (bit 11) and the base are writable.
      if (value & ~(kPhysMask | (1ull << 8) | (1ull << 11))) return fault_gp(0);
      m.apic_base = (value & ~(1ull << 8)) | (m.apic_base & (1ull << 8));
      return kNoFault;
    case kMsrBiosSignId: return kNoFault;  // writing 0 before CPUID is how software reads it
    case kMsrSysenterCs: m.sysenter_cs = value & 0xFFFF; return kNoFault;
    case kMsrSysenterEsp: m.sysenter_esp = value & 0xFFFFFFFFu; return kNoFault;
    case kMsrSysenterEip: m.sysenter_eip = value & 0xFFFFFFFFu; return kNoFault;
    case kMsrMiscEnable: m.misc_enable = value; return kNoFault;
    case kMsrPat:
      if (!every_byte(value, valid_pat_type)) return fault_gp(0);
      m.pat = value;
      return kNoFault;
    case kMsrMtrrDefType:
      if ((value & ~0xCFFull) || !valid_mtrr_type(value & 0xFF)) return fault_gp(0);
      m.mtrr_def_type = value;
      return kNoFault;
    case kMsrEfer:
      if (value & ~EFER_NXE) return fault_gp(0);
      if ((m.efer ^ value) & EFER_NXE) {
        v.tlb.flush_all();  // NX changes the meaning of cached translations
        v.mmu.counters.tlb_flushes_full++;
      }
      m.efer = value;
      return kNoFault;
    default:
      return fault_gp(0);  // includes MTRRcap, PLATFORM_ID: read-only
  }
}

}  // namespace vmlab::cpu
