// FXSAVE/FXRSTOR (0F AE /0 /1; SDM Vol. 2, Table 3-53, non-64-bit layout): the 512-byte image
// with the abridged tag byte (one bit per physical register: 1 = not empty), registers in stack
// order (ST0 first) in 16-byte slots, MXCSR and its mask, and XMM0-7. Bytes 288-511 are
// reserved and left untouched. Unlike FNSAVE, FXSAVE does not reinitialise the FPU; neither
// instruction checks for pending x87 exceptions.
#include <cstring>
#include "cpu/fpu/x87.h"
#include "cpu/fpu/x87_memory.h"
#include "cpu/fpu/x87_ops.h"
#include "cpu/operands.h"

namespace vmlab::cpu::fpu {
namespace {
constexpr unsigned kFxImageBytes = 288;  // bytes FXSAVE writes in 32-bit mode
}

void build_fxsave(const FpuState& f, uint8_t* out) {
  std::memset(out, 0, kFxImageBytes);
  put16(out + 0, f.fcw);
  put16(out + 2, f.fsw);
  uint8_t abridged = 0;
  for (unsigned p = 0; p < 8; ++p)
    if (tag(f, p) != kTagEmpty) abridged = uint8_t(abridged | (1u << p));
  out[4] = abridged;
  put16(out + 6, f.fop & 0x7FF);
  put32(out + 8, f.fip);
  put16(out + 12, f.fcs);
  put32(out + 16, f.fdp);
  put16(out + 20, f.fds);
  put32(out + 24, f.mxcsr);
  put32(out + 28, kMxcsrMask);
  for (unsigned i = 0; i < 8; ++i) {
    const FpuReg& r = f.st[phys(f, i)];
    std::memcpy(out + 32 + 16 * i, &r.mantissa, 8);
    std::memcpy(out + 40 + 16 * i, &r.sign_exp, 2);
  }
  for (unsigned x = 0; x < 8; ++x) {
    std::memcpy(out + 160 + 16 * x, &f.xmm[x].lo, 8);
    std::memcpy(out + 168 + 16 * x, &f.xmm[x].hi, 8);
  }
}

bool apply_fxsave(FpuState& f, const uint8_t* in) {
  const uint32_t mxcsr = get32(in + 24);
  if (mxcsr & ~kMxcsrMask) return false;
  fldcw(f, get16(in + 0));
  f.fsw = get16(in + 2);
  const uint8_t abridged = in[4];
  f.fop = get16(in + 6) & 0x7FF;
  f.fip = get32(in + 8);
  f.fcs = get16(in + 12);
  f.fdp = get32(in + 16);
  f.fds = get16(in + 20);
  f.mxcsr = mxcsr;
  for (unsigned i = 0; i < 8; ++i) {
    FpuReg& r = f.st[phys(f, i)];
    std::memcpy(&r.mantissa, in + 32 + 16 * i, 8);
    std::memcpy(&r.sign_exp, in + 40 + 16 * i, 2);
  }
  for (unsigned p = 0; p < 8; ++p)
    set_tag(f, p, (abridged >> p) & 1 ? tag_for(to_ext(f.st[p])) : kTagEmpty);
  for (unsigned x = 0; x < 8; ++x) {
    std::memcpy(&f.xmm[x].lo, in + 160 + 16 * x, 8);
    std::memcpy(&f.xmm[x].hi, in + 168 + 16 * x, 8);
  }
  update_summary(f);
  return true;
}

namespace {
// #NM for CR0.EM or CR0.TS, #GP(0) for an operand not 16-byte aligned (SDM Vol. 2 FXSAVE).
Fault fx_checks(Vcpu& v, const Insn& i, uint32_t& ea) {
  if (!i.is_mem) return fault_ud();
  if (v.s.cr0 & (CR0_EM | CR0_TS)) return make_fault(kNM);
  ea = effective_address(v.s, i);
  if ((v.s.seg[i.seg].base + ea) & 15) return fault_gp(0);
  return kNoFault;
}
}  // namespace

// FXSAVE m512byte (0F AE /0)
Fault fxsave(Vcpu& v, const Insn& i) {
  uint32_t ea;
  VMLAB_TRY(fx_checks(v, i, ea));
  uint8_t img[kFxImageBytes];
  build_fxsave(v.s.fpu, img);
  return write_block(v, i.seg, ea, addr_mask(i), img, kFxImageBytes);
}

// FXRSTOR m512byte (0F AE /1)
Fault fxrstor(Vcpu& v, const Insn& i) {
  uint32_t ea;
  VMLAB_TRY(fx_checks(v, i, ea));
  uint8_t img[kFxImageBytes];
  VMLAB_TRY(read_block(v, i.seg, ea, addr_mask(i), img, kFxImageBytes));
  FpuState f = v.s.fpu;
  if (!apply_fxsave(f, img)) return fault_gp(0);
  v.s.fpu = f;
  sync_ferr(v);
  return kNoFault;
}

}  // namespace vmlab::cpu::fpu
