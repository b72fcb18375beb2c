// SSE/SSE2 conversions (SDM Vol. 2: CVTPI2PS CVTPI2PD CVTSI2SS CVTSI2SD CVT(T)PS2PI
// CVT(T)PD2PI CVT(T)SS2SI CVT(T)SD2SI CVTPS2PD CVTPD2PS CVTSS2SD CVTSD2SS CVTDQ2PS CVT(T)PS2DQ
// CVTDQ2PD CVT(T)PD2DQ), by opcode byte and prefix. The arithmetic runs on the host
// (host_fp.cpp); the MMX-register forms are computed with the XMM form on the low two lanes
// (upper lanes zero, so they raise no flags) and take the x87 -> MMX transition.
#include "cpu/simd/fp_result.h"
#include "cpu/simd/host_fp.h"

namespace vmlab::cpu::simd {
namespace {

enum class Src : uint8_t { Xmm128, XmmLow64, XmmLow32, Mmx, Gpr };
enum class Dst : uint8_t { Xmm, XmmLow64, Mmx, Gpr };
struct Plan {
  Cvt cvt;
  Src src;
  Dst dst;
  bool ok = true;
};

Plan plan_for(Op op, Form f) {
  constexpr Plan kNone{Cvt::Dq2Ps, Src::Xmm128, Dst::Xmm, false};
  switch (op) {
    case kCvt2A:  // CVTPI2PS | CVTPI2PD | CVTSI2SS | CVTSI2SD
      if (f == Form::None) return {Cvt::Dq2Ps, Src::Mmx, Dst::XmmLow64};
      if (f == Form::P66) return {Cvt::Dq2Pd, Src::Mmx, Dst::Xmm};
      if (f == Form::F3) return {Cvt::Si2Ss, Src::Gpr, Dst::Xmm};
      return {Cvt::Si2Sd, Src::Gpr, Dst::Xmm};
    case kCvt2C:  // CVTTPS2PI | CVTTPD2PI | CVTTSS2SI | CVTTSD2SI
      if (f == Form::None) return {Cvt::TPs2Dq, Src::XmmLow64, Dst::Mmx};
      if (f == Form::P66) return {Cvt::TPd2Dq, Src::Xmm128, Dst::Mmx};
      if (f == Form::F3) return {Cvt::TSs2Si, Src::XmmLow32, Dst::Gpr};
      return {Cvt::TSd2Si, Src::XmmLow64, Dst::Gpr};
    case kCvt2D:  // CVTPS2PI | CVTPD2PI | CVTSS2SI | CVTSD2SI
      if (f == Form::None) return {Cvt::Ps2Dq, Src::XmmLow64, Dst::Mmx};
      if (f == Form::P66) return {Cvt::Pd2Dq, Src::Xmm128, Dst::Mmx};
      if (f == Form::F3) return {Cvt::Ss2Si, Src::XmmLow32, Dst::Gpr};
      return {Cvt::Sd2Si, Src::XmmLow64, Dst::Gpr};
    case kCvt5A:  // CVTPS2PD | CVTPD2PS | CVTSS2SD | CVTSD2SS
      if (f == Form::None) return {Cvt::Ps2Pd, Src::XmmLow64, Dst::Xmm};
      if (f == Form::P66) return {Cvt::Pd2Ps, Src::Xmm128, Dst::Xmm};
      if (f == Form::F3) return {Cvt::Ss2Sd, Src::XmmLow32, Dst::Xmm};
      return {Cvt::Sd2Ss, Src::XmmLow64, Dst::Xmm};
    case kCvt5B:  // CVTDQ2PS | CVTPS2DQ | CVTTPS2DQ | (F2: none)
      if (f == Form::None) return {Cvt::Dq2Ps, Src::Xmm128, Dst::Xmm};
      if (f == Form::P66) return {Cvt::Ps2Dq, Src::Xmm128, Dst::Xmm};
      if (f == Form::F3) return {Cvt::TPs2Dq, Src::Xmm128, Dst::Xmm};
      return kNone;
    case kCvtE6:  // (none) | CVTTPD2DQ | CVTDQ2PD | CVTPD2DQ
      if (f == Form::P66) return {Cvt::TPd2Dq, Src::Xmm128, Dst::Xmm};
      if (f == Form::F3) return {Cvt::Dq2Pd, Src::XmmLow64, Dst::Xmm};
      if (f == Form::F2) return {Cvt::Pd2Dq, Src::Xmm128, Dst::Xmm};
      return kNone;
    default:
      return kNone;
  }
}

}  // namespace

Fault exec_cvt(Vcpu& v, const Insn& i, Op op) {
  CpuState& s = v.s;
  const Plan p = plan_for(op, form_of(i));
  if (!p.ok) return fault_ud();
  const bool uses_mmx = p.src == Src::Mmx || p.dst == Dst::Mmx;
  VMLAB_TRY(uses_mmx ? check_sse_mmx(v) : check_sse(s));

  Vec b;
  uint32_t gpr = 0;
  switch (p.src) {
    case Src::Xmm128: VMLAB_TRY(read_W(v, i, b, Align::A16)); break;
    case Src::XmmLow64:
      VMLAB_TRY(read_W_low(v, i, b, 8));
      b.set<uint64_t>(1, 0);  // the packed forms must not see (or flag) the upper lanes
      break;
    case Src::XmmLow32: VMLAB_TRY(read_W_low(v, i, b, 4)); break;
    case Src::Mmx: {
      uint64_t q;
      VMLAB_TRY(read_Q(v, i, q));
      b.set<uint64_t>(0, q);
      break;
    }
    case Src::Gpr: VMLAB_TRY(read_E<uint32_t>(v, i, gpr)); break;
  }

  const Vec old = xmm(s, i.reg);
  Vec r = old;
  uint32_t flags = host_convert(p.cvt, r, b, gpr, host_mxcsr(s.fpu.mxcsr));
  if (p.cvt == Cvt::Pd2Ps || p.cvt == Cvt::Sd2Ss) flags |= exact_underflow(s, r, p.cvt == Cvt::Pd2Ps ? 2 : 1, false);
  VMLAB_TRY(commit_fp_flags(s, flags));
  switch (p.dst) {
    case Dst::Xmm: set_xmm(s, i.reg, r); break;
    case Dst::XmmLow64:
      r.set<uint64_t>(1, old.get<uint64_t>(1));
      set_xmm(s, i.reg, r);
      break;
    case Dst::Mmx: set_mm(s, i.reg, r.get<uint64_t>(0)); break;
    case Dst::Gpr: s.gpr[i.reg] = gpr; break;
  }
  // An MMX register operand puts the x87 unit in MMX state (a memory source does not).
  if (p.dst == Dst::Mmx || (p.src == Src::Mmx && !i.is_mem)) mmx_transition(s);
  return kNoFault;
}

}  // namespace vmlab::cpu::simd
