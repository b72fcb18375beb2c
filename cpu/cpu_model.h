// The CPU model vmlab presents: numbers shared by CPUID, the RESET value of EDX and the MSRs.
#pragma once
#include <cstdint>

namespace vmlab::cpu {

// Family 6, model 5, stepping 2 (Pentium II): CPUID.1:EAX and EDX after RESET.
inline constexpr uint32_t kCpuSignature = (6u << 8) | (5u << 4) | 2u;
inline constexpr uint32_t kCpuidMaxBasicLeaf = 2;
inline constexpr unsigned kCpuPhysAddrBits = 36;  // PAE and PSE-36

}  // namespace vmlab::cpu
