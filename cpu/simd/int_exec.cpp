// Operand plumbing for the integer ops (0F 60-76, 0F D1-FE, the 0F 71-73 shift groups): no
// prefix = the MMX form on MMX registers (MMX exception rules, x87 -> MMX transition); 66 = the
// SSE2 form on XMM registers (SSE rules, aligned m128); F2/F3 = #UD. The arithmetic is in
// int_ops.cpp.
#include "cpu/simd/int_ops.h"

namespace vmlab::cpu::simd {
namespace {

bool is_imm_shift(Op op) { return op >= kPsrlwI && op <= kPslldqI; }
bool sse2_only(Op op) {
  return op == kPunpcklqdq || op == kPunpckhqdq || op == kPsrldqI || op == kPslldqI;
}
// PUNPCKL* on MMX read only 32 bits of a memory source (Qd); the rest of the row's forms read 64.
bool mmx_reads_m32(Op op) { return op == kPunpcklbw || op == kPunpcklwd || op == kPunpckldq; }

}  // namespace

Fault exec_int(Vcpu& v, const Insn& i, Op op) {
  CpuState& s = v.s;
  if (i.rep != Rep::None) return fault_ud();
  const bool x = i.opsize_prefix;
  if (!x && sse2_only(op)) return fault_ud();
  if (is_imm_shift(op) && i.is_mem) return fault_ud();
  VMLAB_TRY(x ? check_sse(s) : check_mmx(v));
  // The immediate shift groups name their one operand in r/m.
  const unsigned dst = is_imm_shift(op) ? i.rm : i.reg;
  Vec a = x ? xmm(s, dst) : mm_vec(s, dst);
  Vec b;
  if (!is_imm_shift(op)) {
    if (x) {
      VMLAB_TRY(read_W(v, i, b, Align::A16));
    } else if (i.is_mem && mmx_reads_m32(op)) {
      uint32_t lo;
      VMLAB_TRY(read_m<uint32_t>(v, i, lo));
      b.set<uint32_t>(0, lo);
    } else {
      uint64_t q;
      VMLAB_TRY(read_Q(v, i, q));
      b.set<uint64_t>(0, q);
    }
  }
  const Vec r = int_op(op, a, b, x ? 16 : 8, uint8_t(i.imm));
  if (x) {
    set_xmm(s, dst, r);
  } else {
    set_mm(s, dst, r.get<uint64_t>(0));
    mmx_transition(s);
  }
  return kNoFault;
}

}  // namespace vmlab::cpu::simd
