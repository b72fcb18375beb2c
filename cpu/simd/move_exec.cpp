// Data movement, shuffles, bitwise float ops, MXCSR access and fences (SDM Vol. 2: MOVD MOVQ
// MOVDQA MOVDQU MOVUPS/PD MOVAPS/PD MOVSS MOVSD MOVLPS/PD MOVHPS/PD MOVHLPS MOVLHPS MOVNT*
// MOVQ2DQ MOVDQ2Q MASKMOVQ MASKMOVDQU MOVMSKPS/PD PMOVMSKB PSHUFW/D/HW/LW PINSRW PEXTRW
// SHUFPS/PD UNPCKLPS/PD UNPCKHPS/PD ANDPS ANDNPS ORPS XORPS (and PD) EMMS LDMXCSR STMXCSR
// LFENCE MFENCE SFENCE CLFLUSH). None of these can raise a SIMD floating-point exception.
#include "cpu/simd/int_ops.h"

namespace vmlab::cpu::simd {
namespace {

// Forms of the 0F 10-17/28-29/2B/50/54-57/C6 rows that exist only without a prefix or with 66.
bool ps_pd_only(Form f) { return f == Form::None || f == Form::P66; }

// dst (XMM i.reg) = op(dst, W) for a whole-register form with an aligned memory operand.
template <typename F> Fault xmm_binary(Vcpu& v, const Insn& i, F f) {
  VMLAB_TRY(check_sse(v.s));
  Vec b;
  VMLAB_TRY(read_W(v, i, b, Align::A16));
  set_xmm(v.s, i.reg, f(xmm(v.s, i.reg), b));
  return kNoFault;
}

Vec shuffle_words(const Vec& src, unsigned first, uint8_t imm) {  // PSHUFW/PSHUFLW/PSHUFHW
  Vec r = src;
  for (unsigned k = 0; k < 4; ++k) r.set<uint16_t>(first + k, src.get<uint16_t>(first + ((imm >> (2 * k)) & 3)));
  return r;
}

Fault load_store_full(Vcpu& v, const Insn& i, bool store, Align al) {  // MOVUPS/APS/DQA/DQU
  VMLAB_TRY(check_sse(v.s));
  if (!store) {
    Vec x;
    VMLAB_TRY(read_W(v, i, x, al));
    set_xmm(v.s, i.reg, x);
    return kNoFault;
  }
  if (!i.is_mem) {
    set_xmm(v.s, i.rm, xmm(v.s, i.reg));
    return kNoFault;
  }
  return write_m128(v, i, xmm(v.s, i.reg), al);
}

// MOVSS/MOVSD: register to register merges the low element; a load zeroes the rest.
Fault move_scalar(Vcpu& v, const Insn& i, bool store, unsigned bytes) {
  VMLAB_TRY(check_sse(v.s));
  const unsigned dst = store ? i.rm : i.reg, src = store ? i.reg : i.rm;
  if (!i.is_mem) {
    Vec d = xmm(v.s, dst);
    const Vec s = xmm(v.s, src);
    std::memcpy(d.b, s.b, bytes);
    set_xmm(v.s, dst, d);
    return kNoFault;
  }
  const Vec x = xmm(v.s, i.reg);
  if (store) return bytes == 4 ? write_m<uint32_t>(v, i, x.get<uint32_t>(0)) : write_m<uint64_t>(v, i, x.get<uint64_t>(0));
  Vec d;
  VMLAB_TRY(read_W_low(v, i, d, bytes));
  set_xmm(v.s, dst, d);
  return kNoFault;
}

// MOVLPS/MOVHPS/MOVLPD/MOVHPD m64 loads and stores; `half` 0 = low, 1 = high quadword.
Fault move_half(Vcpu& v, const Insn& i, bool store, unsigned half) {
  if (!i.is_mem) return fault_ud();
  VMLAB_TRY(check_sse(v.s));
  Vec x = xmm(v.s, i.reg);
  if (store) return write_m<uint64_t>(v, i, x.get<uint64_t>(half));
  uint64_t q;
  VMLAB_TRY(read_m<uint64_t>(v, i, q));
  x.set<uint64_t>(half, q);
  set_xmm(v.s, i.reg, x);
  return kNoFault;
}

// MASKMOVQ / MASKMOVDQU: bytes of `data` whose `mask` byte has bit 7 set go to DS:[eDI]
// (segment override allowed). The whole range is checked first, so a fault stores nothing.
Fault mask_move(Vcpu& v, const Insn& i, const Vec& data, const Vec& mask, unsigned n) {
  const uint32_t a = get_areg(v.s, i, EDI);
  bool any = false;
  for (unsigned k = 0; k < n; ++k) any |= (mask.b[k] & 0x80) != 0;
  if (!any) return kNoFault;
  VMLAB_TRY(probe_write_mem(v, i.seg, a, n));
  for (unsigned k = 0; k < n; ++k)
    if (mask.b[k] & 0x80) VMLAB_TRY(write_mem<uint8_t>(v, i.seg, (a + k) & addr_mask(i), data.b[k]));
  return kNoFault;
}

Fault ldmxcsr(Vcpu& v, const Insn& i) {
  VMLAB_TRY(check_sse(v.s));
  uint32_t x;
  VMLAB_TRY(read_m<uint32_t>(v, i, x));
  if (x & ~fpu::kMxcsrMask) return fault_gp(0);
  v.s.fpu.mxcsr = x;
  return kNoFault;
}

}  // namespace

Fault exec_move(Vcpu& v, const Insn& i, Op op) {
  CpuState& s = v.s;
  const Form f = form_of(i);
  switch (op) {
    // ---- MMX and the SSE/SSE2 integer moves -------------------------------------------------
    case kMovdLoad:  // 0F 6E: MOVD mm, r/m32 | 66: MOVD xmm, r/m32 (zero-extended)
      if (f == Form::None || f == Form::P66) {
        VMLAB_TRY(f == Form::None ? check_mmx(v) : check_sse(s));
        uint32_t x;
        VMLAB_TRY(read_E<uint32_t>(v, i, x));
        if (f == Form::P66) {
          Vec r;
          r.set<uint32_t>(0, x);
          set_xmm(s, i.reg, r);
        } else {
          set_mm(s, i.reg, x);
          mmx_transition(s);
        }
        return kNoFault;
      }
      return fault_ud();
    case kMovdStore:  // 0F 7E: MOVD r/m32, mm | 66: MOVD r/m32, xmm | F3: MOVQ xmm, xmm/m64
      if (f == Form::F3) {
        VMLAB_TRY(check_sse(s));
        Vec x;
        VMLAB_TRY(read_W_low(v, i, x, 8));
        Vec r;
        r.set<uint64_t>(0, x.get<uint64_t>(0));
        set_xmm(s, i.reg, r);
        return kNoFault;
      }
      if (f == Form::F2) return fault_ud();
      VMLAB_TRY(f == Form::None ? check_mmx(v) : check_sse(s));
      VMLAB_TRY(write_E<uint32_t>(v, i, f == Form::None ? uint32_t(mm(s, i.reg)) : uint32_t(s.fpu.xmm[i.reg].lo)));
      if (f == Form::None) mmx_transition(s);
      return kNoFault;
    case kMovqLoad:  // 0F 6F: MOVQ mm, mm/m64 | 66: MOVDQA | F3: MOVDQU
    case kMovqStore:  // 0F 7F: the stores
      if (f == Form::P66) return load_store_full(v, i, op == kMovqStore, Align::A16);
      if (f == Form::F3) return load_store_full(v, i, op == kMovqStore, Align::None);
      if (f == Form::F2) return fault_ud();
      VMLAB_TRY(check_mmx(v));
      if (op == kMovqLoad) {
        uint64_t q;
        VMLAB_TRY(read_Q(v, i, q));
        set_mm(s, i.reg, q);
      } else if (i.is_mem) {
        VMLAB_TRY(write_m<uint64_t>(v, i, mm(s, i.reg)));
      } else {
        set_mm(s, i.rm, mm(s, i.reg));
      }
      mmx_transition(s);
      return kNoFault;
    case kMovqD6:  // 66 0F D6: MOVQ xmm/m64, xmm | F3: MOVQ2DQ xmm, mm | F2: MOVDQ2Q mm, xmm
      if (f == Form::P66) {
        VMLAB_TRY(check_sse(s));
        const uint64_t q = s.fpu.xmm[i.reg].lo;
        if (i.is_mem) return write_m<uint64_t>(v, i, q);
        s.fpu.xmm[i.rm] = XmmReg{q, 0};
        return kNoFault;
      }
      if ((f != Form::F3 && f != Form::F2) || i.is_mem) return fault_ud();
      VMLAB_TRY(check_sse_mmx(v));
      if (f == Form::F3) s.fpu.xmm[i.reg] = XmmReg{mm(s, i.rm), 0};
      else set_mm(s, i.reg, s.fpu.xmm[i.rm].lo);
      mmx_transition(s);
      return kNoFault;
    case kMovntq:  // 0F E7: MOVNTQ m64, mm | 66: MOVNTDQ m128, xmm
      if (!i.is_mem || (f != Form::None && f != Form::P66)) return fault_ud();
      if (f == Form::P66) {
        VMLAB_TRY(check_sse(s));
        return write_m128(v, i, xmm(s, i.reg), Align::A16);
      }
      VMLAB_TRY(check_mmx(v));
      VMLAB_TRY(write_m<uint64_t>(v, i, mm(s, i.reg)));
      mmx_transition(s);
      return kNoFault;
    case kMovnti:  // 0F C3: MOVNTI m32, r32 (general registers only: no CR0/CR4 checks)
      if (!i.is_mem || f != Form::None) return fault_ud();
      return write_m<uint32_t>(v, i, s.gpr[i.reg]);
    case kMaskmov:  // 0F F7: MASKMOVQ mm, mm | 66: MASKMOVDQU xmm, xmm
      if (i.is_mem || (f != Form::None && f != Form::P66)) return fault_ud();
      if (f == Form::P66) {
        VMLAB_TRY(check_sse(s));
        return mask_move(v, i, xmm(s, i.reg), xmm(s, i.rm), 16);
      }
      VMLAB_TRY(check_mmx(v));
      VMLAB_TRY(mask_move(v, i, mm_vec(s, i.reg), mm_vec(s, i.rm), 8));
      mmx_transition(s);
      return kNoFault;
    case kPshuf: {  // 0F 70: PSHUFW | 66: PSHUFD | F3: PSHUFHW | F2: PSHUFLW
      const uint8_t imm = uint8_t(i.imm);
      if (f == Form::None) {
        VMLAB_TRY(check_mmx(v));
        uint64_t q;
        VMLAB_TRY(read_Q(v, i, q));
        Vec src;
        src.set<uint64_t>(0, q);
        set_mm(s, i.reg, shuffle_words(src, 0, imm).get<uint64_t>(0));
        mmx_transition(s);
        return kNoFault;
      }
      return xmm_binary(v, i, [&](const Vec&, const Vec& b) {
        if (f == Form::F3) return shuffle_words(b, 4, imm);
        if (f == Form::F2) return shuffle_words(b, 0, imm);
        Vec r;
        for (unsigned k = 0; k < 4; ++k) r.set<uint32_t>(k, b.get<uint32_t>((imm >> (2 * k)) & 3));
        return r;
      });
    }
    case kPinsrw: {  // 0F C4: PINSRW mm, r32/m16, imm8 | 66: xmm
      if (f != Form::None && f != Form::P66) return fault_ud();
      VMLAB_TRY(f == Form::None ? check_mmx(v) : check_sse(s));
      uint16_t w;
      VMLAB_TRY(read_E<uint16_t>(v, i, w));
      if (f == Form::P66) {
        Vec x = xmm(s, i.reg);
        x.set<uint16_t>(i.imm & 7, w);
        set_xmm(s, i.reg, x);
      } else {
        Vec x = mm_vec(s, i.reg);
        x.set<uint16_t>(i.imm & 3, w);
        set_mm(s, i.reg, x.get<uint64_t>(0));
        mmx_transition(s);
      }
      return kNoFault;
    }
    case kPextrw:  // 0F C5: PEXTRW r32, mm, imm8 | 66: xmm (register source only)
      if (i.is_mem || (f != Form::None && f != Form::P66)) return fault_ud();
      VMLAB_TRY(f == Form::None ? check_mmx(v) : check_sse(s));
      if (f == Form::P66) {
        s.gpr[i.reg] = xmm(s, i.rm).get<uint16_t>(i.imm & 7);
      } else {
        s.gpr[i.reg] = mm_vec(s, i.rm).get<uint16_t>(i.imm & 3);
        mmx_transition(s);
      }
      return kNoFault;
    case kPmovmskb: {  // 0F D7: PMOVMSKB r32, mm | 66: xmm (register source only)
      if (i.is_mem || (f != Form::None && f != Form::P66)) return fault_ud();
      VMLAB_TRY(f == Form::None ? check_mmx(v) : check_sse(s));
      const Vec x = f == Form::P66 ? xmm(s, i.rm) : mm_vec(s, i.rm);
      uint32_t m = 0;
      for (unsigned k = 0; k < (f == Form::P66 ? 16u : 8u); ++k) m |= uint32_t(x.b[k] >> 7) << k;
      s.gpr[i.reg] = m;
      if (f == Form::None) mmx_transition(s);
      return kNoFault;
    }
    case kEmms:  // 0F 77: every x87 register empty; TOP is unchanged
      if (f != Form::None) return fault_ud();
      VMLAB_TRY(check_mmx(v));
      s.fpu.ftw = 0xFFFF;
      return kNoFault;

    // ---- SSE / SSE2 moves ---------------------------------------------------------------------
    case kMovupsLoad:  // 0F 10: MOVUPS | 66 MOVUPD | F3 MOVSS | F2 MOVSD
    case kMovupsStore:  // 0F 11
      if (f == Form::F3 || f == Form::F2) return move_scalar(v, i, op == kMovupsStore, f == Form::F3 ? 4 : 8);
      return load_store_full(v, i, op == kMovupsStore, Align::None);
    case kMovapsLoad:  // 0F 28: MOVAPS | 66 MOVAPD
    case kMovapsStore:  // 0F 29
      if (!ps_pd_only(f)) return fault_ud();
      return load_store_full(v, i, op == kMovapsStore, Align::A16);
    case kMovntps:  // 0F 2B: MOVNTPS | 66 MOVNTPD (memory destination only)
      if (!ps_pd_only(f) || !i.is_mem) return fault_ud();
      return load_store_full(v, i, true, Align::A16);
    case kMovlpsLoad:  // 0F 12: MOVLPS xmm, m64 / MOVHLPS xmm, xmm | 66: MOVLPD xmm, m64
    case kMovhpsLoad:  // 0F 16: MOVHPS xmm, m64 / MOVLHPS xmm, xmm | 66: MOVHPD xmm, m64
      if (!ps_pd_only(f)) return fault_ud();  // F3/F2 are SSE3 (MOVSLDUP, MOVDDUP, ...)
      if (!i.is_mem) {
        if (f != Form::None) return fault_ud();
        VMLAB_TRY(check_sse(s));
        if (op == kMovlpsLoad) s.fpu.xmm[i.reg].lo = s.fpu.xmm[i.rm].hi;  // MOVHLPS
        else s.fpu.xmm[i.reg].hi = s.fpu.xmm[i.rm].lo;                    // MOVLHPS
        return kNoFault;
      }
      return move_half(v, i, false, op == kMovlpsLoad ? 0 : 1);
    case kMovlpsStore:  // 0F 13 / 0F 17: MOVLPS/MOVHPS m64, xmm (and 66 PD)
    case kMovhpsStore:
      if (!ps_pd_only(f)) return fault_ud();
      return move_half(v, i, true, op == kMovlpsStore ? 0 : 1);
    case kUnpcklps:  // 0F 14 / 15: UNPCKLPS/UNPCKHPS | 66: UNPCKLPD/UNPCKHPD
    case kUnpckhps: {
      if (!ps_pd_only(f)) return fault_ud();
      const bool pd = f == Form::P66;
      const Op int_form = op == kUnpcklps ? (pd ? kPunpcklqdq : kPunpckldq) : (pd ? kPunpckhqdq : kPunpckhdq);
      return xmm_binary(v, i, [&](const Vec& a, const Vec& b) { return int_op(int_form, a, b, 16, 0); });
    }
    case kMovmskps: {  // 0F 50: MOVMSKPS r32, xmm | 66: MOVMSKPD (register source only)
      if (!ps_pd_only(f) || i.is_mem) return fault_ud();
      VMLAB_TRY(check_sse(s));
      const Vec x = xmm(s, i.rm);
      uint32_t m = 0;
      if (f == Form::P66) m = uint32_t(x.get<uint64_t>(0) >> 63) | uint32_t(x.get<uint64_t>(1) >> 63) << 1;
      else for (unsigned k = 0; k < 4; ++k) m |= (x.get<uint32_t>(k) >> 31) << k;
      s.gpr[i.reg] = m;
      return kNoFault;
    }
    case kAndps:  // 0F 54-57: ANDPS ANDNPS ORPS XORPS | 66: the PD forms (same bits)
    case kAndnps:
    case kOrps:
    case kXorps: {
      if (!ps_pd_only(f)) return fault_ud();
      const Op int_form = op == kAndps ? kPand : op == kAndnps ? kPandn : op == kOrps ? kPor : kPxor;
      return xmm_binary(v, i, [&](const Vec& a, const Vec& b) { return int_op(int_form, a, b, 16, 0); });
    }
    case kShufps: {  // 0F C6: SHUFPS | 66: SHUFPD
      if (!ps_pd_only(f)) return fault_ud();
      const uint8_t imm = uint8_t(i.imm);
      return xmm_binary(v, i, [&](const Vec& a, const Vec& b) {
        Vec r;
        if (f == Form::P66) {
          r.set<uint64_t>(0, a.get<uint64_t>(imm & 1));
          r.set<uint64_t>(1, b.get<uint64_t>((imm >> 1) & 1));
        } else {
          r.set<uint32_t>(0, a.get<uint32_t>(imm & 3));
          r.set<uint32_t>(1, a.get<uint32_t>((imm >> 2) & 3));
          r.set<uint32_t>(2, b.get<uint32_t>((imm >> 4) & 3));
          r.set<uint32_t>(3, b.get<uint32_t>((imm >> 6) & 3));
        }
        return r;
      });
    }

    // ---- 0F AE: MXCSR and fences -------------------------------------------------------------
    case kLdmxcsr:
    case kStmxcsr:
      if (!i.is_mem || f != Form::None) return fault_ud();
      if (op == kLdmxcsr) return ldmxcsr(v, i);
      VMLAB_TRY(check_sse(s));
      return write_m<uint32_t>(v, i, s.fpu.mxcsr);
    case kLfence:  // fences order nothing in a one-at-a-time interpreter; the memory forms are
    case kMfence:  // XSAVE-family instructions, not modelled
      if (i.is_mem || f != Form::None) return fault_ud();
      return kNoFault;
    case kSfenceClflush:
      if (f != Form::None) return fault_ud();
      if (!i.is_mem) return kNoFault;  // SFENCE
      {  // CLFLUSH m8: no caches to flush, but the operand is checked like a byte read
        const uint32_t a = effective_address(s, i);
        VMLAB_TRY(check_segment(s, i.seg, a, 1, false));
        uint64_t pa;
        return mmu::linear_to_physical(v, s.seg[i.seg].base + a, mmu::Access::Read, user_access(s), pa);
      }
    default:
      return fault_ud();
  }
}

}  // namespace vmlab::cpu::simd
