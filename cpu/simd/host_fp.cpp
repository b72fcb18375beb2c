// Host execution of SSE floating point instructions (see host_fp.h). Each instruction is one
// inline-asm statement between two others that switch the host MXCSR to the guest's settings
// and back. All three are volatile with memory clobbers, so the compiler keeps their order,
// and no C++ floating point arithmetic happens in between.
#include "cpu/simd/host_fp.h"
#include <immintrin.h>

#if !defined(__x86_64__) && !defined(__i386__)
#error "cpu/simd/host_fp.cpp runs SSE instructions on the host: it needs an x86 host"
#endif

namespace vmlab::cpu::simd {
namespace {

__m128i to_m(const Vec& v) {
  __m128i m;
  std::memcpy(&m, v.b, 16);
  return m;
}
Vec from_m(__m128i m) {
  Vec v;
  std::memcpy(v.b, &m, 16);
  return v;
}

// Switches the host MXCSR for the lifetime of the object; finish() returns the flags raised.
class HostMxcsr {
 public:
  explicit HostMxcsr(uint32_t csr) : csr_(csr) {
    asm volatile("stmxcsr %0" : "=m"(saved_) : : "memory");
    asm volatile("ldmxcsr %0" : : "m"(csr_) : "memory");
  }
  uint32_t finish() {
    uint32_t out;
    asm volatile("stmxcsr %0" : "=m"(out) : : "memory");
    asm volatile("ldmxcsr %0" : : "m"(saved_) : "memory");
    done_ = true;
    return out & kMxcsrFlags;
  }
  ~HostMxcsr() {
    if (!done_) asm volatile("ldmxcsr %0" : : "m"(saved_) : "memory");
  }
  HostMxcsr(const HostMxcsr&) = delete;
  HostMxcsr& operator=(const HostMxcsr&) = delete;

