// Host x87 evaluation (see host_x87.h). Each primitive is one inline-asm block:
//   prologue  FNSTCW host; FLDENV {guest FCW, guest C0-C3, all tags empty}
//   body      load operands (FLD m80 never raises), run the instruction
//   epilogue  FNSTSW; FNCLEX (nothing pending any more); FLDCW masked; store results;
//             FNINIT (host stack empty whatever the instruction pushed or popped); FLDCW host
// AT&T note: only register forms with ST(0) as destination are used ("fsub %st(1), %st" is
// ST0 = ST0 - ST1); the forms with ST(i) as destination are the ones gas spells inverted.
#include "cpu/fpu/host_x87.h"
#include <cstring>

#if !defined(__x86_64__) && !defined(__i386__)
#error "cpu/fpu/host_x87.cpp evaluates x87 arithmetic on the host x87: an x86 host is required"
#endif

namespace vmlab::cpu::fpu {
namespace {

struct Mem10 {
  uint8_t b[10];
};
// The 28-byte protected-mode FLDENV image (what FLDENV reads in 32- and 64-bit code).
struct HostEnv {
  uint32_t w[7];
};
HostEnv host_env(const FpuState& f) {
  HostEnv e{};
  e.w[0] = f.fcw;
  e.w[1] = f.fsw & 0x4700u;  // C0-C3 only: no flags, TOP 0
  e.w[2] = 0xFFFF;           // all empty
  return e;
}
constexpr uint16_t kMaskedCw = 0x037F;

#define VMLAB_X87_PRO "fnstcw %[hcw]\n\tfldenv %[env]\n\t"
#define VMLAB_X87_MID "\n\tfnstsw %[sw]\n\tfnclex\n\tfldcw %[mcw]\n\t"
#define VMLAB_X87_EPI "\n\tfninit\n\tfldcw %[hcw]"
#define VMLAB_X87_IN [env] "m"(env), [mcw] "m"(kMaskedCw)

// ST0 = a, ST1 = b; INSN; result ST0.
#define VMLAB_X87_BIN(INSN)                                                                 \
  asm volatile(VMLAB_X87_PRO "fldt %[b]\n\tfldt %[a]\n\t" INSN VMLAB_X87_MID "fstpt %[r]"   \
               VMLAB_X87_EPI                                                                \
               : [r] "=m"(res.value), [sw] "=m"(res.sw), [hcw] "=m"(hcw)                   \
               : [a] "m"(a), [b] "m"(b), VMLAB_X87_IN)
#define VMLAB_X87_UN(INSN)                                                                  \
  asm volatile(VMLAB_X87_PRO "fldt %[a]\n\t" INSN VMLAB_X87_MID "fstpt %[r]" VMLAB_X87_EPI  \
               : [r] "=m"(res.value), [sw] "=m"(res.sw), [hcw] "=m"(hcw)                   \
               : [a] "m"(a), VMLAB_X87_IN)
// Two results (FSINCOS, FPTAN, FXTRACT): ST0 -> value, ST1 -> value2. When the instruction
// pushed nothing (C2 out of range, or an unmasked invalid operand) the second store reads an
// empty register under the masked control word, harmlessly; the caller ignores it.
#define VMLAB_X87_UN2(INSN)                                                                 \
  asm volatile(VMLAB_X87_PRO "fldt %[a]\n\t" INSN VMLAB_X87_MID "fstpt %[r]\n\tfstpt %[r2]" \
               VMLAB_X87_EPI                                                                \
               : [r] "=m"(res.value), [r2] "=m"(res.value2), [sw] "=m"(res.sw),            \
                 [hcw] "=m"(hcw)                                                            \
               : [a] "m"(a), VMLAB_X87_IN)
#define VMLAB_X87_MEM(INSN)                                                                 \
  asm volatile(VMLAB_X87_PRO "fldt %[a]\n\t" INSN " %[m]" VMLAB_X87_MID "fstpt %[r]"        \
               VMLAB_X87_EPI                                                                \
               : [r] "=m"(res.value), [sw] "=m"(res.sw), [hcw] "=m"(hcw)                   \
               : [a] "m"(a), [m] "m"(m), VMLAB_X87_IN)
#define VMLAB_X87_LOAD(INSN)                                                                \
  asm volatile(VMLAB_X87_PRO INSN " %[m]" VMLAB_X87_MID "fstpt %[r]" VMLAB_X87_EPI          \
               : [r] "=m"(res.value), [sw] "=m"(res.sw), [hcw] "=m"(hcw)                   \
               : [m] "m"(m), VMLAB_X87_IN)
#define VMLAB_X87_STORE(INSN)                                                               \
  asm volatile(VMLAB_X87_PRO "fldt %[a]\n\t" INSN " %[m]" VMLAB_X87_MID VMLAB_X87_EPI       \
               : [m] "+m"(m), [sw] "=m"(sw), [hcw] "=m"(hcw)                               \
               : [a] "m"(a), VMLAB_X87_IN)
#define VMLAB_X87_CONST(INSN)                                                               \
  asm volatile(VMLAB_X87_PRO INSN VMLAB_X87_MID "fstpt %[r]" VMLAB_X87_EPI                  \
               : [r] "=m"(res.value), [sw] "=m"(res.sw), [hcw] "=m"(hcw)                   \
               : VMLAB_X87_IN)

}  // namespace

HostResult host_binary(HostBin op, Ext80 a, Ext80 b, const FpuState& f) {
  HostResult res;
  const HostEnv env = host_env(f);
  uint16_t hcw;
  switch (op) {
    case HostBin::Add: VMLAB_X87_BIN("fadd %%st(1), %%st"); break;
    case HostBin::Mul: VMLAB_X87_BIN("fmul %%st(1), %%st"); break;
    case HostBin::Com:
    case HostBin::Com2: VMLAB_X87_BIN("fcom %%st(1)"); break;
    case HostBin::Sub: VMLAB_X87_BIN("fsub %%st(1), %%st"); break;
    case HostBin::Subr: VMLAB_X87_BIN("fsubr %%st(1), %%st"); break;
    case HostBin::Div: VMLAB_X87_BIN("fdiv %%st(1), %%st"); break;
    case HostBin::Divr: VMLAB_X87_BIN("fdivr %%st(1), %%st"); break;
    case HostBin::Ucom: VMLAB_X87_BIN("fucom %%st(1)"); break;
    case HostBin::Prem: VMLAB_X87_BIN("fprem"); break;
    case HostBin::Prem1: VMLAB_X87_BIN("fprem1"); break;
    case HostBin::Scale: VMLAB_X87_BIN("fscale"); break;
    case HostBin::Patan: VMLAB_X87_BIN("fpatan"); break;    // result in ST0 after the pop
    case HostBin::Yl2x: VMLAB_X87_BIN("fyl2x"); break;
    case HostBin::Yl2xp1: VMLAB_X87_BIN("fyl2xp1"); break;
  }
  return res;
}

HostResult host_unary(HostUn op, Ext80 a, const FpuState& f) {
  HostResult res;
  const HostEnv env = host_env(f);
  uint16_t hcw;
  switch (op) {
    case HostUn::Sqrt: VMLAB_X87_UN("fsqrt"); break;
    case HostUn::Rndint: VMLAB_X87_UN("frndint"); break;
    case HostUn::Sin: VMLAB_X87_UN("fsin"); break;
    case HostUn::Cos: VMLAB_X87_UN("fcos"); break;
    case HostUn::F2xm1: VMLAB_X87_UN("f2xm1"); break;
    case HostUn::Tst: VMLAB_X87_UN("ftst"); break;
    case HostUn::Xam: VMLAB_X87_UN("fxam"); break;
    case HostUn::Sincos: VMLAB_X87_UN2("fsincos"); break;
    case HostUn::Ptan: VMLAB_X87_UN2("fptan"); break;
    case HostUn::Xtract: VMLAB_X87_UN2("fxtract"); break;
  }
  return res;
}

HostResult host_arith_mem(unsigned op, HostLoad kind, Ext80 a, const uint8_t* bytes,
                          const FpuState& f) {
  HostResult res;
  const HostEnv env = host_env(f);
  uint16_t hcw;
  Mem10 m{};
  std::memcpy(m.b, bytes, kHostSize[unsigned(kind)]);
  switch ((unsigned(kind) << 3) | (op & 7)) {
#define VMLAB_X87_MEM_ROWS(K, S)                                                           \
  case (unsigned(HostLoad::K) << 3) | 0: VMLAB_X87_MEM("fadd" S); break;                  \
  case (unsigned(HostLoad::K) << 3) | 1: VMLAB_X87_MEM("fmul" S); break;                  \
  case (unsigned(HostLoad::K) << 3) | 2:                                                  \
  case (unsigned(HostLoad::K) << 3) | 3: VMLAB_X87_MEM("fcom" S); break;                  \
  case (unsigned(HostLoad::K) << 3) | 4: VMLAB_X87_MEM("fsub" S); break;                  \
  case (unsigned(HostLoad::K) << 3) | 5: VMLAB_X87_MEM("fsubr" S); break;                 \
  case (unsigned(HostLoad::K) << 3) | 6: VMLAB_X87_MEM("fdiv" S); break;                  \
  case (unsigned(HostLoad::K) << 3) | 7: VMLAB_X87_MEM("fdivr" S); break;
    VMLAB_X87_MEM_ROWS(F32, "s")
    VMLAB_X87_MEM_ROWS(F64, "l")
#undef VMLAB_X87_MEM_ROWS
    case (unsigned(HostLoad::I16) << 3) | 0: VMLAB_X87_MEM("fiadds"); break;
    case (unsigned(HostLoad::I16) << 3) | 1: VMLAB_X87_MEM("fimuls"); break;
    case (unsigned(HostLoad::I16) << 3) | 2:
    case (unsigned(HostLoad::I16) << 3) | 3: VMLAB_X87_MEM("ficoms"); break;
    case (unsigned(HostLoad::I16) << 3) | 4: VMLAB_X87_MEM("fisubs"); break;
    case (unsigned(HostLoad::I16) << 3) | 5: VMLAB_X87_MEM("fisubrs"); break;
    case (unsigned(HostLoad::I16) << 3) | 6: VMLAB_X87_MEM("fidivs"); break;
    case (unsigned(HostLoad::I16) << 3) | 7: VMLAB_X87_MEM("fidivrs"); break;
    case (unsigned(HostLoad::I32) << 3) | 0: VMLAB_X87_MEM("fiaddl"); break;
    case (unsigned(HostLoad::I32) << 3) | 1: VMLAB_X87_MEM("fimull"); break;
    case (unsigned(HostLoad::I32) << 3) | 2:
    case (unsigned(HostLoad::I32) << 3) | 3: VMLAB_X87_MEM("ficoml"); break;
    case (unsigned(HostLoad::I32) << 3) | 4: VMLAB_X87_MEM("fisubl"); break;
    case (unsigned(HostLoad::I32) << 3) | 5: VMLAB_X87_MEM("fisubrl"); break;
    case (unsigned(HostLoad::I32) << 3) | 6: VMLAB_X87_MEM("fidivl"); break;
    default: VMLAB_X87_MEM("fidivrl"); break;
  }
  return res;
}

HostResult host_load(HostLoad kind, const uint8_t* bytes, const FpuState& f) {
  HostResult res;
  const HostEnv env = host_env(f);
  uint16_t hcw;
  Mem10 m{};
  std::memcpy(m.b, bytes, kHostSize[unsigned(kind)]);
  switch (kind) {
    case HostLoad::F32: VMLAB_X87_LOAD("flds"); break;
    case HostLoad::F64: VMLAB_X87_LOAD("fldl"); break;
    case HostLoad::I16: VMLAB_X87_LOAD("filds"); break;
    case HostLoad::I32: VMLAB_X87_LOAD("fildl"); break;
    case HostLoad::I64: VMLAB_X87_LOAD("fildll"); break;
    case HostLoad::Bcd: VMLAB_X87_LOAD("fbld"); break;
  }
  return res;
}

uint16_t host_store(HostStore kind, Ext80 a, const FpuState& f, uint8_t* out) {
  const HostEnv env = host_env(f);
  uint16_t hcw, sw = 0;
  Mem10 m{};
  switch (kind) {
    case HostStore::F32: VMLAB_X87_STORE("fstps"); break;
    case HostStore::F64: VMLAB_X87_STORE("fstpl"); break;
    case HostStore::I16: VMLAB_X87_STORE("fistps"); break;
    case HostStore::I32: VMLAB_X87_STORE("fistpl"); break;
    case HostStore::I64: VMLAB_X87_STORE("fistpll"); break;
    case HostStore::Bcd: VMLAB_X87_STORE("fbstp"); break;
  }
  std::memcpy(out, m.b, kHostSize[unsigned(kind)]);
  return sw;
}

Ext80 host_constant(unsigned index, const FpuState& f) {
  HostResult res;
  const HostEnv env = host_env(f);
  uint16_t hcw;
  switch (index & 7) {
    case 0: VMLAB_X87_CONST("fld1"); break;
    case 1: VMLAB_X87_CONST("fldl2t"); break;
    case 2: VMLAB_X87_CONST("fldl2e"); break;
    case 3: VMLAB_X87_CONST("fldpi"); break;
    case 4: VMLAB_X87_CONST("fldlg2"); break;
    case 5: VMLAB_X87_CONST("fldln2"); break;
    default: VMLAB_X87_CONST("fldz"); break;
  }
  return res.value;
}

}  // namespace vmlab::cpu::fpu
