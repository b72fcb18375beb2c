// Data movement (SDM Vol. 2: MOV MOVZX MOVSX LEA XCHG XADD CMPXCHG CMPXCHG8B CMOVcc SETcc
// CBW CWDE CWD CDQ XLAT LAHF SAHF LDS LES LFS LGS LSS BOUND) and the flag instructions
// CLC STC CMC CLD STD.
#pragma once
#include "cpu/operands.h"
#include "cpu/protected_mode.h"
#include "cpu/semantics/flag_ops.h"

namespace vmlab::cpu::sem {

// MOV r/m, reg (88 89)
template <typename T, int> Fault mov_EG(Vcpu& v, const Insn& i) {
  return write_E<T>(v, i, get_reg<T>(v.s, i.reg));
}
// MOV reg, r/m (8A 8B); MOV AL/eAX, moffs (A0 A1) decodes as reg 0 with a memory operand.
template <typename T, int> Fault mov_GE(Vcpu& v, const Insn& i) {
  T x;
  VMLAB_TRY(read_E<T>(v, i, x));
  set_reg<T>(v.s, i.reg, x);
  return kNoFault;
}
// MOV r/m, imm (C6 C7 /0); MOV moffs, AL/eAX (A2 A3) uses mov_EG.
template <typename T, int> Fault mov_EI(Vcpu& v, const Insn& i) { return write_E<T>(v, i, T(i.imm)); }
// MOV reg, imm (B0+r B8+r)
template <typename T, int> Fault mov_rI(Vcpu& v, const Insn& i) {
  set_reg<T>(v.s, i.opcode & 7, T(i.imm));
  return kNoFault;
}
// MOV r/m, Sreg (8C): a register destination with 32-bit operand size gets the zero-extended
// selector; a memory destination is always 16 bits.
template <typename, int> Fault mov_E_sreg(Vcpu& v, const Insn& i) {
  if (i.reg >= kNumSegRegs) return fault_ud();
  const uint16_t sel = v.s.seg[i.reg].selector;
  if (!i.is_mem && i.op32) { v.s.gpr[i.rm] = sel; return kNoFault; }
  return write_E<uint16_t>(v, i, sel);
}
// MOV Sreg, r/m (8E): CS is not loadable; MOV SS blocks interrupts for one instruction.
template <typename, int> Fault mov_sreg_E(Vcpu& v, const Insn& i) {
  if (i.reg >= kNumSegRegs || i.reg == CS) return fault_ud();
  uint16_t sel;
  VMLAB_TRY(read_E<uint16_t>(v, i, sel));
  VMLAB_TRY(load_segment(v, i.reg, sel));
  if (i.reg == SS) v.s.events.interrupt_shadow = 1;
  return kNoFault;
}
// LEA reg, m (8D): the offset, truncated to the operand size.
template <typename T, int> Fault lea(Vcpu& v, const Insn& i) {
  if (!i.is_mem) return fault_ud();
  set_reg<T>(v.s, i.reg, T(effective_address(v.s, i)));
  return kNoFault;
}
// MOVZX/MOVSX reg, r/m8/r/m16 (0F B6 B7 BE BF). A = source bytes | 0x10 for sign extension.
template <typename T, int A> Fault movx(Vcpu& v, const Insn& i) {
  uint32_t x;
  if constexpr ((A & 0xF) == 1) {
    uint8_t b;
    VMLAB_TRY(read_E<uint8_t>(v, i, b));
    x = (A & 0x10) ? sign_extend32(b) : b;
  } else {
    uint16_t w;
    VMLAB_TRY(read_E<uint16_t>(v, i, w));
    x = (A & 0x10) ? sign_extend32(w) : w;
  }
  set_reg<T>(v.s, i.reg, T(x));
  return kNoFault;
}
// XCHG r/m, reg (86 87)
template <typename T, int> Fault xchg_EG(Vcpu& v, const Insn& i) {
  T a;
  VMLAB_TRY(read_E<T>(v, i, a));
  VMLAB_TRY(write_E<T>(v, i, get_reg<T>(v.s, i.reg)));
  set_reg<T>(v.s, i.reg, a);
  return kNoFault;
}
// XCHG eAX, reg (91-97); 90 is NOP.
template <typename T, int> Fault xchg_Ar(Vcpu& v, const Insn& i) {
  const unsigned r = i.opcode & 7;
  T a = get_reg<T>(v.s, EAX);
  set_reg<T>(v.s, EAX, get_reg<T>(v.s, r));
  set_reg<T>(v.s, r, a);
  return kNoFault;
}
// XADD r/m, reg (0F C0 C1): TEMP = SRC + DEST; SRC = DEST; DEST = TEMP.
template <typename T, int> Fault xadd(Vcpu& v, const Insn& i) {
  T d;
  VMLAB_TRY(read_E<T>(v, i, d));
  const T s = get_reg<T>(v.s, i.reg), r = T(d + s);
  if (i.is_mem) {
    VMLAB_TRY(write_E<T>(v, i, r));
    set_reg<T>(v.s, i.reg, d);
  } else {
    set_reg<T>(v.s, i.reg, d);
    set_reg<T>(v.s, i.rm, r);
  }
  set_flags_add<T>(v.s.lazy, d, s, r);
  return kNoFault;
}
// CMPXCHG r/m, reg (0F B0 B1): the destination is written in both cases, as the bus does.
template <typename T, int> Fault cmpxchg(Vcpu& v, const Insn& i) {
  T d;
  VMLAB_TRY(read_E<T>(v, i, d));
  const T acc = get_reg<T>(v.s, EAX);
  const bool eq = acc == d;
  VMLAB_TRY(write_E<T>(v, i, eq ? get_reg<T>(v.s, i.reg) : d));
  if (!eq) set_reg<T>(v.s, EAX, d);
  set_flags_sub<T>(v.s.lazy, acc, d, T(acc - d));
  return kNoFault;
}
// CMPXCHG8B m64 (0F C7 /1): only ZF changes.
template <typename, int> Fault cmpxchg8b(Vcpu& v, const Insn& i) {
  if (!i.is_mem) return fault_ud();
  const uint32_t a = effective_address(v.s, i), a2 = i.addr32 ? a + 4 : ((a + 4) & 0xFFFF);
  uint32_t lo, hi;
  VMLAB_TRY(read_mem<uint32_t>(v, i.seg, a, lo));
  VMLAB_TRY(read_mem<uint32_t>(v, i.seg, a2, hi));
  const bool eq = lo == v.s.gpr[EAX] && hi == v.s.gpr[EDX];
  VMLAB_TRY(probe_write_mem(v, i.seg, a, 4));
  VMLAB_TRY(probe_write_mem(v, i.seg, a2, 4));
  VMLAB_TRY(write_mem<uint32_t>(v, i.seg, a, eq ? v.s.gpr[EBX] : lo));
  VMLAB_TRY(write_mem<uint32_t>(v, i.seg, a2, eq ? v.s.gpr[ECX] : hi));
  if (!eq) { v.s.gpr[EAX] = lo; v.s.gpr[EDX] = hi; }
  update_flags(v.s.lazy, ZF, eq ? ZF : 0);
  return kNoFault;
}
// CMOVcc reg, r/m (0F 40-4F): the source is read (and may fault) whatever the condition.
template <typename T, int> Fault cmovcc(Vcpu& v, const Insn& i) {
  T x;
  VMLAB_TRY(read_E<T>(v, i, x));
  if (condition(v.s.lazy, i.opcode & 0xF)) set_reg<T>(v.s, i.reg, x);
  return kNoFault;
}
// SETcc r/m8 (0F 90-9F)
template <typename, int> Fault setcc(Vcpu& v, const Insn& i) {
  return write_E<uint8_t>(v, i, condition(v.s.lazy, i.opcode & 0xF) ? 1 : 0);
}
// CBW / CWDE (98)
template <typename T, int> Fault cbw(Vcpu& v, const Insn&) {
  if constexpr (sizeof(T) == 2) set_reg<uint16_t>(v.s, EAX, uint16_t(sign_extend32(uint8_t(v.s.gpr[EAX]))));
  else v.s.gpr[EAX] = sign_extend32(uint16_t(v.s.gpr[EAX]));
  return kNoFault;
}
// CWD / CDQ (99)
template <typename T, int> Fault cwd(Vcpu& v, const Insn&) {
  set_reg<T>(v.s, EDX, (get_reg<T>(v.s, EAX) & kSignBit<T>) ? T(~T(0)) : T(0));
  return kNoFault;
}
// XLAT (D7): AL = [seg:(E)BX + AL]
template <typename, int> Fault xlat(Vcpu& v, const Insn& i) {
  const uint32_t a = (v.s.gpr[EBX] + (v.s.gpr[EAX] & 0xFF)) & addr_mask(i);
  uint8_t x;
  VMLAB_TRY(read_mem<uint8_t>(v, i.seg, a, x));
  set_reg<uint8_t>(v.s, EAX, x);
  return kNoFault;
}
// LAHF (9F): AH = SF ZF 0 AF 0 PF 1 CF
template <typename, int> Fault lahf(Vcpu& v, const Insn&) {
  set_reg<uint8_t>(v.s, 4, uint8_t((get_arith_flags(v.s.lazy) & 0xD5) | 0x02));
  return kNoFault;
}
// SAHF (9E): SF ZF AF PF CF from AH; OF unchanged.
template <typename, int> Fault sahf(Vcpu& v, const Insn&) {
  update_flags(v.s.lazy, SF | ZF | AF | PF | CF, get_reg<uint8_t>(v.s, 4));
  return kNoFault;
}
// LDS/LES/LFS/LGS/LSS reg, m16:16/m16:32 (C5 C4 0F B4 B5 B2). A = the segment register.
template <typename T, int A> Fault load_far_pointer(Vcpu& v, const Insn& i) {
  T off;
  uint16_t sel;
  VMLAB_TRY(read_far_pointer<T>(v, i, off, sel));
  VMLAB_TRY(load_segment(v, uint8_t(A), sel));
  if (A == SS) v.s.events.interrupt_shadow = 1;
  set_reg<T>(v.s, i.reg, off);
  return kNoFault;
}
// BOUND reg, m (62): #BR when the signed index is outside [lower, upper].
template <typename T, int> Fault bound(Vcpu& v, const Insn& i) {
  if (!i.is_mem) return fault_ud();
  const uint32_t a = effective_address(v.s, i);
  T lo, hi;
  VMLAB_TRY(read_mem<T>(v, i.seg, a, lo));
  VMLAB_TRY(read_mem<T>(v, i.seg, (a + sizeof(T)) & addr_mask(i), hi));
  using S = std::make_signed_t<T>;
  const S idx = S(get_reg<T>(v.s, i.reg));
  if (idx < S(lo) || idx > S(hi)) return make_fault(kBR);
  return kNoFault;
}
// CLC F8, STC F9, CMC F5 (A = 0, 1, 2); CLD FC, STD FD (A = 3, 4)
template <typename, int A> Fault flag_op(Vcpu& v, const Insn&) {
  if constexpr (A == 0) update_flags(v.s.lazy, CF, 0);
  else if constexpr (A == 1) update_flags(v.s.lazy, CF, CF);
  else if constexpr (A == 2) update_flags(v.s.lazy, CF, get_cf(v.s.lazy) ? 0 : CF);
  else if constexpr (A == 3) v.s.eflags &= ~DF;
  else v.s.eflags |= DF;
  return kNoFault;
}
// NOP (90, F3 90 PAUSE, 0F 1F /0). PAUSE may end the vCPU's slice (Vcpu::yield_on_pause); the
// core sees the attention bit after the block and returns.
template <typename, int> Fault nop(Vcpu& v, const Insn& i) {
  if (i.rep == Rep::Rep && i.map == 0 && i.opcode == 0x90 && v.yield_on_pause) [[unlikely]]
    v.attention.fetch_or(kAttnYield, std::memory_order_relaxed);
  return kNoFault;
}
// UD2 (0F 0B), RSM outside SMM (0F AA), and every opcode the table marks undefined.
template <typename, int> Fault undefined(Vcpu&, const Insn&) { return fault_ud(); }

}  // namespace vmlab::cpu::sem
