// PAE paging (CR4.PAE=1, 32-bit linear addresses): 4 PDPTEs -> page directory -> page table ->
// 4 KiB page, or a 2 MiB page from the directory. 64-bit entries; bit 63 is execute-disable when
// EFER.NXE, reserved otherwise. SDM Vol. 3, 4.4.
//
// The PDPTEs are not cached: every walk reads them from memory (as QEMU's TCG does), so a
// reserved bit found here is a #PF with RSVD. Real CPUs load them on MOV CR3 and raise #GP(0)
// then; check_pae_pdptes() (mmu.h) lets MOV CRn do that check.
#include "cpu/cpu_state.h"
#include "mmu/page_walk.h"

namespace vmlab::mmu {

namespace {

constexpr uint64_t kAddrMask = ((1ull << kMaxPhysAddrBits) - 1) & ~0xFFFull;
constexpr uint64_t kAbovePhys = ~((1ull << kMaxPhysAddrBits) - 1);  // bits 63:36
// PDPTE: bits 2:1 and 8:5 are reserved in PAE paging, and so is bit 63.
constexpr uint64_t kPdpteReserved = kAbovePhys | 0x1E6ull;
constexpr uint64_t kLarge2mReserved = 0x1FE000ull;  // bits 20:13 (bit 12 is PAT)

WalkResult fault(uint32_t error_code) {
  WalkResult r;
  r.error_code = error_code;
  return r;
}

void set_bits(PageTableAccess& pt, uint64_t pa, uint64_t entry, uint64_t bits) {
  if ((entry & bits) != bits) pt.write32(pa, uint32_t(entry | bits));
}

}  // namespace

uint64_t pae_pdpte_reserved_mask() { return kPdpteReserved; }

WalkResult walk_pae(const PagingRegs& r, const WalkInput& in, PageTableAccess& pt) {
  const uint32_t lin = in.lin;
  const bool write = in.access == Access::Write;
  const bool pge = r.cr4 & cpu::CR4_PGE;
  const bool nxe = r.efer & cpu::EFER_NXE;
  // Bits 62:36 always reserved in PDE/PTE; bit 63 too unless NXE makes it XD.
  const uint64_t entry_reserved = nxe ? (kAbovePhys & ~kPteXD) : kAbovePhys;
  const uint32_t rsvd_fault = access_error_bits(r, in) | kPfPresent | kPfRsvd;

  const uint64_t pdpte_pa = (r.cr3 & 0xFFFFFFE0u) | ((lin >> 30) << 3);
  const uint64_t pdpte = pt.read(pdpte_pa, 8);
  if (!(pdpte & kPteP)) return fault(access_error_bits(r, in));
  if (pdpte & kPdpteReserved) return fault(rsvd_fault);

  const uint64_t pde_pa = (pdpte & kAddrMask) | (((lin >> 21) & 0x1FF) << 3);
  const uint64_t pde = pt.read(pde_pa, 8);
  if (!(pde & kPteP)) return fault(access_error_bits(r, in));
  if (pde & entry_reserved) return fault(rsvd_fault);
  Rights rights{bool(pde & kPteRW), bool(pde & kPteUS), nxe && (pde & kPteXD)};

  if (pde & kPtePS) {
    if (pde & kLarge2mReserved) return fault(rsvd_fault);
    if (in.commit) {
      if (uint32_t e = check_rights(r, in, rights)) return fault(e);
      set_bits(pt, pde_pa, pde, kPteA | (write ? kPteD : 0));
    }
    WalkResult res;
    res.ok = true;
    res.pa = (pde & kAddrMask & ~0x1FFFFFull) | (lin & 0x1FFFFFu);
    res.global = pge && (pde & kPteG);
    return res;
  }

  const uint64_t pte_pa = (pde & kAddrMask) | (((lin >> 12) & 0x1FF) << 3);
  const uint64_t pte = pt.read(pte_pa, 8);
  if (!(pte & kPteP)) return fault(access_error_bits(r, in));
  if (pte & entry_reserved) return fault(rsvd_fault);
  rights.rw = rights.rw && (pte & kPteRW);
  rights.us = rights.us && (pte & kPteUS);
  rights.xd = rights.xd || (nxe && (pte & kPteXD));
  if (in.commit) {
    if (uint32_t e = check_rights(r, in, rights)) return fault(e);
    set_bits(pt, pde_pa, pde, kPteA);
    set_bits(pt, pte_pa, pte, kPteA | (write ? kPteD : 0));
  }
  WalkResult res;
  res.ok = true;
  res.pa = (pte & kAddrMask) | (lin & 0xFFFu);
  res.global = pge && (pte & kPteG);
  return res;
}

}  // namespace vmlab::mmu
