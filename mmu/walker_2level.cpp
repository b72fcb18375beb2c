// Two-level 32-bit paging (CR4.PAE=0): page directory -> page table -> 4 KiB page, or with
// CR4.PSE a 4 MiB page straight from the directory (PSE-36: PDE bits 16:13 are physical address
// bits 35:32). SDM Vol. 3, 4.3.
#include "cpu/cpu_state.h"
#include "mmu/page_walk.h"

namespace vmlab::mmu {

namespace {

// PSE-36 4 MiB PDE: bits 21:(13 + MAXPHYADDR - 32) are reserved.
constexpr uint32_t kPse4mReserved = ((1u << 22) - 1) & ~((1u << (13 + kMaxPhysAddrBits - 32)) - 1);

WalkResult fault(uint32_t error_code) {
  WalkResult r;
  r.error_code = error_code;
  return r;
}

// Sets `bits` in the entry at `pa` if any is clear (the walker never rewrites an unchanged entry).
void set_bits(PageTableAccess& pt, uint64_t pa, uint32_t entry, uint32_t bits) {
  if ((entry & bits) != bits) pt.write32(pa, entry | bits);
}

}  // namespace

WalkResult walk_2level(const PagingRegs& r, const WalkInput& in, PageTableAccess& pt) {
  const uint32_t lin = in.lin;
  const bool write = in.access == Access::Write;
  const bool pge = r.cr4 & cpu::CR4_PGE;

  const uint64_t pde_pa = (r.cr3 & 0xFFFFF000u) | ((lin >> 22) << 2);
  const uint32_t pde = uint32_t(pt.read(pde_pa, 4));
  if (!(pde & kPteP)) return fault(access_error_bits(r, in));
  Rights rights{bool(pde & kPteRW), bool(pde & kPteUS), false};

  if ((r.cr4 & cpu::CR4_PSE) && (pde & kPtePS)) {
    if (pde & kPse4mReserved) return fault(access_error_bits(r, in) | kPfPresent | kPfRsvd);
    if (in.commit) {
      if (uint32_t e = check_rights(r, in, rights)) return fault(e);
      set_bits(pt, pde_pa, pde, uint32_t(kPteA | (write ? kPteD : 0)));
    }
    WalkResult res;
    res.ok = true;
    res.pa = (uint64_t((pde >> 13) & 0xF) << 32) | (pde & 0xFFC00000u) | (lin & 0x3FFFFFu);
    res.global = pge && (pde & kPteG);
    return res;
  }

  const uint64_t pte_pa = (pde & 0xFFFFF000u) | (((lin >> 12) & 0x3FF) << 2);
  const uint32_t pte = uint32_t(pt.read(pte_pa, 4));
  if (!(pte & kPteP)) return fault(access_error_bits(r, in));
  rights.rw = rights.rw && (pte & kPteRW);
  rights.us = rights.us && (pte & kPteUS);
  if (in.commit) {
    if (uint32_t e = check_rights(r, in, rights)) return fault(e);
    set_bits(pt, pde_pa, pde, uint32_t(kPteA));
    // When the directory maps itself, PDE and PTE can be one entry: `pte` then holds the same
    // old value, so writing A|D from it keeps the A bit just written.
    set_bits(pt, pte_pa, pte, uint32_t(kPteA | (write ? kPteD : 0)));
  }
  WalkResult res;
  res.ok = true;
  res.pa = (pte & 0xFFFFF000u) | (lin & 0xFFFu);
  res.global = pge && (pte & kPteG);
  return res;
}

}  // namespace vmlab::mmu
