// CpuState <-> KVM register structures (see kvm_state.h).
#include "kvm_backend/kvm_state.h"

#include <array>
#include <cstring>

#include "cpu/flags.h"

namespace vmlab::kvm_backend {

using cpu::CpuState;
using cpu::SegmentCache;

namespace {

// MSR numbers (SDM Vol. 4). Fixed-range MTRRs: 64K, 2 x 16K, 8 x 4K.
constexpr uint32_t kTsc = kMsrTsc, kSysenterCs = 0x174, kSysenterEsp = 0x175,
                   kSysenterEip = 0x176, kMiscEnable = 0x1A0, kPat = 0x277,
                   kMtrrDefType = 0x2FF, kMtrrVarBase = 0x200;
constexpr std::array<uint32_t, 11> kMtrrFixed = {0x250, 0x258, 0x259, 0x268, 0x269, 0x26A,
                                                 0x26B, 0x26C, 0x26D, 0x26E, 0x26F};

constexpr auto make_msr_list() {
  std::array<uint32_t, 7 + 11 + 16> l{};
  size_t n = 0;
  for (uint32_t i : {kSysenterCs, kSysenterEsp, kSysenterEip, kTsc, kPat, kMtrrDefType, kMiscEnable})
    l[n++] = i;
  for (uint32_t i : kMtrrFixed) l[n++] = i;
  for (uint32_t i = 0; i < 16; ++i) l[n++] = kMtrrVarBase + i;
  return l;
}
constexpr auto kMsrList = make_msr_list();
static_assert(kMsrList.size() <= kMaxMsrEntries);

// Where each listed MSR lives in CpuState (the TSC is special: an offset from the clock).
template <typename State>  // CpuState or const CpuState
auto* msr_slot(State& s, uint32_t index) {
  auto& m = s.msr;
  using Ptr = decltype(&m.pat);
  switch (index) {
    case kSysenterCs: return Ptr(&m.sysenter_cs);
    case kSysenterEsp: return Ptr(&m.sysenter_esp);
    case kSysenterEip: return Ptr(&m.sysenter_eip);
    case kPat: return Ptr(&m.pat);
    case kMtrrDefType: return Ptr(&m.mtrr_def_type);
    case kMiscEnable: return Ptr(&m.misc_enable);
    default: break;
  }
  for (size_t i = 0; i < kMtrrFixed.size(); ++i)
    if (index == kMtrrFixed[i]) return Ptr(&m.mtrr_fixed[i]);
  if (index >= kMtrrVarBase && index < kMtrrVarBase + 16) return Ptr(&m.mtrr_var[index - kMtrrVarBase]);
  return Ptr(nullptr);
}

// x87 register classes for the full tag word (SDM Vol. 1, 8.1.7).
constexpr uint16_t kTagValid = 0, kTagZero = 1, kTagSpecial = 2, kTagEmpty = 3;

uint16_t classify(const cpu::FpuReg& r) {
  const uint16_t exp = r.sign_exp & 0x7FFF;
  if (exp == 0x7FFF) return kTagSpecial;                          // infinity, NaN
  if (exp == 0) return r.mantissa == 0 ? kTagZero : kTagSpecial;  // zero, denormal
  return (r.mantissa >> 63) ? kTagValid : kTagSpecial;            // normal, unnormal
}

}  // namespace

std::span<const uint32_t> state_msr_indices() { return kMsrList; }

void prepare_msr_table(KvmVcpuState& k) {
  k.msrs.nmsrs = uint32_t(kMsrList.size());
  for (size_t i = 0; i < kMsrList.size(); ++i) k.msrs.entries[i] = kvm_msr_entry{kMsrList[i], 0, 0};
}

kvm_segment to_kvm_segment(const SegmentCache& c) {
  kvm_segment k{};
  k.base = c.base;
  k.limit = c.limit;
  k.selector = c.selector;
  k.type = c.attr & 0xF;
  k.s = (c.attr >> 4) & 1;
  k.dpl = (c.attr >> 5) & 3;
  k.present = (c.attr >> 7) & 1;
  k.avl = (c.attr >> 8) & 1;
  k.l = (c.attr >> 9) & 1;
  k.db = (c.attr >> 10) & 1;
  k.g = (c.attr >> 11) & 1;
  k.unusable = !k.present;
  return k;
}

SegmentCache from_kvm_segment(const kvm_segment& k) {
  SegmentCache c;
  c.base = uint32_t(k.base);
  c.limit = k.limit;
  c.selector = k.selector;
  c.attr = uint16_t((k.type & 0xF) | (k.s & 1) << 4 | (k.dpl & 3) << 5 | (k.present & 1) << 7 |
                    (k.avl & 1) << 8 | (k.l & 1) << 9 | (k.db & 1) << 10 | (k.g & 1) << 11);
  if (k.unusable) c.attr &= uint16_t(~cpu::SEG_P);
  return c;
}

uint8_t abridged_tag(uint16_t ftw) {
  uint8_t a = 0;
  for (unsigned i = 0; i < 8; ++i)
    if (((ftw >> (2 * i)) & 3) != kTagEmpty) a |= uint8_t(1u << i);
  return a;
}

uint16_t full_tag(uint8_t abridged, const cpu::FpuState& f) {
  uint16_t t = 0;
  for (unsigned i = 0; i < 8; ++i)
    t |= uint16_t(((abridged >> i) & 1 ? classify(f.st[i]) : kTagEmpty) << (2 * i));
  return t;
}

void to_kvm(const CpuState& s, KvmVcpuState& k, uint64_t tsc_ticks) {
  using namespace cpu;
  kvm_regs& r = k.regs;
  r = kvm_regs{};
  r.rax = s.gpr[EAX]; r.rcx = s.gpr[ECX]; r.rdx = s.gpr[EDX]; r.rbx = s.gpr[EBX];
  r.rsp = s.gpr[ESP]; r.rbp = s.gpr[EBP]; r.rsi = s.gpr[ESI]; r.rdi = s.gpr[EDI];
  r.rip = s.eip;
  r.rflags = read_eflags(s);

  kvm_sregs& sr = k.sregs;
  kvm_segment* segs[kNumSegRegs] = {&sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs};
  for (unsigned i = 0; i < kNumSegRegs; ++i) *segs[i] = to_kvm_segment(s.seg[i]);
  sr.ldt = to_kvm_segment(s.ldtr);
  sr.tr = to_kvm_segment(s.tr);
  sr.gdt = kvm_dtable{s.gdtr.base, s.gdtr.limit, {}};
  sr.idt = kvm_dtable{s.idtr.base, s.idtr.limit, {}};
  sr.cr0 = s.cr0; sr.cr2 = s.cr2; sr.cr3 = s.cr3; sr.cr4 = s.cr4;
  sr.efer = s.msr.efer;
  sr.apic_base = s.msr.apic_base;

  // The FXSAVE image: registers in stack order (ST(0) first), the 32-bit format's FIP/FCS and
  // FDP/FDS pairs in the 64-bit last_ip/last_dp fields (the same bytes).
  kvm_fpu& f = k.fpu;
  const FpuState& x = s.fpu;
  std::memset(f.fpr, 0, sizeof f.fpr);
  const unsigned top = fpu_top(x);
  for (unsigned j = 0; j < 8; ++j) {
    const FpuReg& reg = x.st[(top + j) & 7];
    std::memcpy(&f.fpr[j][0], &reg.mantissa, 8);
    std::memcpy(&f.fpr[j][8], &reg.sign_exp, 2);
  }
  f.fcw = x.fcw;
  f.fsw = x.fsw;
  f.ftwx = abridged_tag(x.ftw);
  f.last_opcode = x.fop;
  f.last_ip = uint64_t(x.fip) | uint64_t(x.fcs) << 32;
  f.last_dp = uint64_t(x.fdp) | uint64_t(x.fds) << 32;
  std::memset(f.xmm, 0, sizeof f.xmm);
  for (unsigned i = 0; i < 8; ++i) {
    std::memcpy(&f.xmm[i][0], &x.xmm[i].lo, 8);
    std::memcpy(&f.xmm[i][8], &x.xmm[i].hi, 8);
  }
  f.mxcsr = x.mxcsr;

  kvm_vcpu_events& e = k.events;
  // CpuState keeps one shadow bit for STI and MOV SS; MOV SS blocking is the stronger one.
  if (!s.events.interrupt_shadow) e.interrupt.shadow = 0;
  else if (!e.interrupt.shadow) e.interrupt.shadow = KVM_X86_SHADOW_INT_MOV_SS;
  e.nmi.pending = s.events.nmi_pending;
  e.nmi.masked = s.events.nmi_blocked;
  e.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;

  kvm_debugregs& d = k.debugregs;
  for (unsigned i = 0; i < 4; ++i) d.db[i] = s.dr[i];
  d.dr6 = s.dr[6];
  d.dr7 = s.dr[7];
  d.flags = 0;

  prepare_msr_table(k);
  for (uint32_t i = 0; i < k.msrs.nmsrs; ++i) {
    kvm_msr_entry& m = k.msrs.entries[i];
    if (m.index == kTsc) m.data = tsc_ticks + s.msr.tsc_offset;
    else if (const uint64_t* p = msr_slot(s, m.index)) m.data = *p;
  }
}

void from_kvm(const KvmVcpuState& k, CpuState& s, uint64_t tsc_ticks) {
  using namespace cpu;
  const kvm_regs& r = k.regs;
  s.gpr[EAX] = uint32_t(r.rax); s.gpr[ECX] = uint32_t(r.rcx);
  s.gpr[EDX] = uint32_t(r.rdx); s.gpr[EBX] = uint32_t(r.rbx);
  s.gpr[ESP] = uint32_t(r.rsp); s.gpr[EBP] = uint32_t(r.rbp);
  s.gpr[ESI] = uint32_t(r.rsi); s.gpr[EDI] = uint32_t(r.rdi);
  s.eip = uint32_t(r.rip);
  write_eflags(s, uint32_t(r.rflags));

  const kvm_sregs& sr = k.sregs;
  const kvm_segment* segs[kNumSegRegs] = {&sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs};
  for (unsigned i = 0; i < kNumSegRegs; ++i) s.seg[i] = from_kvm_segment(*segs[i]);
  s.ldtr = from_kvm_segment(sr.ldt);
  s.tr = from_kvm_segment(sr.tr);
  s.gdtr = DescriptorTableReg{uint32_t(sr.gdt.base), sr.gdt.limit};
  s.idtr = DescriptorTableReg{uint32_t(sr.idt.base), sr.idt.limit};
  s.cr0 = uint32_t(sr.cr0); s.cr2 = uint32_t(sr.cr2);
  s.cr3 = uint32_t(sr.cr3); s.cr4 = uint32_t(sr.cr4);
  s.msr.efer = sr.efer;
  s.msr.apic_base = sr.apic_base;
  // CPL: 0 in real mode, 3 in V86 mode, else SS.DPL (equal to CS.RPL after every far transfer,
  // and what KVM itself takes as the CPL).
  if (!(s.cr0 & CR0_PE)) s.cpl = 0;
  else if (s.eflags & VM) s.cpl = 3;
  else s.cpl = sr.ss.dpl & 3;

  const kvm_fpu& f = k.fpu;
  FpuState& x = s.fpu;
  x.fcw = f.fcw;
  x.fsw = f.fsw;
  x.fop = f.last_opcode;
  x.fip = uint32_t(f.last_ip);
  x.fcs = uint16_t(f.last_ip >> 32);
  x.fdp = uint32_t(f.last_dp);
  x.fds = uint16_t(f.last_dp >> 32);
  const unsigned top = fpu_top(x);
  for (unsigned j = 0; j < 8; ++j) {
    FpuReg& reg = x.st[(top + j) & 7];
    reg = FpuReg{};
    std::memcpy(&reg.mantissa, &f.fpr[j][0], 8);
    std::memcpy(&reg.sign_exp, &f.fpr[j][8], 2);
  }
  x.ftw = full_tag(f.ftwx, x);
  for (unsigned i = 0; i < 8; ++i) {
    std::memcpy(&x.xmm[i].lo, &f.xmm[i][0], 8);
    std::memcpy(&x.xmm[i].hi, &f.xmm[i][8], 8);
  }
  x.mxcsr = f.mxcsr;

  const kvm_vcpu_events& e = k.events;
  s.events.interrupt_shadow = e.interrupt.shadow ? 1 : 0;
  s.events.nmi_pending = e.nmi.pending ? 1 : 0;
  s.events.nmi_blocked = e.nmi.masked ? 1 : 0;

  const kvm_debugregs& d = k.debugregs;
  for (unsigned i = 0; i < 4; ++i) s.dr[i] = uint32_t(d.db[i]);
  s.dr[6] = uint32_t(d.dr6);
  s.dr[7] = uint32_t(d.dr7);

  for (uint32_t i = 0; i < k.msrs.nmsrs && i < kMaxMsrEntries; ++i) {
    const kvm_msr_entry& m = k.msrs.entries[i];
    if (m.index == kTsc) s.msr.tsc_offset = m.data - tsc_ticks;
    else if (uint64_t* p = msr_slot(s, m.index)) *p = m.data;
  }
}

}  // namespace vmlab::kvm_backend
