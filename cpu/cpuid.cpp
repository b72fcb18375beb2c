// CPUID (SDM Vol. 2 "CPUID"): an i686 model, a Pentium II class CPU (family 6, model 5) that
// advertises exactly the features the emulator implements, plus the vmlab information leaves
// 0x40000000-0x40000001 (docs/protected_mode.md).
#include <cstring>
#include "cpu/cpu_model.h"
#include "cpu/protected_mode.h"
#include "cpu/vcpu.h"

namespace vmlab::cpu {
namespace {

uint32_t str4(const char* p) {
  uint32_t v = 0;
  std::memcpy(&v, p, 4);
  return v;
}

// Leaf 1 EDX: FPU DE PSE TSC MSR PAE CX8 APIC SEP MTRR PGE CMOV PAT PSE36 MMX FXSR SSE SSE2
// (MMX/SSE/SSE2: cpu/simd, docs/simd.md). Not VME, MCE, MCA, CLFSH, SS, HTT: those are not
// implemented. (APIC: the machine wires a local APIC per CPU.)
constexpr uint32_t kFeaturesEdx = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) |
                                  (1u << 6) | (1u << 8) | (1u << 9) | (1u << 11) | (1u << 12) | (1u << 13) |
                                  (1u << 15) | (1u << 16) | (1u << 17) | (1u << 23) | (1u << 24) |
                                  (1u << 25) | (1u << 26);
constexpr uint32_t kExtFeaturesEdx = 1u << 20;  // NX (PAE page tables with EFER.NXE)

// Pentium II cache/TLB descriptors: ITLB 4K/4M, DTLB 4K/4M, 16K L1I, 16K L1D, 512K L2.
constexpr CpuidResult kLeaf2{0x03020101u, 0, 0, 0x0C040843u};

constexpr char kBrand[48] = "vmlab virtual i686 CPU";

}  // namespace

CpuidResult cpuid(const Vcpu& v, uint32_t leaf, uint32_t subleaf) {
  (void)subleaf;  // no leaf of this model has subleaves
  switch (leaf) {
    case 0:
      return {kCpuidMaxBasicLeaf, str4("Genu"), str4("ntel"), str4("ineI")};
    case 1:
      return {kCpuSignature, uint32_t(v.index & 0xFF) << 24, 0, kFeaturesEdx};
    case 2:
      return kLeaf2;
    case 0x40000000:
      return {0x40000001u, str4("vmla"), str4("bvml"), str4("ab  ")};
    case 0x40000001:
      return {v.technique_id, 0, 0, 0};
    case 0x80000000:
      return {0x80000004u, 0, 0, 0};
    case 0x80000001:
      return {0, 0, 0, kExtFeaturesEdx};
    case 0x80000002:
    case 0x80000003:
    case 0x80000004: {
      const char* p = kBrand + (leaf - 0x80000002u) * 16;
      return {str4(p), str4(p + 4), str4(p + 8), str4(p + 12)};
    }
    default:
      // Intel answers a leaf beyond the maximum with the highest basic leaf's data.
      return kLeaf2;
  }
}

}  // namespace vmlab::cpu
