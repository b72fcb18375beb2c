// The x87 / FXSR entry points the opcode-table handlers call (cpu/semantics/x87.h), plus the
// checks MMX shares: #NM for CR0.EM/CR0.TS and the pending-exception rule (#MF, or FERR#/IRQ13
// when CR0.NE=0).
//
//   VMLAB_TRY(fpu::check_pending(v));   // before a waiting x87 or MMX instruction
#pragma once
#include "cpu/decode/insn.h"
#include "cpu/fault.h"
#include "cpu/fpu_state.h"
#include "cpu/vcpu.h"

namespace vmlab::cpu::fpu {

// MXCSR bits FXRSTOR/LDMXCSR accept, as FXSAVE reports it: all 16, DAZ included (cpu/simd
// implements denormals-are-zero; an SSE2 CPU has it, and QEMU reports the same mask).
inline constexpr uint32_t kMxcsrMask = 0xFFFF;

// An unmasked exception is pending (FSW.ES): #MF when CR0.NE=1, otherwise FERR# is asserted
// (the machine routes it to IRQ13) and the instruction goes on, as on a PC with NE=0.
Fault check_pending(Vcpu& v);
// Lowers FERR# once nothing is pending any more (after FNCLEX, FNINIT, FLDENV, ...).
void sync_ferr(Vcpu& v);

Fault x87_escape(Vcpu& v, const Insn& i);  // D8-DF
Fault x87_fwait(Vcpu& v);                  // 9B
Fault fxsave(Vcpu& v, const Insn& i);      // 0F AE /0
Fault fxrstor(Vcpu& v, const Insn& i);     // 0F AE /1

// The environment (FSTENV layout) and full FSAVE image, for the mode and operand size given.
// Exposed for tests: real_format = real or V86 mode, op32 = 32-bit operand size.
unsigned env_size(bool op32);
void build_env(const FpuState& f, bool real_format, bool op32, uint8_t* out);
void apply_env(FpuState& f, bool real_format, bool op32, const uint8_t* in);
void build_fxsave(const FpuState& f, uint8_t* out512);  // bytes 0-287
// Returns false (#GP) if the image's MXCSR sets reserved bits.
bool apply_fxsave(FpuState& f, const uint8_t* in512);

}  // namespace vmlab::cpu::fpu
