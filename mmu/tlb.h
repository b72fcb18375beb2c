// Software TLB: direct-mapped, one table per access kind (read / write / fetch) and per
// privilege class (supervisor / user), each entry holding a host addend for plain RAM pages.
//
// Only RAM pages that passed the permission check for that access and privilege get an entry,
// so MMIO, ROM, code pages being watched and faulting accesses always take the slow path (which
// also feeds the counters). Alignment is folded into the tag compare: an access that crosses a
// page misses and goes to the slow path, which splits it.
//
// Fill rules (mmu/tlb_fill.cpp): write entries exist only for pages already marked dirty and not
// marked as code in GuestMemory, so the write fast path never touches the bitmaps.
//
// Who flushes what (the TLB never sees CR writes itself):
//   MOV CR3 (CR4.PGE=1)             -> flush_nonglobal()
//   MOV CR3 (CR4.PGE=0), CR0.PG/WP/PE, CR4.PSE/PAE/PGE, EFER.NXE change, A20 toggle,
//   task switch with a CR3 change   -> flush_all()
//   INVLPG                          -> flush_page(lin)   (global entries too)
//   page marked as code             -> mmu::on_page_marked_code()   (linear_access.h)
//   dirty bits cleared              -> mmu::on_dirty_bits_cleared() (linear_access.h)
//
//   if (uint8_t* p = tlb.lookup(Access::Read, user, lin, 4)) memcpy(&v, p, 4);
#pragma once
#include <array>
#include <cstdint>

namespace vmlab::mmu {

enum class Access : uint8_t { Read = 0, Write = 1, Fetch = 2 };

inline constexpr uint32_t kTlbInvalidTag = 1;  // bit 0 set: never equals a page base
inline constexpr uint32_t kTlbGlobal = 1u << 0;  // TlbEntry::flags: PTE.G with CR4.PGE

struct TlbEntry {
  uint32_t tag = kTlbInvalidTag;  // linear page base; kTlbInvalidTag = empty
  uint32_t flags = 0;             // kTlbGlobal
  uintptr_t addend = 0;           // host pointer = linear address + addend
};

struct TlbStats {
  uint64_t fills = 0;
  uint64_t flushes_full = 0;       // flush_all()
  uint64_t flushes_nonglobal = 0;  // flush_nonglobal()
  uint64_t flushes_page = 0;       // flush_page() (INVLPG)
  uint64_t write_entries_dropped = 0;  // by on_page_marked_code / on_dirty_bits_cleared
};

struct Tlb {
  static constexpr unsigned kEntries = 256;
  // [user][access][index]
  std::array<std::array<std::array<TlbEntry, kEntries>, 3>, 2> e{};
  TlbStats stats;
  // Off switch (STYLE: every speed trick has one): when false, fill() does nothing and every
  // access takes the slow path. Set from --no-tlb / tests.
  bool enabled = true;

  static unsigned index(uint32_t lin) { return (lin >> 12) & (kEntries - 1); }

  // Host pointer for [lin, lin+size) when the whole access hits in one page, else nullptr.
  uint8_t* lookup(Access a, bool user, uint32_t lin, unsigned size) {
    const TlbEntry& t = e[user][unsigned(a)][index(lin)];
    // (lin & ~0xFFF) == tag, and the access does not run past the page end.
    if (((lin & ~0xFFFu) == t.tag) & ((lin & 0xFFF) <= 0x1000u - size))
      return reinterpret_cast<uint8_t*>(uintptr_t(lin) + t.addend);
    return nullptr;
  }
  void fill(Access a, bool user, uint32_t lin, uint8_t* host_page, bool global = false) {
    if (!enabled) return;
    TlbEntry& t = e[user][unsigned(a)][index(lin)];
    t.tag = lin & ~0xFFFu;
    t.flags = global ? kTlbGlobal : 0;
    t.addend = reinterpret_cast<uintptr_t>(host_page) - (lin & ~0xFFFu);
    ++stats.fills;
  }
  // INVLPG: drops the page in every table, global or not.
  // Changes on every flush that can change a translation (not on write-entry drops): caches of
  // translated addresses above the TLB, such as the interpreter's jump cache, compare it.
  uint64_t epoch = 0;
  // Changes only on the flushes that drop global entries too (INVLPG, flush_all), not on a CR3
  // reload with CR4.PGE=1: what was cached about a global page's translation outlives the reload,
  // as the global TLB entry itself does.
  uint64_t global_epoch = 0;

  // Does the fetch entry for `lin` (this privilege) hold a global translation?
  bool global_fetch(bool user, uint32_t lin) const {
    const TlbEntry& t = e[user][unsigned(Access::Fetch)][index(lin)];
    return t.tag == (lin & ~0xFFFu) && (t.flags & kTlbGlobal);
  }

  void flush_page(uint32_t lin) {
    ++stats.flushes_page;
    ++epoch;
    ++global_epoch;
    for (auto& priv : e)
      for (auto& table : priv) {
        TlbEntry& t = table[index(lin)];
        if (t.tag == (lin & ~0xFFFu)) t.tag = kTlbInvalidTag;
      }
  }
  void flush_all() {
    ++stats.flushes_full;
    ++epoch;
    ++global_epoch;
    for (auto& priv : e)
      for (auto& table : priv)
        for (auto& t : table) t.tag = kTlbInvalidTag;
  }
  // CR3 reload with CR4.PGE=1: global entries survive.
  void flush_nonglobal() {
    ++stats.flushes_nonglobal;
    ++epoch;
    for (auto& priv : e)
      for (auto& table : priv)
        for (auto& t : table)
          if (!(t.flags & kTlbGlobal)) t.tag = kTlbInvalidTag;
  }
  // Drops every write entry (dirty bits were cleared: the next write must mark them again).
  void flush_writes() {
    for (auto& table : {&e[0][unsigned(Access::Write)], &e[1][unsigned(Access::Write)]})
      for (auto& t : *table)
        if (t.tag != kTlbInvalidTag) {
          t.tag = kTlbInvalidTag;
          ++stats.write_entries_dropped;
        }
  }
  // Drops write entries whose host page is `host_page` (that physical page became code).
  void flush_writes_to_host_page(const uint8_t* host_page) {
    const uintptr_t hp = reinterpret_cast<uintptr_t>(host_page);
    for (auto& table : {&e[0][unsigned(Access::Write)], &e[1][unsigned(Access::Write)]})
      for (auto& t : *table)
        if (t.tag != kTlbInvalidTag && uintptr_t(t.tag) + t.addend == hp) {
          t.tag = kTlbInvalidTag;
          ++stats.write_entries_dropped;
        }
  }
};

}  // namespace vmlab::mmu
