// CPUID for KVM: the interpreter's model, masked by KVM_GET_SUPPORTED_CPUID (see kvm_cpuid.h).
#include "kvm_backend/kvm_cpuid.h"

#include "cpu/protected_mode.h"

namespace vmlab::kvm_backend {

namespace {

void add(CpuidTable& t, const cpu::Vcpu& v, uint32_t leaf) {
  if (t.nent >= kMaxCpuidEntries) return;
  const cpu::CpuidResult r = cpu::cpuid(v, leaf, 0);
  kvm_cpuid_entry2& e = t.entries[t.nent++];
  e = kvm_cpuid_entry2{};
  e.function = leaf;
  e.eax = r.eax;
  e.ebx = r.ebx;
  e.ecx = r.ecx;
  e.edx = r.edx;
}

// Feature leaves: a bit the host KVM does not support is cleared rather than promised.
// Identification leaves (vendor, signature, brand, the vmlab leaves) are kept as the model says.
void mask_features(kvm_cpuid_entry2& e, const CpuidTable& supported) {
  if (e.function != 1 && e.function != 0x80000001u) return;
  const kvm_cpuid_entry2* s = find_cpuid_entry(supported, e.function);
  if (!s) {
    e.ecx = e.edx = 0;
    return;
  }
  e.ecx &= s->ecx;
  e.edx &= s->edx;
}

}  // namespace

const kvm_cpuid_entry2* find_cpuid_entry(const CpuidTable& t, uint32_t function, uint32_t index) {
  for (uint32_t i = 0; i < t.nent && i < kMaxCpuidEntries; ++i)
    if (t.entries[i].function == function && t.entries[i].index == index) return &t.entries[i];
  return nullptr;
}

CpuidTable build_cpuid_table(const cpu::Vcpu& v, const CpuidTable* supported) {
  CpuidTable t;
  // Each range runs from its base leaf to the maximum the base leaf reports (bounded, in case
  // the model ever reports something silly).
  for (uint32_t base : {0u, 0x40000000u, 0x80000000u}) {
    const uint32_t max = cpu::cpuid(v, base, 0).eax;
    for (uint32_t leaf = base; leaf <= max && leaf - base < 64; ++leaf) add(t, v, leaf);
  }
  if (supported)
    for (uint32_t i = 0; i < t.nent; ++i) mask_features(t.entries[i], *supported);
  return t;
}

}  // namespace vmlab::kvm_backend
