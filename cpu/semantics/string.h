// String instructions (SDM Vol. 2: MOVS CMPS STOS LODS SCAS INS OUTS, with REP/REPE/REPNE).
// Every iteration commits (E)CX/(E)SI/(E)DI, so a fault in the middle leaves the registers as
// after the last completed iteration, with EIP at the string instruction (the interpreter
// restores EIP on a fault). A long REP returns to the run loop every kRepSlice iterations with
// EIP still at the instruction, so interrupts and exits are taken between iterations; the
// instruction then continues where it stopped.
#pragma once
#include "cpu/operands.h"
#include "cpu/protected_mode.h"
#include "cpu/semantics/flag_ops.h"
#include "cpu/vcpu.h"

namespace vmlab::cpu::sem {

enum StringOp : int { kMovs, kCmps, kStos, kLods, kScas, kIns, kOuts };
inline constexpr uint32_t kRepSlice = 1024;

// EIP of the executing instruction (s.eip already points past it).
inline uint32_t current_insn_eip(const CpuState& s, const Insn& i) {
  const uint32_t e = s.eip - i.len;
  return code32(s) ? e : (e & 0xFFFF);
}

template <typename T, int Op> inline Fault string_iteration(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  const uint32_t delta = (s.eflags & DF) ? uint32_t(-int32_t(sizeof(T))) : uint32_t(sizeof(T));
  const uint32_t si = get_areg(s, i, ESI), di = get_areg(s, i, EDI);
  if constexpr (Op == kMovs) {
    T x;
    VMLAB_TRY(read_mem<T>(v, i.seg, si, x));
    VMLAB_TRY(write_mem<T>(v, ES, di, x));
  } else if constexpr (Op == kCmps) {
    T a, b;
    VMLAB_TRY(read_mem<T>(v, i.seg, si, a));
    VMLAB_TRY(read_mem<T>(v, ES, di, b));
    set_flags_sub<T>(s.lazy, a, b, T(a - b));
  } else if constexpr (Op == kStos) {
    VMLAB_TRY(write_mem<T>(v, ES, di, get_reg<T>(s, EAX)));
  } else if constexpr (Op == kLods) {
    T x;
    VMLAB_TRY(read_mem<T>(v, i.seg, si, x));
    set_reg<T>(s, EAX, x);
  } else if constexpr (Op == kScas) {
    T b;
    VMLAB_TRY(read_mem<T>(v, ES, di, b));
    const T a = get_reg<T>(s, EAX);
    set_flags_sub<T>(s.lazy, a, b, T(a - b));
  } else if constexpr (Op == kIns) {
    const uint16_t port = uint16_t(s.gpr[EDX]);
    VMLAB_TRY(check_io_permission(v, port, sizeof(T)));
    VMLAB_TRY(probe_write_mem(v, ES, di, sizeof(T)));
    ++v.counters.io_reads;
    VMLAB_TRY(write_mem<T>(v, ES, di, T(v.io.read(port, sizeof(T)))));
  } else {
    const uint16_t port = uint16_t(s.gpr[EDX]);
    VMLAB_TRY(check_io_permission(v, port, sizeof(T)));
    T x;
    VMLAB_TRY(read_mem<T>(v, i.seg, si, x));
    ++v.counters.io_writes;
    v.io.write(port, sizeof(T), x);
  }
  if constexpr (Op == kMovs || Op == kCmps || Op == kLods || Op == kOuts)
    set_areg(s, i, ESI, si + delta);
  if constexpr (Op != kLods && Op != kOuts) set_areg(s, i, EDI, di + delta);
  return kNoFault;
}

// MOVS A4 A5, CMPS A6 A7, STOS AA AB, LODS AC AD, SCAS AE AF, INS 6C 6D, OUTS 6E 6F.
template <typename T, int Op> Fault string_insn(Vcpu& v, const Insn& i) {
  if (i.rep == Rep::None) return string_iteration<T, Op>(v, i);
  CpuState& s = v.s;
  uint32_t count = get_areg(s, i, ECX);
  for (uint32_t n = 0; count != 0; ++n) {
    if (n == kRepSlice) {  // come back through the run loop, then continue
      s.eip = current_insn_eip(s, i);
      return kEipMoved;
    }
    VMLAB_TRY((string_iteration<T, Op>(v, i)));
    set_areg(s, i, ECX, --count);
    if constexpr (Op == kCmps || Op == kScas) {
      // REPE/REPZ (F3) stops when ZF = 0, REPNE/REPNZ (F2) when ZF = 1.
      if (get_zf(s.lazy) != (i.rep == Rep::Rep)) break;
    }
  }
  return kNoFault;
}

// IN AL/eAX, imm8 / DX (E4 E5 EC ED). A = 0 imm8 port, 1 DX.
template <typename T, int A> Fault in_port(Vcpu& v, const Insn& i) {
  const uint16_t port = A ? uint16_t(v.s.gpr[EDX]) : uint16_t(i.imm & 0xFF);
  VMLAB_TRY(check_io_permission(v, port, sizeof(T)));
  ++v.counters.io_reads;
  set_reg<T>(v.s, EAX, T(v.io.read(port, sizeof(T))));
  return kNoFault;
}
// OUT imm8 / DX, AL/eAX (E6 E7 EE EF)
template <typename T, int A> Fault out_port(Vcpu& v, const Insn& i) {
  const uint16_t port = A ? uint16_t(v.s.gpr[EDX]) : uint16_t(i.imm & 0xFF);
  VMLAB_TRY(check_io_permission(v, port, sizeof(T)));
  ++v.counters.io_writes;
  v.io.write(port, sizeof(T), get_reg<T>(v.s, EAX));
  return kNoFault;
}

}  // namespace vmlab::cpu::sem
