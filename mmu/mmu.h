// Mmu: the one place a linear address becomes a physical one.
//
// Today it walks the guest's own page tables (MmuMode::Direct): 2-level 4 KiB, PSE 4 MiB, PAE
// (3-level, NX when EFER.NXE), CR0.WP, global pages, accessed/dirty bits set by the walker.
// Shadow and nested modes plug in behind the same interface later; each mode counts what it
// costs in MmuCounters. The software TLB (tlb.h) sits in front of it: only a TLB miss walks.
//
//   Translation t = vcpu.mmu.translate(vcpu, lin, Access::Write, /*user=*/cpl == 3);
//   if (t.fault) return *t.fault;         // #PF with error code; CR2 already written
#pragma once
#include <cstdint>
#include <optional>
#include "cpu/fault.h"
#include "mmu/tlb.h"

namespace vmlab::cpu { class Vcpu; }

namespace vmlab::mmu {

enum class MmuMode : uint8_t { Direct, Shadow, Nested };

struct MmuCounters {
  uint64_t tlb_hits = 0;         // counted on slow-path re-lookups only; the inline fast path is free
  uint64_t tlb_misses = 0;
  uint64_t tlb_flushes_full = 0; // CR3 reload, CR0/CR4 paging-bit changes
  uint64_t tlb_flushes_page = 0; // INVLPG
  uint64_t page_walks = 0;
  uint64_t walk_memory_refs = 0; // page-table entries read or written by walks
  uint64_t page_faults = 0;      // #PF raised by walks
  uint64_t ad_bit_updates = 0;   // A/D bits written back by the walker
};

struct Translation {
  uint64_t pa = 0;               // guest physical address (A20 applied)
  bool cacheable_in_tlb = false; // permission result may be cached for this access/privilege
  bool global = false;
  std::optional<cpu::Fault> fault;
};

class Mmu {
 public:
  MmuMode mode() const { return mode_; }
  void set_mode(MmuMode m) { mode_ = m; }

  // Translates `lin` for an access of kind `a`, as privilege class `user` (CPL 3 data accesses
  // and fetches; supervisor otherwise). Sets A/D bits. On a fault, writes CR2 and returns #PF.
  Translation translate(cpu::Vcpu& v, uint32_t lin, Access a, bool user);

  // Like translate() but with no side effects (no A/D writes, no CR2, no counters): for the
  // debugger, the monitor and tests.
  std::optional<uint64_t> probe(const cpu::Vcpu& v, uint32_t lin) const;

  MmuCounters counters;

 private:
  MmuMode mode_ = MmuMode::Direct;
};

}  // namespace vmlab::mmu
