// Linear-address memory access for execution cores: software TLB fast path, then the Mmu walk,
// then RAM / ROM / MMIO dispatch on the physical address. Accesses that cross a page are split
// (both pages are translated before anything is written, so a fault leaves memory unchanged).
//
// `user` is the privilege class of the access: true for CPL-3 data accesses and fetches,
// false for supervisor and implicit system accesses (descriptor tables, TSS, IDT).
//
//   uint32_t v;
//   VMLAB_TRY(mmu::read_linear<uint32_t>(vcpu, lin, v, cpl == 3));
//   VMLAB_TRY(mmu::write_linear<uint16_t>(vcpu, lin, 0x1234, false));
//   VMLAB_TRY(mmu::fetch_linear(vcpu, lin, buf, 15, user));   // instruction bytes
#pragma once
#include <cstdint>
#include "cpu/fault.h"
#include "cpu/vcpu.h"

namespace vmlab::mmu {

template <typename T> cpu::Fault read_linear(cpu::Vcpu& v, uint32_t lin, T& out, bool user);
template <typename T> cpu::Fault write_linear(cpu::Vcpu& v, uint32_t lin, T value, bool user);
// Checks that [lin, lin+size) is writable (translating it, setting nothing): lets an instruction
// with several writes fault before its first write.
cpu::Fault probe_write(cpu::Vcpu& v, uint32_t lin, unsigned size, bool user);
// Reads up to `len` instruction bytes; returns the fault of the first byte that cannot be
// fetched only if that byte is needed (n_fetched says how many were read).
cpu::Fault fetch_linear(cpu::Vcpu& v, uint32_t lin, uint8_t* out, unsigned len, bool user,
                        unsigned& n_fetched);

// Physical access used by the slow path, DMA-free device models and page walkers:
// RAM, then ROM, then the MmioBus (unclaimed reads all-ones).
uint32_t read_physical(cpu::Vcpu& v, uint64_t pa, unsigned width);
void write_physical(cpu::Vcpu& v, uint64_t pa, unsigned width, uint32_t value);

}  // namespace vmlab::mmu
