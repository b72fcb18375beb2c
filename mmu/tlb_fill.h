// TLB fill policy shared by the slow paths (internal to mmu/).
//
//   Translation t = v.mmu.translate(v, lin, a, user);
//   if (!t.fault) tlb_fill_after_translate(v, lin, a, user, t);
#pragma once
#include <cstdint>
#include "cpu/vcpu.h"

namespace vmlab::mmu {

// Fills the [user][a] entry for lin's page when the policy allows (see tlb.h): plain RAM only,
// and for writes only pages already dirty and not code. Writes call it after the data write so
// the page is dirty by then.
void tlb_fill_after_translate(cpu::Vcpu& v, uint32_t lin, Access a, bool user, const Translation& t);

}  // namespace vmlab::mmu
