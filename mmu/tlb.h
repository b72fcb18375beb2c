// Software TLB: direct-mapped, one table per access kind (read / write / fetch) and per
// privilege class (supervisor / user), each entry holding a host addend for plain RAM pages.
//
// Only RAM pages that passed the permission check for that access and privilege get an entry,
// so MMIO, ROM, code pages being watched and faulting accesses always take the slow path (which
// also feeds the counters). Alignment is folded into the tag compare: an access that crosses a
// page misses and goes to the slow path, which splits it.
//
//   if (uint8_t* p = tlb.lookup(Access::Read, user, lin, 4)) memcpy(&v, p, 4);
#pragma once
#include <array>
#include <cstdint>

namespace vmlab::mmu {

enum class Access : uint8_t { Read = 0, Write = 1, Fetch = 2 };

struct TlbEntry {
  uint32_t tag = 1;          // linear page base; bit 0 set = invalid (never matches a page base)
  uint32_t pad = 0;
  uintptr_t addend = 0;      // host pointer = linear address + addend
};

struct Tlb {
  static constexpr unsigned kEntries = 256;
  // [user][access][index]
  std::array<std::array<std::array<TlbEntry, kEntries>, 3>, 2> e{};

  static unsigned index(uint32_t lin) { return (lin >> 12) & (kEntries - 1); }

  // Host pointer for [lin, lin+size) when the whole access hits in one page, else nullptr.
  uint8_t* lookup(Access a, bool user, uint32_t lin, unsigned size) {
    const TlbEntry& t = e[user][unsigned(a)][index(lin)];
    // (lin & ~0xFFF) == tag, and the access does not run past the page end.
    if (((lin & ~0xFFFu) == t.tag) & ((lin & 0xFFF) <= 0x1000u - size))
      return reinterpret_cast<uint8_t*>(uintptr_t(lin) + t.addend);
    return nullptr;
  }
  void fill(Access a, bool user, uint32_t lin, uint8_t* host_page) {
    TlbEntry& t = e[user][unsigned(a)][index(lin)];
    t.tag = lin & ~0xFFFu;
    t.addend = reinterpret_cast<uintptr_t>(host_page) - (lin & ~0xFFFu);
  }
  void flush_page(uint32_t lin) {
    for (auto& priv : e)
      for (auto& table : priv) {
        TlbEntry& t = table[index(lin)];
        if (t.tag == (lin & ~0xFFFu)) t.tag = 1;
      }
  }
  void flush_all() {
    for (auto& priv : e)
      for (auto& table : priv)
        for (auto& t : table) t.tag = 1;
  }
};

}  // namespace vmlab::mmu
