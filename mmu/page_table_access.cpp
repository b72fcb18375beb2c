// PageTableAccess: entry reads/writes for the walkers; see page_table_access.h for the rules on
// unbacked memory.
#include "mmu/page_table_access.h"

#include <cstring>

namespace vmlab::mmu {

uint64_t PageTableAccess::read(uint64_t pa, unsigned size) {
  pa &= a20_mask_;
  if (counters_) ++counters_->walk_memory_refs;
  uint64_t value = 0;
  if (const uint8_t* p = mem_.readable_ptr(pa, size)) {
    std::memcpy(&value, p, size);
    return value;
  }
  if (counters_) ++counters_->walk_unbacked_refs;
  return size == 8 ? ~0ull : 0xFFFFFFFFull;
}

void PageTableAccess::write32(uint64_t pa, uint32_t value) {
  pa &= a20_mask_;
  if (counters_) {
    ++counters_->walk_memory_refs;
    ++counters_->ad_bit_updates;
  }
  if (uint8_t* p = mem_.ram_ptr(pa, 4)) {
    std::memcpy(p, &value, 4);
    mem_.note_write(pa, 4);  // page tables can be snapshotted, and can even be code
  }
}

}  // namespace vmlab::mmu
