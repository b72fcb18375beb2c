// Rights checks shared by the walkers (SDM Vol. 3, 4.6 "Access rights", 4.7 "Page-fault
// exceptions").
#include "mmu/page_walk.h"

#include "cpu/cpu_state.h"
#include "mmu/mmu.h"

namespace vmlab::mmu {

uint32_t access_error_bits(const PagingRegs& r, const WalkInput& in) {
  uint32_t e = 0;
  if (in.access == Access::Write) e |= kPfWrite;
  if (in.user) e |= kPfUser;
  // I/D is reported only when execute-disable is in force (PAE with EFER.NXE).
  if (in.access == Access::Fetch && (r.cr4 & cpu::CR4_PAE) && (r.efer & cpu::EFER_NXE))
    e |= kPfFetch;
  return e;
}

uint32_t check_rights(const PagingRegs& r, const WalkInput& in, Rights rights) {
  bool ok = true;
  if (in.user && !rights.us) ok = false;
  if (in.access == Access::Write && !rights.rw && (in.user || (r.cr0 & cpu::CR0_WP))) ok = false;
  if (in.access == Access::Fetch && rights.xd) ok = false;
  return ok ? 0 : (access_error_bits(r, in) | kPfPresent);
}

}  // namespace vmlab::mmu
