// Operand access for decoded instructions: general registers by width (AL..BH for bytes),
// the ModRM effective address, and the E (register-or-memory) operand.
//
//   uint16_t x;
//   VMLAB_TRY(read_E<uint16_t>(v, i, x));      // ModRM r/m operand
//   set_reg<uint16_t>(v.s, i.reg, x);          // ModRM reg operand
#pragma once
#include <cstdint>
#include "cpu/decode/insn.h"
#include "cpu/segmented_access.h"

namespace vmlab::cpu {

// Register number r of width T. Byte registers 4..7 are AH CH DH BH (bits 8-15 of 0..3).
template <typename T> inline T get_reg(const CpuState& s, unsigned r) {
  if constexpr (sizeof(T) == 1)
    return static_cast<uint8_t>(r < 4 ? s.gpr[r] : s.gpr[r - 4] >> 8);
  else
    return static_cast<T>(s.gpr[r]);
}

// Writes register r; 8- and 16-bit writes keep the rest of the 32-bit register.
template <typename T> inline void set_reg(CpuState& s, unsigned r, T val) {
  if constexpr (sizeof(T) == 1) {
    if (r < 4) s.gpr[r] = (s.gpr[r] & ~0xFFu) | val;
    else s.gpr[r - 4] = (s.gpr[r - 4] & ~0xFF00u) | (uint32_t(val) << 8);
  } else if constexpr (sizeof(T) == 2) {
    s.gpr[r] = (s.gpr[r] & ~0xFFFFu) | val;
  } else {
    s.gpr[r] = val;
  }
}

template <typename T> inline constexpr T kSignBit = T(T(1) << (sizeof(T) * 8 - 1));

// The ModRM/moffs effective address (offset within i.seg), wrapped to the address size.
[[gnu::always_inline]] inline uint32_t effective_address(const CpuState& s, const Insn& i) {
  uint32_t a = i.disp;
  if (i.base != kNoReg) a += s.gpr[i.base];
  if (i.index != kNoReg) a += s.gpr[i.index] << i.scale;
  return i.addr32 ? a : (a & 0xFFFF);
}

template <typename T> [[gnu::always_inline]] inline Fault read_E(Vcpu& v, const Insn& i, T& out) {
  if (!i.is_mem) {
    out = get_reg<T>(v.s, i.rm);
    return kNoFault;
  }
  return read_mem<T>(v, i.seg, effective_address(v.s, i), out);
}

template <typename T> [[gnu::always_inline]] inline Fault write_E(Vcpu& v, const Insn& i, T val) {
  if (!i.is_mem) {
    set_reg<T>(v.s, i.rm, val);
    return kNoFault;
  }
  return write_mem<T>(v, i.seg, effective_address(v.s, i), val);
}

// Address-size aware string/loop counter and index registers.
inline uint32_t addr_mask(const Insn& i) { return i.addr32 ? 0xFFFFFFFFu : 0xFFFFu; }
inline uint32_t get_areg(const CpuState& s, const Insn& i, unsigned r) {
  return s.gpr[r] & addr_mask(i);
}
inline void set_areg(CpuState& s, const Insn& i, unsigned r, uint32_t val) {
  const uint32_t m = addr_mask(i);
  s.gpr[r] = (s.gpr[r] & ~m) | (val & m);
}

// Reads the m16:16 / m16:32 far pointer a memory operand names (offset, then selector), for
// LDS/LES/LFS/LGS/LSS and JMP/CALL far indirect. A register operand is #UD.
template <typename T> inline Fault read_far_pointer(Vcpu& v, const Insn& i, T& off, uint16_t& sel) {
  if (!i.is_mem) return fault_ud();
  const uint32_t a = effective_address(v.s, i);
  VMLAB_TRY(read_mem<T>(v, i.seg, a, off));
  return read_mem<uint16_t>(v, i.seg, (a + sizeof(T)) & addr_mask(i), sel);
}

// Next-instruction EIP after a near branch: 16-bit operand size truncates to 16 bits.
inline uint32_t branch_target(const Insn& i, uint32_t target) {
  return i.op32 ? target : (target & 0xFFFF);
}

}  // namespace vmlab::cpu
