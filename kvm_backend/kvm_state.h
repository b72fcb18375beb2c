// CpuState <-> the KVM vCPU register structures (kvm_regs, kvm_sregs, kvm_fpu, kvm_vcpu_events,
// kvm_debugregs and the MSRs CpuState keeps). Pure conversions, no /dev/kvm: the round trip is
// unit-tested anywhere (tests/kvm/kvm_state_test.cpp).
//
// Both directions update in place: to_kvm() leaves the KVM fields CpuState does not model (the
// interrupt bitmap, injected exceptions, CR8) as the last KVM_GET_* returned them, and
// from_kvm() leaves the CpuState fields KVM does not hold (halted, in_double_fault, DR4/DR5)
// as they were.
//
//   KvmVcpuState k;                 // filled by KvmVcpu::get_state()
//   from_kvm(k, vcpu.s);            // KVM -> CpuState
//   to_kvm(vcpu.s, k);              // CpuState -> KVM (then KvmVcpu::set_state(k))
#pragma once
#include <linux/kvm.h>

#include <cstdint>
#include <span>

#include "cpu/cpu_state.h"
#include "kvm_backend/kvm_abi.h"

namespace vmlab::kvm_backend {

struct KvmVcpuState {
  kvm_regs regs{};
  kvm_sregs sregs{};
  kvm_fpu fpu{};
  kvm_vcpu_events events{};
  kvm_debugregs debugregs{};
  MsrTable msrs{};  // the MSRs of state_msr_indices(), in that order
};

inline constexpr uint32_t kMsrTsc = 0x10;

// The MSRs CpuState::msr holds (besides EFER and APIC_BASE, which travel in kvm_sregs).
std::span<const uint32_t> state_msr_indices();
// Fills k.msrs with the index list (values 0): ready for KVM_GET_MSRS.
void prepare_msr_table(KvmVcpuState& k);

// `tsc_ticks`: what the guest TSC counts before CpuState's tsc_offset (cpu::tsc_ticks(): host
// time with a real-time clock); the two-argument forms use the retired-instruction count.
void to_kvm(const cpu::CpuState& s, KvmVcpuState& k, uint64_t tsc_ticks);
inline void to_kvm(const cpu::CpuState& s, KvmVcpuState& k) { to_kvm(s, k, s.instructions_retired); }
void from_kvm(const KvmVcpuState& k, cpu::CpuState& s, uint64_t tsc_ticks);
inline void from_kvm(const KvmVcpuState& k, cpu::CpuState& s) { from_kvm(k, s, s.instructions_retired); }

// Segment caches: CpuState attr (descriptor layout) <-> kvm_segment fields. A segment without P
// is "unusable" to KVM (a null data selector in protected mode).
kvm_segment to_kvm_segment(const cpu::SegmentCache& c);
cpu::SegmentCache from_kvm_segment(const kvm_segment& k);

// The x87 tag word: FXSAVE (and kvm_fpu) keep one "not empty" bit per register; the full
// two-bit tags are recomputed from the register contents, as FXRSTOR does.
uint8_t abridged_tag(uint16_t ftw);
uint16_t full_tag(uint8_t abridged, const cpu::FpuState& f);

}  // namespace vmlab::kvm_backend
