// Slow paths of linear_access.h: TLB re-lookup per page, the Mmu walk, TLB fill, page-crossing
// splits, then physical dispatch (physical_access.cpp).
#include "mmu/linear_access.h"

#include <algorithm>
#include "mmu/tlb_fill.h"

namespace vmlab::mmu {

namespace {

constexpr uint32_t kPageMask = machine::kPageSize - 1;

// Bytes of [lin, lin+size) that lie on lin's page.
unsigned on_first_page(uint32_t lin, unsigned size) {
  return std::min<unsigned>(size, machine::kPageSize - (lin & kPageMask));
}

// Where `lin` goes for access `a`: from the TLB if the page is there, else by translating (and
// filling, except for writes, which fill after the data write: see fill_after_write).
struct Resolved {
  uint64_t pa = 0;
  bool global = false;
};
cpu::Fault resolve(cpu::Vcpu& v, uint32_t lin, Access a, bool user, Resolved& out,
                   FaultReport report = FaultReport::Commit) {
  if (uint8_t* p = v.tlb.lookup(a, user, lin, 1)) {
    ++v.mmu.counters.tlb_hits;
    out.pa = uint64_t(p - v.mem.ram_base());
    out.global = v.tlb.e[user][unsigned(a)][Tlb::index(lin)].flags & kTlbGlobal;
    return cpu::kNoFault;
  }
  ++v.mmu.counters.tlb_misses;
  Translation t = v.mmu.translate(v, lin, a, user, report);
  if (t.fault) return *t.fault;
  out.pa = t.pa;
  out.global = t.global;
  if (a != Access::Write) tlb_fill_after_translate(v, lin, a, user, t);
  return cpu::kNoFault;
}

// After a write reached memory the page is dirty (unless it is code or not RAM): a write entry
// may now be filled.
void fill_after_write(cpu::Vcpu& v, uint32_t lin, bool user, const Resolved& r) {
  if (v.tlb.lookup(Access::Write, user, lin, 1)) return;
  Translation t;
  t.pa = r.pa;
  t.global = r.global;
  t.cacheable_in_tlb = true;
  tlb_fill_after_translate(v, lin, Access::Write, user, t);
}

}  // namespace

namespace detail {

cpu::Fault read_slow(cpu::Vcpu& v, uint32_t lin, uint8_t* out, unsigned size, bool user) {
  const unsigned n1 = on_first_page(lin, size);
  Resolved r1, r2;
  VMLAB_TRY(resolve(v, lin, Access::Read, user, r1));
  if (n1 < size) VMLAB_TRY(resolve(v, lin + n1, Access::Read, user, r2));
  // Watchpoints turn the TLB off, so every data access of a debugged guest comes this way.
  if (!v.debug.watchpoints.empty()) v.debug.note_access(lin, size, false);
  read_physical_bytes(v, r1.pa, out, n1);
  if (n1 < size) read_physical_bytes(v, r2.pa, out + n1, size - n1);
  return cpu::kNoFault;
}

cpu::Fault write_slow(cpu::Vcpu& v, uint32_t lin, const uint8_t* in, unsigned size, bool user) {
  const unsigned n1 = on_first_page(lin, size);
  const uint32_t lin2 = lin + n1;  // wraps at 4 GiB like the linear address space
  Resolved r1, r2;
  // Both pages are translated before any byte is written: a fault leaves memory unchanged.
  VMLAB_TRY(resolve(v, lin, Access::Write, user, r1));
  if (n1 < size) VMLAB_TRY(resolve(v, lin2, Access::Write, user, r2));
  if (!v.debug.watchpoints.empty()) v.debug.note_access(lin, size, true);
  write_physical_bytes(v, r1.pa, in, n1);
  fill_after_write(v, lin, user, r1);
  if (n1 < size) {
    write_physical_bytes(v, r2.pa, in + n1, size - n1);
    fill_after_write(v, lin2, user, r2);
  }
  return cpu::kNoFault;
}

cpu::Fault fetch_slow(cpu::Vcpu& v, uint32_t lin, uint8_t* out, unsigned len, bool user,
                      unsigned& n_fetched) {
  n_fetched = 0;
  if (len == 0) return cpu::kNoFault;
  unsigned done = 0;
  while (done < len) {
    const uint32_t at = lin + done;
    const unsigned n = on_first_page(at, len - done);
    Resolved r;
    // Only the first byte's fault is reported; later pages are look-ahead (see the header).
    cpu::Fault f = resolve(v, at, Access::Fetch, user, r,
                           done == 0 ? FaultReport::Commit : FaultReport::Quiet);
    if (f) return done == 0 ? f : cpu::kNoFault;
    const uint64_t pa = r.pa;
    if (const uint8_t* p = v.mem.readable_ptr(pa, n)) {
      std::memcpy(out + done, p, n);
      done += n;
      n_fetched = done;
      continue;
    }
    // Device memory (or a RAM/ROM edge): copy what is memory; a device byte is read only as the
    // first byte of a request, because reading device registers ahead could have side effects.
    unsigned i = 0;
    for (; i < n; ++i) {
      const uint8_t* p = v.mem.readable_ptr(pa + i, 1);
      if (!p) break;
      out[done + i] = *p;
    }
    if (i == 0 && done == 0) {
      read_physical_bytes(v, pa, out, 1);
      i = 1;
    }
    done += i;
    n_fetched = done;
    if (i < n) break;
  }
  return cpu::kNoFault;
}

}  // namespace detail

cpu::Fault linear_to_physical_slow(cpu::Vcpu& v, uint32_t lin, Access a, bool user, uint64_t& pa) {
  Resolved r;
  VMLAB_TRY(resolve(v, lin, a, user, r));
  pa = r.pa;
  return cpu::kNoFault;
}

cpu::Fault probe_write(cpu::Vcpu& v, uint32_t lin, unsigned size, bool user) {
  unsigned done = 0;
  while (done < size) {
    const uint32_t at = lin + done;
    if (!v.tlb.lookup(Access::Write, user, at, 1)) {
      Translation t = v.mmu.translate(v, at, Access::Write, user);
      if (t.fault) return *t.fault;
      tlb_fill_after_translate(v, at, Access::Write, user, t);
    }
    done += on_first_page(at, size - done);
  }
  return cpu::kNoFault;
}

}  // namespace vmlab::mmu
