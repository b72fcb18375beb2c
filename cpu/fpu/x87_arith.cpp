// x87 arithmetic and compares on the register stack (SDM Vol. 1, 8.3.5-8.3.7; Vol. 2 FADD FSUB
// FSUBR FMUL FDIV FDIVR FCOM FCOMP FCOMPP FUCOM* FCOMI* FUCOMI* FCMOVcc). The numeric step is
// the host's x87 (host_x87.h); stack faults and masking are decided here.
#include "cpu/flags.h"
#include "cpu/fpu/x87_ops.h"

namespace vmlab::cpu::fpu {
namespace {

constexpr uint16_t kCmpBits = kFswC0 | kFswC2 | kFswC3;

// The host ran with the guest's control word and condition codes, so its C0-C3 are the
// hardware's (C1 = round-up, the others as the instruction leaves them).
void commit_result(FpuState& f, unsigned dst_i, const HostResult& r, bool pop) {
  set_cc(f, r.sw);
  if (!merge_exceptions(f, r.sw)) return;
  set_st(f, dst_i, r.value);
  if (pop) fpu::pop(f);
}

// The common tail of every compare: a stack fault reports "unordered" when masked.
bool compare_stack_fault(FpuState& f) {
  set_c1(f, false);
  if (!merge_exceptions(f, kFswIE | kFswSF)) return false;
  set_cc(f, kCmpBits, kCmpBits);
  return true;
}

void do_pops(FpuState& f, unsigned n) {
  for (unsigned k = 0; k < n; ++k) pop(f);
}

}  // namespace

void arith_regs(FpuState& f, unsigned op, unsigned dst_i, unsigned src_i, bool pop) {
  if (op == kOpCom || op == kOpComp) {
    compare_regs(f, src_i, false, (op == kOpComp ? 1u : 0u) + (pop ? 1u : 0u));
    return;
  }
  if (empty(f, dst_i) || empty(f, src_i)) {
    if (stack_underflow(f, int(dst_i)) && pop) fpu::pop(f);
    return;
  }
  commit_result(f, dst_i, host_binary(HostBin(op), st(f, dst_i), st(f, src_i), f), pop);
}

void arith_mem(FpuState& f, unsigned op, HostLoad kind, const uint8_t* mem) {
  if (op == kOpCom || op == kOpComp) {
    compare_mem(f, kind, mem, op == kOpComp ? 1 : 0);
    return;
  }
  if (empty(f, 0)) {
    stack_underflow(f, 0);
    return;
  }
  commit_result(f, 0, host_arith_mem(op, kind, st(f, 0), mem, f), false);
}

void compare_regs(FpuState& f, unsigned src_i, bool unordered, unsigned pops) {
  if (empty(f, 0) || empty(f, src_i)) {
    if (compare_stack_fault(f)) do_pops(f, pops);
    return;
  }
  const HostResult r =
      host_binary(unordered ? HostBin::Ucom : HostBin::Com, st(f, 0), st(f, src_i), f);
  set_cc(f, r.sw);  // set even when an unmasked exception stops the pops, as hardware does
  if (merge_exceptions(f, r.sw)) do_pops(f, pops);
}

void compare_mem(FpuState& f, HostLoad kind, const uint8_t* mem, unsigned pops) {
  if (empty(f, 0)) {
    if (compare_stack_fault(f)) do_pops(f, pops);
    return;
  }
  const HostResult r = host_arith_mem(kOpCom, kind, st(f, 0), mem, f);
  set_cc(f, r.sw);
  if (merge_exceptions(f, r.sw)) do_pops(f, pops);
}

// FCOMI/FCOMIP/FUCOMI/FUCOMIP: C3/C2/C0 map to ZF/PF/CF; OF, SF and AF are cleared. The
// flags are written even when an unmasked exception stops the pop (as hardware does).
void compare_eflags(CpuState& s, unsigned src_i, bool unordered, bool pop) {
  FpuState& f = s.fpu;
  set_c1(f, false);
  uint16_t cc = kCmpBits;
  bool ok;
  if (empty(f, 0) || empty(f, src_i)) {
    ok = merge_exceptions(f, kFswIE | kFswSF);
    if (!ok) return;
  } else {
    const HostResult r =
        host_binary(unordered ? HostBin::Ucom : HostBin::Com, st(f, 0), st(f, src_i), f);
    ok = merge_exceptions(f, r.sw);
    cc = r.sw;
  }
  set_arith_flags(s.lazy, ((cc & kFswC3) ? ZF : 0) | ((cc & kFswC2) ? PF : 0) |
                              ((cc & kFswC0) ? CF : 0));
  if (pop && ok) fpu::pop(f);
}

// FCMOVcc (DA/DB C0-DF): moves ST(i) to ST(0) if the EFLAGS condition holds.
void fcmov(CpuState& s, unsigned cc, bool negate, unsigned src_i) {
  FpuState& f = s.fpu;
  if (empty(f, 0) || empty(f, src_i)) {
    stack_underflow(f, 0);
    return;
  }
  set_c1(f, false);
  bool cond = false;
  switch (cc & 3) {
    case 0: cond = get_cf(s.lazy); break;
    case 1: cond = get_zf(s.lazy); break;
    case 2: cond = get_cf(s.lazy) || get_zf(s.lazy); break;
    case 3: cond = get_pf(s.lazy); break;
  }
  if (cond != negate) set_st(f, 0, st(f, src_i));
}

}  // namespace vmlab::cpu::fpu
