// The x87 operations on the register file alone (no memory, no faults): what the ESC handlers
// call after they have read a memory operand or before they write one. Each updates FSW (flags,
// C0-C3, TOP, ES) and the tags exactly as the instruction does, including the masked responses
// to stack faults and invalid operations. Unit-testable on a bare FpuState.
//
//   FpuState f; fninit(f);
//   load_value(f, one, 0);                 // FLD1-like push
//   arith_regs(f, kOpAdd, 0, 1, false);    // FADD ST(0), ST(1)
#pragma once
#include <cstdint>
#include "cpu/cpu_state.h"
#include "cpu/fpu/x87_stack.h"

namespace vmlab::cpu::fpu {

// Arithmetic ops in D8 /reg order: dest = dest op src.
enum : unsigned { kOpAdd = 0, kOpMul = 1, kOpCom = 2, kOpComp = 3, kOpSub = 4, kOpSubr = 5,
                  kOpDiv = 6, kOpDivr = 7 };

void fninit(FpuState& f);
void fnclex(FpuState& f);
void fldcw(FpuState& f, uint16_t cw);

// ST(dst) = ST(dst) op ST(src), then pop if asked (D8/DC/DE register forms).
void arith_regs(FpuState& f, unsigned op, unsigned dst_i, unsigned src_i, bool pop);
// ST(0) = ST(0) op memory operand (D8/DA/DC/DE memory forms; kind F32, I32, F64, I16).
void arith_mem(FpuState& f, unsigned op, HostLoad kind, const uint8_t* mem);
// FCOM/FUCOM family: compare ST(0) with ST(i), set C0/C2/C3, pop `pops` times.
void compare_regs(FpuState& f, unsigned src_i, bool unordered, unsigned pops);
void compare_mem(FpuState& f, HostLoad kind, const uint8_t* mem, unsigned pops);
// FCOMI/FUCOMI(P): ZF/PF/CF in EFLAGS.
void compare_eflags(CpuState& s, unsigned src_i, bool unordered, bool pop);
// D9 E0-FF (FCHS ... FCOS): rm selects. Returns false for an undefined encoding (#UD).
bool d9_group(FpuState& f, unsigned reg, unsigned rm);
// FCMOVcc ST(0), ST(i): cc 0..3 = B E BE U, negate for the DB forms.
void fcmov(CpuState& s, unsigned cc, bool negate, unsigned src_i);

void fld_st(FpuState& f, unsigned src_i);
void fst_st(FpuState& f, unsigned dst_i, bool pop);
void fxch(FpuState& f, unsigned i);
void ffree(FpuState& f, unsigned i, bool pop);
// Pushes a converted memory operand (FLD/FILD/FBLD) with the host FSW of the conversion
// (load_sw: its C0-C3 become the new codes; FLD m80 passes the current codes with C1 clear).
void load_value(FpuState& f, const Ext80& value, uint16_t load_sw);

// A store prepared before memory is touched: bytes to write (or nothing), then commit.
struct StorePlan {
  uint8_t bytes[10] = {};
  unsigned size = 0;
  bool write = false;   // write the bytes
  bool pop_ok = false;  // the instruction completes (FSTP pops)
  uint16_t exc = 0;     // exception bits to merge
  uint16_t cc = 0;      // C0-C3 to set (from the host; C1 = round-up)
};
StorePlan plan_store(const FpuState& f, HostStore kind);
StorePlan plan_store80(const FpuState& f);
void commit_store(FpuState& f, const StorePlan& p, bool pop);

}  // namespace vmlab::cpu::fpu
