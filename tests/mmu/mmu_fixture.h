// Test fixture for the MMU tests: a 4 MiB machine with one vCPU in protected mode and helpers
// to build page tables in guest RAM.
//
//   MmuFixture m;
//   m.put32(0x10000 + 4 * 1, 0x11000 | P | RW);   // PDE 1
//   m.paging_2level(0x10000);
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>
#include "cpu/vcpu.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"
#include "mmu/linear_access.h"

namespace vmlab::mmu::test {

inline constexpr uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
inline constexpr uint64_t XD = 1ull << 63;

struct MmuFixture {
  machine::GuestMemory mem{4u << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  cpu::Vcpu v{mem, io, mmio};

  MmuFixture() { v.s.cr0 = cpu::CR0_PE | cpu::CR0_ET; }

  void put32(uint64_t pa, uint32_t x) { std::memcpy(mem.ram_base() + pa, &x, 4); }
  void put64(uint64_t pa, uint64_t x) { std::memcpy(mem.ram_base() + pa, &x, 8); }
  uint32_t get32(uint64_t pa) {
    uint32_t x;
    std::memcpy(&x, mem.ram_base() + pa, 4);
    return x;
  }
  uint64_t get64(uint64_t pa) {
    uint64_t x;
    std::memcpy(&x, mem.ram_base() + pa, 8);
    return x;
  }

  void paging_2level(uint32_t cr3, uint32_t cr4 = 0) {
    v.s.cr3 = cr3;
    v.s.cr4 = cr4;
    v.s.cr0 |= cpu::CR0_PG;
    v.tlb.flush_all();
  }
  void paging_pae(uint32_t cr3, uint32_t extra_cr4 = 0, bool nxe = false) {
    v.s.cr3 = cr3;
    v.s.cr4 = cpu::CR4_PAE | extra_cr4;
    v.s.msr.efer = nxe ? cpu::EFER_NXE : 0;
    v.s.cr0 |= cpu::CR0_PG;
    v.tlb.flush_all();
  }
  Translation tr(uint32_t lin, Access a = Access::Read, bool user = false) {
    return v.mmu.translate(v, lin, a, user);
  }
};

// #PF with exactly this error code.
inline bool is_pf(const std::optional<cpu::Fault>& f, uint32_t code) {
  return f && f->vector == cpu::kPF && f->has_error && f->error == code;
}
inline bool is_pf(const cpu::Fault& f, uint32_t code) {
  return f.vector == cpu::kPF && f.has_error && f.error == code;
}

}  // namespace vmlab::mmu::test
