// x87 control state: FNINIT, FNCLEX, FLDCW, the pending-exception rule, and the FSTENV/FLDENV
// environment in its four layouts (16/32-bit operand size x protected/real mode; SDM Vol. 1,
// Figures 8-9 to 8-12). FSAVE/FRSTOR (x87_dispatch.cpp) append the eight registers.
#include "cpu/fpu/x87.h"
#include "cpu/fpu/x87_memory.h"
#include "cpu/fpu/x87_ops.h"

namespace vmlab::cpu::fpu {

void fninit(FpuState& f) {
  f.fcw = 0x037F;
  f.fsw = 0;
  f.ftw = 0xFFFF;
  f.fop = 0;
  f.fip = f.fdp = 0;
  f.fcs = f.fds = 0;
}

void fnclex(FpuState& f) { f.fsw &= uint16_t(~(kFswExceptions | kFswSF | kFswES | kFswB)); }

void fldcw(FpuState& f, uint16_t cw) {
  f.fcw = uint16_t((cw & kFcwWritable) | kFcwFixed);
  update_summary(f);  // a newly unmasked flag becomes pending for the next waiting instruction
}

Fault check_pending(Vcpu& v) {
  if (!(v.s.fpu.fsw & kFswES)) return kNoFault;
  if (v.s.cr0 & CR0_NE) return make_fault(kMF);
  if (v.ferr) v.ferr->raise();
  return kNoFault;
}

void sync_ferr(Vcpu& v) {
  if (v.ferr && !(v.s.fpu.fsw & kFswES)) v.ferr->lower();
}

unsigned env_size(bool op32) { return op32 ? 28 : 14; }

// Real-mode layouts hold 20-bit (16-bit form) or 32-bit linear pointers split around the
// opcode; the reserved upper halves of the 32-bit form read as ones.
void build_env(const FpuState& f0, bool real_format, bool op32, uint8_t* out) {
  FpuState f = f0;
  refresh_tags(f);
  const uint32_t ip_lin = (uint32_t(f.fcs) << 4) + f.fip;
  const uint32_t dp_lin = (uint32_t(f.fds) << 4) + f.fdp;
  const uint16_t fop = f.fop & 0x7FF;
  if (op32) {
    put32(out + 0, 0xFFFF0000u | f.fcw);
    put32(out + 4, 0xFFFF0000u | f.fsw);
    put32(out + 8, 0xFFFF0000u | f.ftw);
    if (real_format) {
      put32(out + 12, 0xFFFF0000u | (ip_lin & 0xFFFF));
      put32(out + 16, ((ip_lin >> 16) << 12) | fop);
      put32(out + 20, 0xFFFF0000u | (dp_lin & 0xFFFF));
      put32(out + 24, (dp_lin >> 16) << 12);
    } else {
      put32(out + 12, f.fip);
      put32(out + 16, f.fcs | (uint32_t(fop) << 16));
      put32(out + 20, f.fdp);
      put32(out + 24, 0xFFFF0000u | f.fds);
    }
  } else {
    put16(out + 0, f.fcw);
    put16(out + 2, f.fsw);
    put16(out + 4, f.ftw);
    if (real_format) {
      put16(out + 6, uint16_t(ip_lin));
      put16(out + 8, uint16_t(((ip_lin >> 16) & 0xF) << 12 | fop));
      put16(out + 10, uint16_t(dp_lin));
      put16(out + 12, uint16_t(((dp_lin >> 16) & 0xF) << 12));
    } else {
      put16(out + 6, uint16_t(f.fip));
      put16(out + 8, f.fcs);
      put16(out + 10, uint16_t(f.fdp));
      put16(out + 12, f.fds);
    }
  }
}

// Loads an environment. Tags: only "empty or not" is taken from the image; the others are
// recomputed from the register contents, as P6 and later do.
void apply_env(FpuState& f, bool real_format, bool op32, const uint8_t* in) {
  uint16_t tw;
  if (op32) {
    fldcw(f, get16(in + 0));
    f.fsw = get16(in + 4);
    tw = get16(in + 8);
    if (real_format) {
      f.fip = (get32(in + 12) & 0xFFFF) | ((get32(in + 16) >> 12) << 16);
      f.fop = get32(in + 16) & 0x7FF;
      f.fdp = (get32(in + 20) & 0xFFFF) | ((get32(in + 24) >> 12) << 16);
      f.fcs = f.fds = 0;
    } else {
      f.fip = get32(in + 12);
      f.fcs = get16(in + 16);
      f.fop = (get32(in + 16) >> 16) & 0x7FF;
      f.fdp = get32(in + 20);
      f.fds = get16(in + 24);
    }
  } else {
    fldcw(f, get16(in + 0));
    f.fsw = get16(in + 2);
    tw = get16(in + 4);
    if (real_format) {
      f.fip = get16(in + 6) | (uint32_t(get16(in + 8) >> 12) << 16);
      f.fop = get16(in + 8) & 0x7FF;
      f.fdp = get16(in + 10) | (uint32_t(get16(in + 12) >> 12) << 16);
      f.fcs = f.fds = 0;
    } else {
      f.fip = get16(in + 6);
      f.fcs = get16(in + 8);
      f.fdp = get16(in + 10);
      f.fds = get16(in + 12);
      f.fop = 0;  // the 16-bit protected-mode layout has no opcode field
    }
  }
  f.ftw = tw;
  refresh_tags(f);
  update_summary(f);
}

}  // namespace vmlab::cpu::fpu
