// PageTableAccess: how a page walker reads and writes paging-structure entries.
//
// Every entry the walkers touch goes through here, so the cost counters see every reference and
// a nested-paging mode can later route these guest-physical addresses through its second-level
// translation (and count those references too) without touching the walkers.
//
// Entries in RAM or ROM are read from there. An entry anywhere else (beyond RAM, MMIO, the
// unclaimed part of the legacy hole) reads as all-ones, as an unclaimed bus cycle does on a PC;
// the walker never reads device registers, so a wild CR3 has no side effects on devices. Writes
// (A/D bits) reach RAM only; elsewhere they are dropped.
//
//   PageTableAccess pt(v.mem, a20_mask, &v.mmu.counters);   // nullptr counters: probe, no counting
//   uint64_t pde = pt.read(pde_pa, 8);
#pragma once
#include <cstdint>
#include "machine/guest_memory.h"
#include "mmu/mmu.h"

namespace vmlab::mmu {

class PageTableAccess {
 public:
  PageTableAccess(machine::GuestMemory& mem, uint64_t a20_mask, MmuCounters* counters)
      : mem_(mem), a20_mask_(a20_mask), counters_(counters) {}

  // Reads a 4- or 8-byte entry at guest physical `pa` (naturally aligned by the walkers).
  uint64_t read(uint64_t pa, unsigned size);
  // Writes the low dword of an entry (the A/D bits live there in every format).
  void write32(uint64_t pa, uint32_t value);

  bool counting() const { return counters_ != nullptr; }

 private:
  machine::GuestMemory& mem_;
  uint64_t a20_mask_;
  MmuCounters* counters_;
};

}  // namespace vmlab::mmu
