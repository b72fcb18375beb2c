// Linear-address memory access for execution cores: software TLB fast path (inline here), then
// the Mmu walk, then RAM / ROM / MMIO dispatch on the physical address (linear_access.cpp,
// physical_access.cpp). Accesses that cross a page are split (both pages are translated before
// anything is written, so a fault leaves memory unchanged).
//
// `user` is the privilege class of the access: true for CPL-3 data accesses and fetches,
// false for supervisor and implicit system accesses (descriptor tables, TSS, IDT).
//
//   uint32_t v;
//   VMLAB_TRY(mmu::read_linear<uint32_t>(vcpu, lin, v, cpl == 3));
//   VMLAB_TRY(mmu::write_linear<uint16_t>(vcpu, lin, 0x1234, false));
//   unsigned n;
//   VMLAB_TRY(mmu::fetch_linear(vcpu, lin, buf, 15, user, n));   // instruction bytes, n >= 1
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>
#include "cpu/fault.h"
#include "cpu/vcpu.h"

namespace vmlab::mmu {

namespace detail {
cpu::Fault read_slow(cpu::Vcpu& v, uint32_t lin, uint8_t* out, unsigned size, bool user);
cpu::Fault write_slow(cpu::Vcpu& v, uint32_t lin, const uint8_t* in, unsigned size, bool user);
cpu::Fault fetch_slow(cpu::Vcpu& v, uint32_t lin, uint8_t* out, unsigned len, bool user,
                      unsigned& n_fetched);
}  // namespace detail

// Reads a T (1, 2, 4 or 8 bytes, little-endian) at `lin`.
template <typename T> inline cpu::Fault read_linear(cpu::Vcpu& v, uint32_t lin, T& out, bool user) {
  static_assert(std::is_integral_v<T> && sizeof(T) <= 8);
  if (uint8_t* p = v.tlb.lookup(Access::Read, user, lin, sizeof(T))) [[likely]] {
    std::memcpy(&out, p, sizeof(T));
    return cpu::kNoFault;
  }
  uint8_t buf[sizeof(T)];
  VMLAB_TRY(detail::read_slow(v, lin, buf, sizeof(T), user));
  std::memcpy(&out, buf, sizeof(T));
  return cpu::kNoFault;
}

// Writes a T at `lin`. A write TLB entry exists only for a page already dirty and not code,
// so the fast path needs no bitmap work.
template <typename T> inline cpu::Fault write_linear(cpu::Vcpu& v, uint32_t lin, T value, bool user) {
  static_assert(std::is_integral_v<T> && sizeof(T) <= 8);
  if (uint8_t* p = v.tlb.lookup(Access::Write, user, lin, sizeof(T))) [[likely]] {
    std::memcpy(p, &value, sizeof(T));
    return cpu::kNoFault;
  }
  uint8_t buf[sizeof(T)];
  std::memcpy(buf, &value, sizeof(T));
  return detail::write_slow(v, lin, buf, sizeof(T), user);
}

// Checks that [lin, lin+size) (size <= 4096) is writable: lets an instruction with several
// writes fault before its first write. On success it may set A/D bits and fill the TLB (the
// write follows); on failure it returns the #PF (CR2 written).
cpu::Fault probe_write(cpu::Vcpu& v, uint32_t lin, unsigned size, bool user);

// Instruction fetch of up to `len` (<= 16) bytes at `lin`, possibly crossing into the next page.
// Contract:
//   - the first byte cannot be fetched: returns its #PF (CR2 written), n_fetched = 0;
//   - otherwise returns kNoFault with n_fetched >= 1 bytes in out. When n_fetched < len, byte
//     n_fetched lies on a page that cannot be fetched; nothing was reported for it. A decoder
//     that needs that byte calls fetch_linear(v, lin + n_fetched, ...) again, which then returns
//     the fault (with CR2) as the first byte. Bytes the decoder never needs never fault.
inline cpu::Fault fetch_linear(cpu::Vcpu& v, uint32_t lin, uint8_t* out, unsigned len, bool user,
                               unsigned& n_fetched) {
  if (uint8_t* p = v.tlb.lookup(Access::Fetch, user, lin, len)) [[likely]] {
    std::memcpy(out, p, len);
    n_fetched = len;
    return cpu::kNoFault;
  }
  return detail::fetch_slow(v, lin, out, len, user, n_fetched);
}

// Guest physical address of `lin` for access `a` (TLB first, then a walk that sets A/D bits and
// reports the fault like an access would). For decode caches keyed by physical address:
//   uint64_t pa; VMLAB_TRY(mmu::linear_to_physical(v, eip_lin, Access::Fetch, user, pa));
cpu::Fault linear_to_physical_slow(cpu::Vcpu& v, uint32_t lin, Access a, bool user, uint64_t& pa);
inline cpu::Fault linear_to_physical(cpu::Vcpu& v, uint32_t lin, Access a, bool user, uint64_t& pa) {
  if (uint8_t* p = v.tlb.lookup(a, user, lin, 1)) [[likely]] {
    pa = uint64_t(p - v.mem.ram_base());
    return cpu::kNoFault;
  }
  return linear_to_physical_slow(v, lin, a, user, pa);
}

// Physical access used by the slow path, device models without DMA helpers and tests:
// RAM, then ROM, then the MmioBus (unclaimed reads all-ones, writes dropped, counted by the bus).
// width 1, 2 or 4; pa is a guest physical address (A20 already applied by the caller).
uint32_t read_physical(cpu::Vcpu& v, uint64_t pa, unsigned width);
void write_physical(cpu::Vcpu& v, uint64_t pa, unsigned width, uint32_t value);
// Any length (also 3, 8, page pieces); split across RAM / ROM / MMIO as needed.
void read_physical_bytes(cpu::Vcpu& v, uint64_t pa, uint8_t* out, unsigned len);
void write_physical_bytes(cpu::Vcpu& v, uint64_t pa, const uint8_t* in, unsigned len);

// The interpreter / translator marked physical page `page` as code in GuestMemory: drop this
// vCPU's write TLB entries to it so the next write goes through the slow path, which fires the
// code-write listener. Call it for every vCPU.
void on_page_marked_code(cpu::Vcpu& v, uint64_t page);
// Both steps in one: mem.mark_code(page) and on_page_marked_code(v, page). With several vCPUs,
// call on_page_marked_code for the others too.
void mark_page_as_code(cpu::Vcpu& v, uint64_t page);
// Dirty bits were cleared (snapshot, migration, display refresh): drop all write entries so the
// next write to each page marks it dirty again. Call it for every vCPU.
void on_dirty_bits_cleared(cpu::Vcpu& v);

}  // namespace vmlab::mmu
