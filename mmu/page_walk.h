// Page walkers for MmuMode::Direct: the guest's own tables, read through PageTableAccess.
//
// Both walkers follow the same order (SDM Vol. 3, 4.3-4.7): read each level, stop at the first
// not-present entry (#PF P=0) or entry with a reserved bit set (#PF P=1 RSVD=1), accumulate the
// R/W, U/S and XD rights across levels, check the access against them, and only when the access
// is allowed write back the accessed bits of every level walked and the dirty bit of the final
// one (so a faulting access leaves the tables untouched, as Bochs and QEMU do).
//
//   WalkResult r = walk_2level(regs, WalkInput{lin, Access::Read, user, true}, pt);
//   if (!r.ok) raise #PF(r.error_code) at lin;
#pragma once
#include <cstdint>
#include "cpu/cpu_model.h"
#include "mmu/page_table_access.h"
#include "mmu/tlb.h"

namespace vmlab::mmu {

// The control registers a walk depends on.
struct PagingRegs {
  uint32_t cr0 = 0, cr3 = 0, cr4 = 0;
  uint64_t efer = 0;
};

struct WalkInput {
  uint32_t lin = 0;
  Access access = Access::Read;
  bool user = false;
  bool commit = true;  // false (probe): no permission checks, no A/D writes
};

struct WalkResult {
  bool ok = false;
  uint64_t pa = 0;
  bool global = false;       // final entry has G and CR4.PGE is on
  uint32_t error_code = 0;   // #PF error code when !ok
};

// Physical-address width of the modelled CPU (PAE and PSE-36 entries): bits above it are
// reserved in entries. CPUID reports the same number.
inline constexpr unsigned kMaxPhysAddrBits = cpu::kCpuPhysAddrBits;

// Common entry bits.
inline constexpr uint64_t kPteP = 1u << 0, kPteRW = 1u << 1, kPteUS = 1u << 2,
                          kPteA = 1u << 5, kPteD = 1u << 6, kPtePS = 1u << 7, kPteG = 1u << 8;
inline constexpr uint64_t kPteXD = 1ull << 63;

// Rights accumulated over the levels of one walk.
struct Rights {
  bool rw = true, us = true, xd = false;
};

// #PF error code bits that describe the access itself (W/R, U/S, I/D).
uint32_t access_error_bits(const PagingRegs& r, const WalkInput& in);
// Access check against the accumulated rights (no SMEP/SMAP: i686-class CPU). Returns the
// error code (with P=1) when the access is not allowed, 0 when it is.
uint32_t check_rights(const PagingRegs& r, const WalkInput& in, Rights rights);

// Reserved bits of a PAE PDPTE (checked by check_pae_pdptes and the PAE walker).
uint64_t pae_pdpte_reserved_mask();

WalkResult walk_2level(const PagingRegs& r, const WalkInput& in, PageTableAccess& pt);
WalkResult walk_pae(const PagingRegs& r, const WalkInput& in, PageTableAccess& pt);

}  // namespace vmlab::mmu
