// The few KVM structures vmlab cannot take from <linux/kvm.h> as they are, and the ioctl
// numbers that go with them.
//
// Why: the kernel headers declare variable-length arrays with __DECLARE_FLEX_ARRAY, which wraps
// the array in a struct that starts with an empty struct. In C an empty struct has size 0; in
// C++ it has size 1. So in C++ `sizeof(kvm_cpuid2)` is 12 instead of 8, `entries` moves from
// offset 8 to 12, and the ioctl numbers (which encode the size) change: KVM_GET_SUPPORTED_CPUID,
// KVM_SET_CPUID2, KVM_GET_MSRS, KVM_SET_MSRS and KVM_GET_MSR_INDEX_LIST built in C++ fail with
// EINVAL (docs/kvm.md, "A C++ trap"). Here each is a fixed header followed by an array, laid
// out exactly as the kernel's C structs; tests/kvm/kvm_run_test.cpp checks them on /dev/kvm.
//
//   CpuidTable t;                        // header + up to kMaxCpuidEntries entries
//   t.nent = kMaxCpuidEntries;
//   ioctl(kvm_fd, kKvmGetSupportedCpuid, &t);
#pragma once
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include <cstddef>
#include <cstdint>

namespace vmlab::kvm_backend {

inline constexpr unsigned kMaxCpuidEntries = 256;  // KVM_MAX_CPUID_ENTRIES
inline constexpr unsigned kMaxMsrEntries = 64;

struct CpuidTable {  // struct kvm_cpuid2 + entries
  uint32_t nent = 0;
  uint32_t padding = 0;
  kvm_cpuid_entry2 entries[kMaxCpuidEntries]{};
};
static_assert(offsetof(CpuidTable, entries) == 8);

struct MsrTable {  // struct kvm_msrs + entries
  uint32_t nmsrs = 0;
  uint32_t pad = 0;
  kvm_msr_entry entries[kMaxMsrEntries]{};
};
static_assert(offsetof(MsrTable, entries) == 8);

struct MsrIndexList {  // struct kvm_msr_list + indices
  uint32_t nmsrs = 0;
  uint32_t indices[512]{};
};
static_assert(offsetof(MsrIndexList, indices) == 4);

inline constexpr unsigned kMaxIrqRoutes = 64;
struct IrqRoutingTable {  // struct kvm_irq_routing + entries (--kvm-irqchip kernel)
  uint32_t nr = 0;
  uint32_t flags = 0;
  kvm_irq_routing_entry entries[kMaxIrqRoutes]{};
};
static_assert(offsetof(IrqRoutingTable, entries) == 8);

// The ioctl numbers as the kernel (built from C) defines them: the size field is the C size of
// the header struct.
inline constexpr unsigned long kKvmGetMsrIndexList = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x02, 4);
inline constexpr unsigned long kKvmGetSupportedCpuid = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, 8);
inline constexpr unsigned long kKvmGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, 8);
inline constexpr unsigned long kKvmSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, 8);
inline constexpr unsigned long kKvmSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, 8);
inline constexpr unsigned long kKvmSetGsiRouting = _IOC(_IOC_WRITE, KVMIO, 0x6a, 8);

}  // namespace vmlab::kvm_backend
