// TLB fill policy and the two bitmap-driven invalidations (code page marked, dirty bits
// cleared). See tlb.h for why write entries need a dirty, non-code page.
#include "mmu/tlb_fill.h"

#include "mmu/linear_access.h"

namespace vmlab::mmu {

namespace {

bool page_dirty(machine::GuestMemory& mem, uint64_t page) {
  const auto& bits = mem.dirty_bitmap();
  return (page >> 6) < bits.size() && ((bits[page >> 6] >> (page & 63)) & 1);
}

}  // namespace

void tlb_fill_after_translate(cpu::Vcpu& v, uint32_t lin, Access a, bool user, const Translation& t) {
  if (!t.cacheable_in_tlb || t.fault) return;
  const uint64_t page_pa = t.pa & ~uint64_t(machine::kPageSize - 1);
  uint8_t* host = v.mem.ram_ptr(page_pa, machine::kPageSize);
  if (!host) return;  // ROM, MMIO, legacy hole, beyond RAM: always the slow path
  if (a == Access::Write) {
    const uint64_t page = page_pa >> machine::kPageShift;
    if (!page_dirty(v.mem, page) || v.mem.is_code(page)) return;
  }
  v.tlb.fill(a, user, lin, host, t.global);
}

void on_page_marked_code(cpu::Vcpu& v, uint64_t page) {
  if (page >= (v.mem.ram_size() >> machine::kPageShift)) return;
  v.tlb.flush_writes_to_host_page(v.mem.ram_base() + (page << machine::kPageShift));
}

void mark_page_as_code(cpu::Vcpu& v, uint64_t page) {
  v.mem.mark_code(page);
  on_page_marked_code(v, page);
}

void on_dirty_bits_cleared(cpu::Vcpu& v) { v.tlb.flush_writes(); }

}  // namespace vmlab::mmu
