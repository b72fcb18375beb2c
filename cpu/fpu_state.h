// FpuState: the x87 / MMX / SSE register file, as plain data inside CpuState.
//
// The layout follows what FXSAVE stores, so saving and restoring is a field-by-field copy and
// snapshots/KVM (kvm_fpu) map onto it directly:
//   - st[i] is the *physical* register Ri; ST(j) is st[(TOP + j) & 7] with TOP = fsw bits 11-13.
//   - An MMX register MMi is st[i].mantissa (MMX writes also set sign_exp to all ones).
//   - ftw holds the full two-bit tag per physical register (00 valid, 01 zero, 10 special,
//     11 empty), as FSTENV writes it; FXSAVE's abridged byte is derived from it.
//   - fip/fcs/fdp/fds/fop are the last non-control instruction's pointers, as FSTENV stores them.
//
//   CpuState s; reset_cpu_state(s);
//   FpuReg& st0 = s.fpu.st[fpu_top(s.fpu)];
#pragma once
#include <cstdint>

namespace vmlab::cpu {

struct FpuReg {
  uint64_t mantissa = 0;  // explicit integer bit at bit 63
  uint16_t sign_exp = 0;  // bit 15 sign, bits 0-14 biased exponent
  uint16_t pad[3] = {};
};

struct XmmReg {
  uint64_t lo = 0, hi = 0;
};

struct FpuState {
  FpuReg st[8]{};
  uint16_t fcw = 0x0040;   // RESET value (SDM Vol. 3, Table 9-1); FNINIT gives 0x037F
  uint16_t fsw = 0;
  uint16_t ftw = 0x5555;   // RESET: every register tagged "zero"; FNINIT gives 0xFFFF
  uint16_t fop = 0;
  uint32_t fip = 0, fdp = 0;
  uint16_t fcs = 0, fds = 0;
  uint32_t mxcsr = 0x1F80;
  XmmReg xmm[8]{};
};

inline unsigned fpu_top(const FpuState& f) { return (f.fsw >> 11) & 7; }

}  // namespace vmlab::cpu
