// x87 FPU and FXSAVE/FXRSTOR handlers for the opcode table (rows in
// cpu/decode/opcodes_x87.def). The instruction meanings live in cpu/fpu/ (docs/x87.md); these
// adapters only give them the table's handler shape.
#pragma once
#include "cpu/fpu/x87.h"

namespace vmlab::cpu::sem {

// ESC D8-DF (every ModRM form): x87 arithmetic, transfer, compare, control.
template <typename, int> Fault x87_escape(Vcpu& v, const Insn& i) { return fpu::x87_escape(v, i); }
// FWAIT (9B)
template <typename, int> Fault fwait(Vcpu& v, const Insn&) { return fpu::x87_fwait(v); }
// FXSAVE m512byte (0F AE /0), FXRSTOR m512byte (0F AE /1): A = 0 / 1.
template <typename, int A> Fault fxsave_fxrstor(Vcpu& v, const Insn& i) {
  return A ? fpu::fxrstor(v, i) : fpu::fxsave(v, i);
}

}  // namespace vmlab::cpu::sem
