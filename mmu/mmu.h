// Mmu: the one place a linear address becomes a physical one.
//
// Today it walks the guest's own page tables (MmuMode::Direct): 2-level 4 KiB, PSE 4 MiB
// (PSE-36), PAE (3-level, 2 MiB pages, NX when EFER.NXE), CR0.WP, global pages, accessed/dirty
// bits set by the walker. Shadow and nested modes plug in behind the same interface later; each
// mode counts what it costs in MmuCounters. The software TLB (tlb.h) sits in front of it: only a
// TLB miss walks. Walkers: mmu/walker_2level.cpp, mmu/walker_pae.cpp; page-table memory goes
// through mmu/page_table_access.h (where a nested mode will add its second-level translation).
//
//   Translation t = vcpu.mmu.translate(vcpu, lin, Access::Write, /*user=*/cpl == 3);
//   if (t.fault) return *t.fault;         // #PF with error code; CR2 already written
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>
#include "cpu/fault.h"
#include "mmu/tlb.h"

namespace vmlab::cpu { class Vcpu; }

namespace vmlab::mmu {

enum class MmuMode : uint8_t { Direct, Shadow, Nested };

// "direct" / "shadow" / "nested" (the --mmu option). nullopt for anything else.
std::optional<MmuMode> parse_mmu_mode(std::string_view name);
const char* mmu_mode_name(MmuMode m);
// Only Direct is implemented; the command line must reject the others with a clear message.
bool mmu_mode_supported(MmuMode m);

// #PF error code bits (SDM Vol. 3, 4.7).
inline constexpr uint32_t kPfPresent = 1u << 0;  // 1 = protection violation, 0 = not present
inline constexpr uint32_t kPfWrite = 1u << 1;
inline constexpr uint32_t kPfUser = 1u << 2;
inline constexpr uint32_t kPfRsvd = 1u << 3;     // a reserved bit was set in an entry
inline constexpr uint32_t kPfFetch = 1u << 4;    // instruction fetch (only when PAE + EFER.NXE)

struct MmuCounters {
  uint64_t tlb_hits = 0;         // counted on slow-path re-lookups only; the inline fast path is free
  uint64_t tlb_misses = 0;       // slow-path accesses that had to translate
  // Kept for existing callers; the TLB counts its own flushes in Tlb::stats (what --stats
  // reports), so these need not be incremented.
  uint64_t tlb_flushes_full = 0;
  uint64_t tlb_flushes_page = 0;
  uint64_t page_walks = 0;
  uint64_t walk_memory_refs = 0; // page-table entries read or written by walks
  uint64_t walk_unbacked_refs = 0;  // entries read from neither RAM nor ROM (answered all-ones)
  uint64_t page_faults = 0;      // #PF raised by walks (committed: CR2 written)
  uint64_t ad_bit_updates = 0;   // A/D bits written back by the walker
  uint64_t rom_writes_ignored = 0;
};

struct Translation {
  uint64_t pa = 0;               // guest physical address (A20 applied)
  bool cacheable_in_tlb = false; // permission result may be cached for this access/privilege
  bool global = false;
  std::optional<cpu::Fault> fault;
};

// Whether a faulting translate() writes CR2 and counts the fault. Quiet is for look-ahead
// (instruction prefetch across a page) where the fault is raised only if the byte is needed.
enum class FaultReport : uint8_t { Commit, Quiet };

class Mmu {
 public:
  MmuMode mode() const { return mode_; }
  // Throws std::invalid_argument for a mode that is not implemented yet (a setup error).
  void set_mode(MmuMode m);

  // Translates `lin` for an access of kind `a`, as privilege class `user` (CPL 3 data accesses
  // and fetches; supervisor otherwise). Sets A/D bits (only when the access is allowed). On a
  // fault (FaultReport::Commit), writes CR2 and returns #PF with its error code.
  Translation translate(cpu::Vcpu& v, uint32_t lin, Access a, bool user,
                        FaultReport report = FaultReport::Commit);

  // Like translate() but with no side effects (no A/D writes, no CR2, no counters) and no
  // permission checks (present and not reserved is enough): for the debugger, the monitor and
  // tests.
  std::optional<uint64_t> probe(const cpu::Vcpu& v, uint32_t lin) const;

  MmuCounters counters;

 private:
  MmuMode mode_ = MmuMode::Direct;
};

// PAE PDPTE check the CPU does when it loads the PDPTEs (MOV CR3 / CR0 / CR4 with PAE paging
// on): #GP(0) if a present PDPTE has a reserved bit set. vmlab does not cache the PDPTEs (the
// walker re-reads them on every walk, and a reserved bit found then is a #PF with RSVD), so
// calling this from MOV CRn is what makes the load-time #GP architectural.
cpu::Fault check_pae_pdptes(cpu::Vcpu& v, uint32_t cr3);

}  // namespace vmlab::mmu
