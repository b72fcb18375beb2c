// D9 E0-FF: sign operations, FTST/FXAM, the constants, and the transcendental and
// miscellaneous ST(0)/ST(1) instructions (SDM Vol. 1, 8.3.8-8.3.10). Results come from the
// host's x87 (host_x87.h): on an x86 host they are what real hardware computes, including the
// partial-remainder and out-of-range (C2) behaviour of FPREM/FSIN/FPTAN.
#include "cpu/fpu/x87_ops.h"

namespace vmlab::cpu::fpu {
namespace {

// ST(0) = op ST(0). C0-C3 come from the host, which started from the guest's codes.
void unary_st0(FpuState& f, HostUn op) {
  if (empty(f, 0)) {
    stack_underflow(f, 0);
    return;
  }
  const HostResult r = host_unary(op, st(f, 0), f);
  set_cc(f, r.sw);
  if (merge_exceptions(f, r.sw)) set_st(f, 0, r.value);
}

// ST(0) = ST(0) op ST(1) (FPREM, FPREM1, FSCALE).
void binary_st0(FpuState& f, HostBin op) {
  if (empty(f, 0) || empty(f, 1)) {
    stack_underflow(f, 0);
    return;
  }
  const HostResult r = host_binary(op, st(f, 0), st(f, 1), f);
  set_cc(f, r.sw);
  if (merge_exceptions(f, r.sw)) set_st(f, 0, r.value);
}

// ST(1) = ST(1) op ST(0), pop (FPATAN, FYL2X, FYL2XP1).
void binary_pop(FpuState& f, HostBin op) {
  if (empty(f, 0) || empty(f, 1)) {
    if (stack_underflow(f, 1)) pop(f);
    return;
  }
  const HostResult r = host_binary(op, st(f, 0), st(f, 1), f);
  set_cc(f, r.sw);
  if (!merge_exceptions(f, r.sw)) return;
  set_st(f, 1, r.value);
  pop(f);
}

// ST(0) = second result, push first result (FSINCOS, FPTAN, FXTRACT). FSINCOS and FPTAN set
// C2 and change nothing when |ST(0)| >= 2^63.
void two_results(FpuState& f, HostUn op) {
  if (empty(f, 0)) {
    stack_underflow(f, 0);
    return;
  }
  if (!can_push(f)) {
    stack_overflow(f);
    return;
  }
  const HostResult r = host_unary(op, st(f, 0), f);
  set_cc(f, r.sw);
  if (!merge_exceptions(f, r.sw)) return;
  if (op != HostUn::Xtract && (r.sw & kFswC2)) return;  // out of range: nothing pushed
  set_st(f, 0, r.value2);
  push(f, r.value);
}

}  // namespace

bool d9_group(FpuState& f, unsigned reg, unsigned rm) {
  switch ((reg << 3) | rm) {
    case 040:  // FCHS
    case 041:  // FABS
      if (empty(f, 0)) {
        stack_underflow(f, 0);
      } else {
        Ext80 x = st(f, 0);
        x.sign_exp = rm == 0 ? uint16_t(x.sign_exp ^ 0x8000) : uint16_t(x.sign_exp & 0x7FFF);
        set_st(f, 0, x);
        set_c1(f, false);
      }
      return true;
    case 044:  // FTST
      if (empty(f, 0)) {
        set_c1(f, false);
        if (merge_exceptions(f, kFswIE | kFswSF)) set_cc(f, kFswC0 | kFswC2 | kFswC3);
        return true;
      }
      unary_st0(f, HostUn::Tst);  // the codes are set even when IE is unmasked
      return true;
    case 045:  // FXAM: an empty register is class "empty" (C3 C2 C0 = 101), C1 = its sign
      if (empty(f, 0)) {
        set_cc(f, uint16_t(kFswC3 | kFswC0 | ((st(f, 0).sign_exp & 0x8000) ? kFswC1 : 0)));
        return true;
      }
      set_cc(f, host_unary(HostUn::Xam, st(f, 0), f).sw);  // no exception, ever
      return true;
    case 050: case 051: case 052: case 053: case 054: case 055: case 056:  // FLD1 .. FLDZ
      if (!can_push(f)) {
        stack_overflow(f);
        return true;
      }
      push(f, host_constant(rm, f));
      set_c1(f, false);
      return true;
    case 060: unary_st0(f, HostUn::F2xm1); return true;
    case 061: binary_pop(f, HostBin::Yl2x); return true;
    case 062: two_results(f, HostUn::Ptan); return true;
    case 063: binary_pop(f, HostBin::Patan); return true;
    case 064: two_results(f, HostUn::Xtract); return true;
    case 065: binary_st0(f, HostBin::Prem1); return true;
    case 066:  // FDECSTP
    case 067:  // FINCSTP
      set_top(f, rm == 6 ? top(f) - 1 : top(f) + 1);
      set_c1(f, false);
      return true;
    case 070: binary_st0(f, HostBin::Prem); return true;
    case 071: binary_pop(f, HostBin::Yl2xp1); return true;
    case 072: unary_st0(f, HostUn::Sqrt); return true;
    case 073: two_results(f, HostUn::Sincos); return true;
    case 074: unary_st0(f, HostUn::Rndint); return true;
    case 075: binary_st0(f, HostBin::Scale); return true;
    case 076: unary_st0(f, HostUn::Sin); return true;
    case 077: unary_st0(f, HostUn::Cos); return true;
    default: return false;
  }
}

}  // namespace vmlab::cpu::fpu
