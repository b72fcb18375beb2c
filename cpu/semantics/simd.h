// MMX, SSE and SSE2 (SDM Vol. 2; Vol. 1 chapters 9-11; Vol. 3 chapter 13): the handlers the
// opcode table (cpu/decode/opcodes_simd.def) names. Each row's arg is one simd::Op; the work is
// in cpu/simd/, which picks the mandatory-prefix form (none / 66 / F3 / F2) at run time and
// raises #UD for a form that does not exist. See docs/simd.md.
#pragma once
#include "cpu/decode/insn.h"
#include "cpu/fault.h"

namespace vmlab::cpu {
class Vcpu;
}

namespace vmlab::cpu::simd {

enum Op : int {
  // integer ops on MMX registers, or XMM registers with a 66 prefix (cpu/simd/int_exec.cpp)
  kPunpcklbw, kPunpcklwd, kPunpckldq, kPacksswb, kPcmpgtb, kPcmpgtw, kPcmpgtd, kPackuswb,
  kPunpckhbw, kPunpckhwd, kPunpckhdq, kPackssdw, kPunpcklqdq, kPunpckhqdq,
  kPcmpeqb, kPcmpeqw, kPcmpeqd,
  kPsrlw, kPsrld, kPsrlq, kPsraw, kPsrad, kPsllw, kPslld, kPsllq,
  kPsrlwI, kPsrldI, kPsrlqI, kPsrawI, kPsradI, kPsllwI, kPslldI, kPsllqI, kPsrldqI, kPslldqI,
  kPaddb, kPaddw, kPaddd, kPaddq, kPsubb, kPsubw, kPsubd, kPsubq,
  kPaddsb, kPaddsw, kPaddusb, kPaddusw, kPsubsb, kPsubsw, kPsubusb, kPsubusw,
  kPmullw, kPmulhw, kPmulhuw, kPmuludq, kPmaddwd, kPsadbw,
  kPand, kPandn, kPor, kPxor,
  kPminub, kPmaxub, kPminsw, kPmaxsw, kPavgb, kPavgw,
  kNumIntOps,
  // data movement, shuffles, bitwise float ops, MXCSR, fences (cpu/simd/move_exec.cpp)
  kMovupsLoad, kMovupsStore, kMovlpsLoad, kMovlpsStore, kMovhpsLoad, kMovhpsStore,
  kMovapsLoad, kMovapsStore, kMovntps, kUnpcklps, kUnpckhps, kMovmskps,
  kAndps, kAndnps, kOrps, kXorps, kShufps,
  kMovdLoad, kMovdStore, kMovqLoad, kMovqStore, kMovqD6, kMovntq, kMovnti, kMaskmov,
  kPshuf, kPinsrw, kPextrw, kPmovmskb, kEmms,
  kLdmxcsr, kStmxcsr, kLfence, kMfence, kSfenceClflush,
  // floating point arithmetic and compares (cpu/simd/fp_exec.cpp)
  kAdd, kSub, kMul, kDiv, kMin, kMax, kSqrt, kRsqrt, kRcp, kCmp, kComis, kUcomis,
  // conversions, by opcode byte (cpu/simd/cvt_exec.cpp)
  kCvt2A, kCvt2C, kCvt2D, kCvt5A, kCvt5B, kCvtE6,
};

Fault exec_int(Vcpu& v, const Insn& i, Op op);
Fault exec_move(Vcpu& v, const Insn& i, Op op);
Fault exec_fp(Vcpu& v, const Insn& i, Op op);
Fault exec_cvt(Vcpu& v, const Insn& i, Op op);

}  // namespace vmlab::cpu::simd

namespace vmlab::cpu::sem {

template <typename, int A> Fault simd_int(Vcpu& v, const Insn& i) { return simd::exec_int(v, i, simd::Op(A)); }
template <typename, int A> Fault simd_move(Vcpu& v, const Insn& i) { return simd::exec_move(v, i, simd::Op(A)); }
template <typename, int A> Fault simd_fp(Vcpu& v, const Insn& i) { return simd::exec_fp(v, i, simd::Op(A)); }
template <typename, int A> Fault simd_cvt(Vcpu& v, const Insn& i) { return simd::exec_cvt(v, i, simd::Op(A)); }

}  // namespace vmlab::cpu::sem
