// The CPUID table given to KVM (KVM_SET_CPUID2): the same model the interpreter answers
// (cpu::cpuid, cpu/cpu_model.h), so a guest sees the same CPU on every technique, with the
// feature bits the host cannot provide cleared.
//
//   CpuidTable supported;  dev.supported_cpuid(supported, err);
//   CpuidTable t = build_cpuid_table(vcpu, &supported);
#pragma once
#include "cpu/vcpu.h"
#include "kvm_backend/kvm_abi.h"

namespace vmlab::kvm_backend {

// `supported` may be null (no masking: tests, or a host that cannot tell).
CpuidTable build_cpuid_table(const cpu::Vcpu& v, const CpuidTable* supported);

// The entry for (function, index) in `t`, or null.
const kvm_cpuid_entry2* find_cpuid_entry(const CpuidTable& t, uint32_t function, uint32_t index = 0);

}  // namespace vmlab::kvm_backend
