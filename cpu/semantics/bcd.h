// Decimal adjust (SDM Vol. 2: DAA DAS AAA AAS AAM AAD) and SALC (D6, undocumented: AL = CF ? FF : 0).
// Flags the SDM leaves undefined: SF ZF PF follow AL; OF is cleared (DAA/DAS/AAA/AAS) or follows
// the 8-bit addition (AAD).
#pragma once
#include "cpu/operands.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

inline void set_flags_al(LazyFlags& f, uint8_t al, bool cf, bool af) {
  f.result = sign_extend32(al);
  f.aux = (uint32_t(cf) << 31) | (uint32_t(cf) << 30) | (af ? 0x8u : 0u);  // OF = 0
}

// DAA (27) / DAS (2F). A = 0 DAA, 1 DAS.
template <typename, int A> Fault daa_das(Vcpu& v, const Insn&) {
  uint8_t al = get_reg<uint8_t>(v.s, EAX);
  const uint8_t old_al = al;
  const bool old_cf = get_cf(v.s.lazy);
  bool cf = false, af = false;
  if ((al & 0xF) > 9 || get_af(v.s.lazy)) {
    cf = old_cf || (A ? old_al < 6 : old_al > 0xF9);
    al = A ? uint8_t(al - 6) : uint8_t(al + 6);
    af = true;
  }
  if (old_al > 0x99 || old_cf) {
    al = A ? uint8_t(al - 0x60) : uint8_t(al + 0x60);
    cf = true;
  }
  set_reg<uint8_t>(v.s, EAX, al);
  set_flags_al(v.s.lazy, al, cf, af);
  return kNoFault;
}

// AAA (37) / AAS (3F). A = 0 AAA, 1 AAS. 386+: AX += 106h / AX -= 6, AH -= 1.
template <typename, int A> Fault aaa_aas(Vcpu& v, const Insn&) {
  uint16_t ax = get_reg<uint16_t>(v.s, EAX);
  const bool adjust = (ax & 0xF) > 9 || get_af(v.s.lazy);
  if (adjust) ax = A ? uint16_t(ax - 6 - 0x100) : uint16_t(ax + 0x106);
  ax &= 0xFF0F;
  set_reg<uint16_t>(v.s, EAX, ax);
  set_flags_al(v.s.lazy, uint8_t(ax), adjust, adjust);
  return kNoFault;
}

// AAM imm8 (D4): AH = AL / imm, AL = AL % imm; #DE when imm is 0.
template <typename, int> Fault aam(Vcpu& v, const Insn& i) {
  const uint8_t base = uint8_t(i.imm), al = get_reg<uint8_t>(v.s, EAX);
  if (base == 0) return make_fault(kDE);
  const uint8_t r = al % base;
  set_reg<uint16_t>(v.s, EAX, uint16_t(((al / base) << 8) | r));
  set_flags_logic<uint8_t>(v.s.lazy, r);
  return kNoFault;
}

// AAD imm8 (D5): AL = AL + AH * imm, AH = 0; flags as the 8-bit addition.
template <typename, int> Fault aad(Vcpu& v, const Insn& i) {
  const uint8_t al = get_reg<uint8_t>(v.s, EAX), ah = uint8_t(v.s.gpr[EAX] >> 8);
  const uint8_t prod = uint8_t(ah * uint8_t(i.imm)), r = uint8_t(al + prod);
  set_reg<uint16_t>(v.s, EAX, r);
  set_flags_add<uint8_t>(v.s.lazy, al, prod, r);
  return kNoFault;
}

// SALC (D6)
template <typename, int> Fault salc(Vcpu& v, const Insn&) {
  set_reg<uint8_t>(v.s, EAX, get_cf(v.s.lazy) ? 0xFF : 0x00);
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
