// SSE/SSE2 floating point arithmetic and compares (SDM Vol. 2: ADD SUB MUL DIV MIN MAX SQRT
// (PS PD SS SD), RCPPS RCPSS RSQRTPS RSQRTSS, CMPPS/PD/SS/SD, COMISS/SD, UCOMISS/SD). The
// numbers come from the host's SSE unit (host_fp.cpp); this file does operands, the form
// selected by the prefix, alignment and the exception rules.
#include "cpu/semantics/flag_ops.h"
#include "cpu/simd/fp_result.h"
#include "cpu/simd/host_fp.h"

namespace vmlab::cpu::simd {
namespace {

FpForm fp_form(Form f) {
  switch (f) {
    case Form::None: return FpForm::PS;
    case Form::P66: return FpForm::PD;
    case Form::F3: return FpForm::SS;
    case Form::F2: return FpForm::SD;
  }
  return FpForm::PS;
}

bool can_underflow(Op op) { return op == kAdd || op == kSub || op == kMul || op == kDiv; }

}  // namespace

Fault exec_fp(Vcpu& v, const Insn& i, Op op) {
  CpuState& s = v.s;
  const Form form = form_of(i);
  if ((op == kRsqrt || op == kRcp) && form != Form::None && form != Form::F3) return fault_ud();
  if ((op == kComis || op == kUcomis) && form != Form::None && form != Form::P66) return fault_ud();
  VMLAB_TRY(check_sse(s));

  if (op == kComis || op == kUcomis) {  // the low element of each operand; EFLAGS result
    const bool dbl = form == Form::P66;
    Vec b;
    VMLAB_TRY(read_W_low(v, i, b, dbl ? 8 : 4));
    uint32_t fl = 0;
    const uint32_t flags = host_compare(op == kComis, dbl, xmm(s, i.reg), b, host_mxcsr(s.fpu.mxcsr), fl);
    VMLAB_TRY(commit_fp_flags(s, flags));
    update_flags(s.lazy, kArithFlags, fl);  // OF SF AF cleared
    return kNoFault;
  }

  const FpForm f = fp_form(form);
  const bool scalar = f == FpForm::SS || f == FpForm::SD;
  const bool dbl = f == FpForm::PD || f == FpForm::SD;
  Vec b;
  if (scalar) VMLAB_TRY(read_W_low(v, i, b, dbl ? 8 : 4));
  else VMLAB_TRY(read_W(v, i, b, Align::A16));
  Vec r = xmm(s, i.reg);
  uint32_t flags = host_arith(op, f, r, b, uint8_t(i.imm), host_mxcsr(s.fpu.mxcsr));
  if (can_underflow(op)) flags |= exact_underflow(s, r, scalar ? 1 : (dbl ? 2 : 4), dbl);
  VMLAB_TRY(commit_fp_flags(s, flags));
  set_xmm(s, i.reg, r);
  return kNoFault;
}

}  // namespace vmlab::cpu::simd
