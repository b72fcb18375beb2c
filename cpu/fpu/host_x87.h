// Host x87 evaluation: the arithmetic of the guest's x87 is done by the host's own x87 unit
// (x86 hosts only), so results, rounding (FCW.RC), precision control (FCW.PC), NaN
// propagation, denormal handling, the exception flags, the wrapped exponents of unmasked
// overflow/underflow and the condition codes are those of real hardware, bit for bit.
//
// Every primitive loads an environment holding the guest's full control word and its C0-C3
// (so codes an instruction leaves unchanged stay right), runs one instruction, captures the host
// FSW with FNSTSW, clears the host's flags with FNCLEX before anything could trap, stores the
// results under a masked control word and ends with FNINIT plus the host's own control word:
// the host never takes a floating-point trap and its x87 stack is always left empty. The guest
// FPU's stack, tags, fault masking and #MF logic are modelled in software (x87_stack.h).
//
//   HostResult r = host_binary(HostBin::Mul, a, b, s.fpu);   // r.value = a * b
//   if (r.sw & kFswPE) ...
//
// On a non-x86 host these would need a software x87 (docs/x87.md); the build rejects one.
#pragma once
#include <cstdint>
#include "cpu/fpu_state.h"

namespace vmlab::cpu::fpu {

// A register's 80-bit memory image: 64-bit mantissa, then sign and exponent (FSTP m80 order).
struct Ext80 {
  uint64_t mantissa = 0;
  uint16_t sign_exp = 0;
};

struct HostResult {
  Ext80 value{};
  Ext80 value2{};    // second result (FSINCOS sin, FPTAN tan, FXTRACT exponent)
  uint16_t sw = 0;   // host FSW right after the operation: exception bits and C0-C3
};

// ST(0) = a op b, or the two-operand instructions that read ST(0)=a and ST(1)=b.
enum class HostBin : uint8_t {
  Add, Mul, Com, Com2, Sub, Subr, Div, Divr,  // the D8 /reg order (Com2 = FCOMP's slot)
  Ucom, Prem, Prem1, Scale,                   // ST0 op ST1, result in ST0
  Patan, Yl2x, Yl2xp1,                        // ST1 op ST0, pop: result replaces ST1
};
enum class HostUn : uint8_t { Sqrt, Rndint, Sin, Cos, F2xm1, Tst, Xam, Sincos, Ptan, Xtract };
enum class HostLoad : uint8_t { F32, F64, I16, I32, I64, Bcd };
enum class HostStore : uint8_t { F32, F64, I16, I32, I64, Bcd };

inline constexpr unsigned kHostSize[] = {4, 8, 2, 4, 8, 10};  // by HostLoad / HostStore

// `f` supplies the control word and the condition codes the operation starts from.
HostResult host_binary(HostBin op, Ext80 a, Ext80 b, const FpuState& f);
HostResult host_unary(HostUn op, Ext80 a, const FpuState& f);
// ST(0)=a op memory operand (D8/DA/DC/DE memory forms, op in D8 /reg order; kind F32, I32,
// F64 or I16), exactly as the memory form runs, so operand-specific flags (a denormal single,
// NaN precedence) come out right.
HostResult host_arith_mem(unsigned op, HostLoad kind, Ext80 a, const uint8_t* mem,
                          const FpuState& f);
// Converts a memory operand (little-endian bytes as the guest stored them) to 80 bits.
HostResult host_load(HostLoad kind, const uint8_t* bytes, const FpuState& f);
// Converts ST(0)=a to a memory format; `out` gets 2/4/8/10 bytes. Returns the host FSW.
uint16_t host_store(HostStore kind, Ext80 a, const FpuState& f, uint8_t* out);
// Loads one of the FLD1..FLDZ constants (D9 E8+i), rounded by FCW.RC as hardware does.
Ext80 host_constant(unsigned index, const FpuState& f);

}  // namespace vmlab::cpu::fpu
