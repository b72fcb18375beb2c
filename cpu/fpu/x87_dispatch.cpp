// The ESC opcodes D8-DF and FWAIT: CR0.EM/TS (#NM), the waiting/non-waiting split (pending
// exceptions, #MF), the last-instruction pointers (FIP/FCS/FOP/FDP/FDS), and the decode of each
// ModRM form into the operations of x87_ops.h (SDM Vol. 2, Appendix A.5 "Escape opcode
// instructions"). Undocumented aliases that P6 executes (FSTP1 D9 D8+i, FXCH4 DD C8+i, FCOM2,
// FCOMP3, FCOMP5, FXCH7, FSTP8/9, FFREEP) are executed as the instructions they alias.
#include "cpu/fpu/x87.h"
#include "cpu/fpu/x87_memory.h"
#include "cpu/fpu/x87_ops.h"
#include "cpu/operands.h"

namespace vmlab::cpu::fpu {
namespace {

// FNINIT FNCLEX FNSTENV FNSTCW FNSAVE FNSTSW (and the 8087/287 leftovers FNENI FNDISI FSETPM,
// no-ops here) do not wait: no pending-exception check, no pointer update.
bool non_waiting(const Insn& i) {
  const unsigned esc = i.opcode & 7;
  if (i.is_mem) return (esc == 1 && i.reg >= 6) || (esc == 5 && i.reg >= 6);
  return (esc == 3 && i.reg == 4 && i.rm <= 4) || (esc == 7 && i.reg == 4 && i.rm == 0);
}
// FLDENV FLDCW FRSTOR wait, but as control instructions leave the pointers alone.
bool waiting_control(const Insn& i) {
  const unsigned esc = i.opcode & 7;
  return i.is_mem && ((esc == 1 && (i.reg == 4 || i.reg == 5)) || (esc == 5 && i.reg == 4));
}

bool real_format(const CpuState& s) { return real_mode(s) || v86_mode(s); }

template <typename T> Fault read_value(Vcpu& v, const Insn& i, uint32_t ea, uint8_t* out) {
  T x;
  VMLAB_TRY(read_mem<T>(v, i.seg, ea, x));
  std::memcpy(out, &x, sizeof(T));
  return kNoFault;
}

Fault read_operand(Vcpu& v, const Insn& i, uint32_t ea, unsigned size, uint8_t* out) {
  switch (size) {
    case 2: return read_value<uint16_t>(v, i, ea, out);
    case 4: return read_value<uint32_t>(v, i, ea, out);
    case 8: return read_value<uint64_t>(v, i, ea, out);
    default:
      VMLAB_TRY(read_value<uint64_t>(v, i, ea, out));
      return read_value<uint16_t>(v, i, (ea + 8) & addr_mask(i), out + 8);
  }
}

Fault write_operand(Vcpu& v, const Insn& i, uint32_t ea, const uint8_t* in, unsigned size) {
  uint64_t lo = 0;
  switch (size) {
    case 2: { uint16_t x; std::memcpy(&x, in, 2); return write_mem<uint16_t>(v, i.seg, ea, x); }
    case 4: { uint32_t x; std::memcpy(&x, in, 4); return write_mem<uint32_t>(v, i.seg, ea, x); }
    case 8: std::memcpy(&lo, in, 8); return write_mem<uint64_t>(v, i.seg, ea, lo);
    default: {
      VMLAB_TRY(probe_write_mem(v, i.seg, ea, 10));
      uint16_t hi;
      std::memcpy(&lo, in, 8);
      std::memcpy(&hi, in + 8, 2);
      VMLAB_TRY(write_mem<uint64_t>(v, i.seg, ea, lo));
      return write_mem<uint16_t>(v, i.seg, (ea + 8) & addr_mask(i), hi);
    }
  }
}

// Loads a memory operand of the given kind and converts it to 80 bits.
Fault load_operand(Vcpu& v, const Insn& i, uint32_t ea, HostLoad kind, HostResult& out) {
  uint8_t bytes[10] = {};
  VMLAB_TRY(read_operand(v, i, ea, kHostSize[unsigned(kind)], bytes));
  out = host_load(kind, bytes, v.s.fpu);
  return kNoFault;
}

Fault store(Vcpu& v, const Insn& i, uint32_t ea, const StorePlan& p, bool pop) {
  if (p.write) VMLAB_TRY(write_operand(v, i, ea, p.bytes, p.size));
  commit_store(v.s.fpu, p, pop);
  return kNoFault;
}

Fault fsave(Vcpu& v, const Insn& i, uint32_t ea) {
  uint8_t img[108];
  const unsigned n = env_size(i.op32);
  build_env(v.s.fpu, real_format(v.s), i.op32, img);
  for (unsigned k = 0; k < 8; ++k) {
    const Ext80 x = st(v.s.fpu, k);
    std::memcpy(img + n + 10 * k, &x.mantissa, 8);
    std::memcpy(img + n + 10 * k + 8, &x.sign_exp, 2);
  }
  VMLAB_TRY(write_block(v, i.seg, ea, addr_mask(i), img, n + 80));
  fninit(v.s.fpu);
  return kNoFault;
}

Fault frstor(Vcpu& v, const Insn& i, uint32_t ea) {
  uint8_t img[108];
  const unsigned n = env_size(i.op32);
  VMLAB_TRY(read_block(v, i.seg, ea, addr_mask(i), img, n + 80));
  FpuState f = v.s.fpu;
  apply_env(f, real_format(v.s), i.op32, img);
  for (unsigned k = 0; k < 8; ++k) {
    FpuReg& r = f.st[phys(f, k)];
    std::memcpy(&r.mantissa, img + n + 10 * k, 8);
    std::memcpy(&r.sign_exp, img + n + 10 * k + 8, 2);
  }
  refresh_tags(f);
  v.s.fpu = f;
  return kNoFault;
}

Fault exec_memory(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  FpuState& f = s.fpu;
  const uint32_t ea = effective_address(s, i);
  const unsigned esc = i.opcode & 7, reg = i.reg;
  HostResult in;
  uint8_t buf[28];
  if (!(esc & 1)) {  // D8 DA DC DE: ST(0) op m32fp / m32int / m64fp / m16int
    static constexpr HostLoad kKind[] = {HostLoad::F32, HostLoad::I32, HostLoad::F64, HostLoad::I16};
    const HostLoad kind = kKind[esc >> 1];
    uint8_t bytes[8] = {};
    VMLAB_TRY(read_operand(v, i, ea, kHostSize[unsigned(kind)], bytes));
    arith_mem(f, reg, kind, bytes);
    return kNoFault;
  }
  switch ((esc << 3) | reg) {
    case 010: VMLAB_TRY(load_operand(v, i, ea, HostLoad::F32, in)); load_value(f, in.value, in.sw); return kNoFault;
    case 012: return store(v, i, ea, plan_store(f, HostStore::F32), false);
    case 013: return store(v, i, ea, plan_store(f, HostStore::F32), true);
    case 014:  // FLDENV
      VMLAB_TRY(read_block(v, i.seg, ea, addr_mask(i), buf, env_size(i.op32)));
      apply_env(f, real_format(s), i.op32, buf);
      return kNoFault;
    case 015: {  // FLDCW
      uint16_t cw;
      VMLAB_TRY(read_mem<uint16_t>(v, i.seg, ea, cw));
      fldcw(f, cw);
      return kNoFault;
    }
    case 016:  // FNSTENV: then masks every exception
      build_env(f, real_format(s), i.op32, buf);
      VMLAB_TRY(write_block(v, i.seg, ea, addr_mask(i), buf, env_size(i.op32)));
      f.fcw |= kFswExceptions;
      update_summary(f);
      return kNoFault;
    case 017: return write_mem<uint16_t>(v, i.seg, ea, f.fcw);  // FNSTCW
    case 030: VMLAB_TRY(load_operand(v, i, ea, HostLoad::I32, in)); load_value(f, in.value, in.sw); return kNoFault;
    case 032: return store(v, i, ea, plan_store(f, HostStore::I32), false);
    case 033: return store(v, i, ea, plan_store(f, HostStore::I32), true);
    case 035: {  // FLD m80fp: no conversion, no exception
      uint8_t b[10];
      VMLAB_TRY(read_operand(v, i, ea, 10, b));
      Ext80 x;
      std::memcpy(&x.mantissa, b, 8);
      std::memcpy(&x.sign_exp, b + 8, 2);
      load_value(f, x, f.fsw & (kFswC0 | kFswC2 | kFswC3));
      return kNoFault;
    }
    case 037: return store(v, i, ea, plan_store80(f), true);
    case 050: VMLAB_TRY(load_operand(v, i, ea, HostLoad::F64, in)); load_value(f, in.value, in.sw); return kNoFault;
    case 052: return store(v, i, ea, plan_store(f, HostStore::F64), false);
    case 053: return store(v, i, ea, plan_store(f, HostStore::F64), true);
    case 054: return frstor(v, i, ea);
    case 056: return fsave(v, i, ea);
    case 057: return write_mem<uint16_t>(v, i.seg, ea, f.fsw);  // FNSTSW m16
    case 070: VMLAB_TRY(load_operand(v, i, ea, HostLoad::I16, in)); load_value(f, in.value, in.sw); return kNoFault;
    case 072: return store(v, i, ea, plan_store(f, HostStore::I16), false);
    case 073: return store(v, i, ea, plan_store(f, HostStore::I16), true);
    case 074: VMLAB_TRY(load_operand(v, i, ea, HostLoad::Bcd, in)); load_value(f, in.value, in.sw); return kNoFault;
    case 075: VMLAB_TRY(load_operand(v, i, ea, HostLoad::I64, in)); load_value(f, in.value, in.sw); return kNoFault;
    case 076: return store(v, i, ea, plan_store(f, HostStore::Bcd), true);
    case 077: return store(v, i, ea, plan_store(f, HostStore::I64), true);
    default: return fault_ud();  // FISTTP (SSE3) and the reserved forms
  }
}

Fault exec_register(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  FpuState& f = s.fpu;
  const unsigned esc = i.opcode & 7, reg = i.reg, rm = i.rm;
  switch (esc) {
    case 0:  // D8: ST(0) = ST(0) op ST(i)
      if (reg == 2 || reg == 3) compare_regs(f, rm, false, reg - 2);
      else arith_regs(f, reg, 0, rm, false);
      return kNoFault;
    case 1:  // D9
      switch (reg) {
        case 0: fld_st(f, rm); return kNoFault;
        case 1: fxch(f, rm); return kNoFault;
        case 2: return rm == 0 ? kNoFault : fault_ud();  // FNOP
        case 3: fst_st(f, rm, true); return kNoFault;    // FSTP1 alias
        default: return d9_group(f, reg, rm) ? kNoFault : fault_ud();
      }
    case 2:  // DA: FCMOVB/E/BE/U, FUCOMPP
      if (reg < 4) { fcmov(s, reg, false, rm); return kNoFault; }
      if (reg == 5 && rm == 1) { compare_regs(f, 1, true, 2); return kNoFault; }
      return fault_ud();
    case 3:  // DB: FCMOVNB/NE/NBE/NU, FNCLEX, FNINIT, FUCOMI, FCOMI
      if (reg < 4) { fcmov(s, reg, true, rm); return kNoFault; }
      if (reg == 4) {
        if (rm == 2) fnclex(f);
        else if (rm == 3) fninit(f);
        else if (rm > 4) return fault_ud();
        return kNoFault;  // FNENI FNDISI FSETPM: no-ops since the 387
      }
      if (reg == 5 || reg == 6) { compare_eflags(s, rm, reg == 5, false); return kNoFault; }
      return fault_ud();
    case 4:  // DC: ST(i) = ST(i) op ST(0); the SUB/SUBR and DIV/DIVR encodings are swapped
      if (reg == 2 || reg == 3) compare_regs(f, rm, false, reg - 2);
      else arith_regs(f, reg >= 4 ? reg ^ 1 : reg, rm, 0, false);
      return kNoFault;
    case 5:  // DD
      switch (reg) {
        case 0: ffree(f, rm, false); return kNoFault;
        case 1: fxch(f, rm); return kNoFault;
        case 2: fst_st(f, rm, false); return kNoFault;
        case 3: fst_st(f, rm, true); return kNoFault;
        case 4: compare_regs(f, rm, true, 0); return kNoFault;
        case 5: compare_regs(f, rm, true, 1); return kNoFault;
        default: return fault_ud();
      }
    case 6:  // DE: the popping forms
      if (reg == 2) { compare_regs(f, rm, false, 1); return kNoFault; }
      if (reg == 3) {
        if (rm != 1) return fault_ud();
        compare_regs(f, 1, false, 2);
        return kNoFault;
      }
      arith_regs(f, reg >= 4 ? reg ^ 1 : reg, rm, 0, true);
      return kNoFault;
    default:  // DF
      switch (reg) {
        case 0: ffree(f, rm, true); return kNoFault;
        case 1: fxch(f, rm); return kNoFault;
        case 2:
        case 3: fst_st(f, rm, true); return kNoFault;
        case 4:
          if (rm != 0) return fault_ud();
          s.gpr[EAX] = (s.gpr[EAX] & 0xFFFF0000u) | f.fsw;  // FNSTSW AX
          return kNoFault;
        case 5:
        case 6: compare_eflags(s, rm, reg == 5, true); return kNoFault;
        default: return fault_ud();
      }
  }
}

struct Pointers {
  uint32_t fip, fdp;
  uint16_t fcs, fds, fop;
};

}  // namespace

Fault x87_escape(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  if (s.cr0 & (CR0_EM | CR0_TS)) return make_fault(kNM);
  const bool waiting = !non_waiting(i);
  if (waiting) VMLAB_TRY(check_pending(v));
  FpuState& f = s.fpu;
  const Pointers saved{f.fip, f.fdp, f.fcs, f.fds, f.fop};
  if (waiting && !waiting_control(i)) {
    const uint32_t eip_mask = code32(s) ? 0xFFFFFFFFu : 0xFFFFu;
    f.fip = (s.eip - i.len) & eip_mask;
    f.fcs = s.seg[CS].selector;
    f.fop = uint16_t(((i.opcode & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm);
    if (i.is_mem) {
      f.fdp = effective_address(s, i);
      f.fds = s.seg[i.seg].selector;
    }
  }
  const Fault r = i.is_mem ? exec_memory(v, i) : exec_register(v, i);
  if (r) {
    f.fip = saved.fip, f.fdp = saved.fdp, f.fcs = saved.fcs, f.fds = saved.fds, f.fop = saved.fop;
    return r;
  }
  sync_ferr(v);
  return kNoFault;
}

// FWAIT (9B): #NM only when CR0.TS and CR0.MP are both set (CR0.EM does not matter), then
// the pending-exception check.
Fault x87_fwait(Vcpu& v) {
  if ((v.s.cr0 & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP)) return make_fault(kNM);
  return check_pending(v);
}

}  // namespace vmlab::cpu::fpu