 private:
  uint32_t csr_;
  uint32_t saved_ = 0;
  bool done_ = false;
};

#define VMLAB_HOST_OP(text) asm volatile(text " %[b], %[a]" : [a] "+x"(x) : [b] "x"(y) : "memory")

// The four forms of one mnemonic stem, e.g. VMLAB_HOST_FORMS("add") -> addps/addpd/addss/addsd.
#define VMLAB_HOST_FORMS(stem)                        \
  switch (f) {                                        \
    case FpForm::PS: VMLAB_HOST_OP(stem "ps"); break; \
    case FpForm::PD: VMLAB_HOST_OP(stem "pd"); break; \
    case FpForm::SS: VMLAB_HOST_OP(stem "ss"); break; \
    case FpForm::SD: VMLAB_HOST_OP(stem "sd"); break; \
  }                                                   \
  break

void host_cmp(FpForm f, __m128i& x, __m128i y, uint8_t pred) {
  // The predicate is an immediate of the instruction: one asm statement per value.
#define VMLAB_CMP_CASE(n)                                       \
  case n:                                                       \
    switch (f) {                                                \
      case FpForm::PS: VMLAB_HOST_OP("cmpps $" #n ","); break;  \
      case FpForm::PD: VMLAB_HOST_OP("cmppd $" #n ","); break;  \
      case FpForm::SS: VMLAB_HOST_OP("cmpss $" #n ","); break;  \
      case FpForm::SD: VMLAB_HOST_OP("cmpsd $" #n ","); break;  \
    }                                                           \
    break;
  switch (pred & 7) {
    VMLAB_CMP_CASE(0) VMLAB_CMP_CASE(1) VMLAB_CMP_CASE(2) VMLAB_CMP_CASE(3)
    VMLAB_CMP_CASE(4) VMLAB_CMP_CASE(5) VMLAB_CMP_CASE(6) VMLAB_CMP_CASE(7)
  }
#undef VMLAB_CMP_CASE
}

}  // namespace

uint32_t host_mxcsr(uint32_t guest) {
  uint32_t h = (guest & (kMxcsrRC | kMxcsrDAZ)) | kMxcsrMasks;
  if ((guest & kMxcsrFTZ) && (guest & (kMxcsrUE << 7))) h |= kMxcsrFTZ;
  return h;
}

uint32_t host_arith(Op op, FpForm f, Vec& a, const Vec& b, uint8_t imm, uint32_t csr) {
  __m128i x = to_m(a), y = to_m(b);
  HostMxcsr guard(csr);
  switch (op) {
    case kAdd: VMLAB_HOST_FORMS("add");
    case kSub: VMLAB_HOST_FORMS("sub");
    case kMul: VMLAB_HOST_FORMS("mul");
    case kDiv: VMLAB_HOST_FORMS("div");
    case kMin: VMLAB_HOST_FORMS("min");
    case kMax: VMLAB_HOST_FORMS("max");
    case kSqrt: VMLAB_HOST_FORMS("sqrt");
    case kRsqrt:
      if (f == FpForm::SS) VMLAB_HOST_OP("rsqrtss");
      else VMLAB_HOST_OP("rsqrtps");
      break;
    case kRcp:
      if (f == FpForm::SS) VMLAB_HOST_OP("rcpss");
      else VMLAB_HOST_OP("rcpps");
      break;
    case kCmp: host_cmp(f, x, y, imm); break;
    default: break;
  }
  const uint32_t flags = guard.finish();
  a = from_m(x);
  return flags;
}

uint32_t host_compare(bool ordered, bool dbl, const Vec& a, const Vec& b, uint32_t csr, uint32_t& eflags) {
  __m128i x = to_m(a), y = to_m(b);
  uint8_t zf = 0, pf = 0, cf = 0;
  HostMxcsr guard(csr);
#define VMLAB_HOST_COMI(text)                                                     \
  asm volatile(text " %[b], %[a]\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]"    \
               : [zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf)                    \
               : [a] "x"(x), [b] "x"(y)                                          \
               : "memory", "cc")
  if (dbl) {
    if (ordered) VMLAB_HOST_COMI("comisd");
    else VMLAB_HOST_COMI("ucomisd");
  } else {
    if (ordered) VMLAB_HOST_COMI("comiss");
    else VMLAB_HOST_COMI("ucomiss");
  }
#undef VMLAB_HOST_COMI
  const uint32_t flags = guard.finish();
  eflags = (zf ? ZF : 0) | (pf ? PF : 0) | (cf ? CF : 0);
  return flags;
}

uint32_t host_convert(Cvt c, Vec& a, const Vec& b, uint32_t& gpr, uint32_t csr) {
  __m128i x = to_m(a), y = to_m(b);
  uint32_t g = gpr;
  HostMxcsr guard(csr);
#define VMLAB_HOST_TO_GPR(text) asm volatile(text " %[b], %[r]" : [r] "=r"(g) : [b] "x"(y) : "memory")
  switch (c) {
    case Cvt::Dq2Ps: VMLAB_HOST_OP("cvtdq2ps"); break;
    case Cvt::Ps2Dq: VMLAB_HOST_OP("cvtps2dq"); break;
    case Cvt::TPs2Dq: VMLAB_HOST_OP("cvttps2dq"); break;
    case Cvt::Ps2Pd: VMLAB_HOST_OP("cvtps2pd"); break;
    case Cvt::Pd2Ps: VMLAB_HOST_OP("cvtpd2ps"); break;
    case Cvt::Dq2Pd: VMLAB_HOST_OP("cvtdq2pd"); break;
    case Cvt::Pd2Dq: VMLAB_HOST_OP("cvtpd2dq"); break;
    case Cvt::TPd2Dq: VMLAB_HOST_OP("cvttpd2dq"); break;
    case Cvt::Ss2Sd: VMLAB_HOST_OP("cvtss2sd"); break;
    case Cvt::Sd2Ss: VMLAB_HOST_OP("cvtsd2ss"); break;
    case Cvt::Si2Ss: asm volatile("cvtsi2ssl %[r], %[a]" : [a] "+x"(x) : [r] "r"(g) : "memory"); break;
    case Cvt::Si2Sd: asm volatile("cvtsi2sdl %[r], %[a]" : [a] "+x"(x) : [r] "r"(g) : "memory"); break;
    case Cvt::Ss2Si: VMLAB_HOST_TO_GPR("cvtss2si"); break;
    case Cvt::TSs2Si: VMLAB_HOST_TO_GPR("cvttss2si"); break;
    case Cvt::Sd2Si: VMLAB_HOST_TO_GPR("cvtsd2si"); break;
    case Cvt::TSd2Si: VMLAB_HOST_TO_GPR("cvttsd2si"); break;
  }
#undef VMLAB_HOST_TO_GPR
  const uint32_t flags = guard.finish();
  a = from_m(x);
  gpr = g;
  return flags;
}

}  // namespace vmlab::cpu::simd
