// x87 data transfer on the register stack (SDM Vol. 1, 8.3.3; Vol. 2 FLD FST FSTP FILD FIST
// FISTP FBLD FBSTP FXCH FFREE): pushes with stack-overflow checks, and stores planned before
// memory is written so a page fault leaves the FPU unchanged.
#include <cstring>
#include "cpu/fpu/x87_ops.h"

namespace vmlab::cpu::fpu {
namespace {

constexpr unsigned kStoreSize[] = {4, 8, 2, 4, 8, 10};

// The masked response to an invalid store: the format's indefinite.
void indefinite_bytes(HostStore kind, uint8_t* out) {
  switch (kind) {
    case HostStore::F32: { const uint32_t v = 0xFFC00000u; std::memcpy(out, &v, 4); break; }
    case HostStore::F64: { const uint64_t v = 0xFFF8000000000000ull; std::memcpy(out, &v, 8); break; }
    case HostStore::I16: { const uint16_t v = 0x8000; std::memcpy(out, &v, 2); break; }
    case HostStore::I32: { const uint32_t v = 0x80000000u; std::memcpy(out, &v, 4); break; }
    case HostStore::I64: { const uint64_t v = 0x8000000000000000ull; std::memcpy(out, &v, 8); break; }
    case HostStore::Bcd:  // packed-BCD indefinite: FFFF C000 0000 0000 0000
      std::memset(out, 0, 10);
      out[7] = 0xC0;
      out[8] = out[9] = 0xFF;
      break;
  }
}

}  // namespace

// FLD ST(i): the value is read before the push, so FLD ST(7) works.
void fld_st(FpuState& f, unsigned src_i) {
  if (!can_push(f)) {
    stack_overflow(f);
    return;
  }
  if (empty(f, src_i)) {
    set_c1(f, false);
    if (merge_exceptions(f, kFswIE | kFswSF)) push(f, kIndefinite);
    return;
  }
  push(f, st(f, src_i));
  set_c1(f, false);
}

// FST/FSTP ST(i): a register copy, no conversion and no exception but the stack fault.
void fst_st(FpuState& f, unsigned dst_i, bool pop) {
  if (empty(f, 0)) {
    if (stack_underflow(f, int(dst_i)) && pop) fpu::pop(f);
    return;
  }
  set_st(f, dst_i, st(f, 0));
  set_c1(f, false);
  if (pop) fpu::pop(f);
}

void fxch(FpuState& f, unsigned i) {
  set_c1(f, false);
  if (empty(f, 0) || empty(f, i)) {
    if (!merge_exceptions(f, kFswIE | kFswSF)) return;
    if (empty(f, 0)) set_st(f, 0, kIndefinite);
    if (empty(f, i)) set_st(f, i, kIndefinite);
  }
  const Ext80 a = st(f, 0), b = st(f, i);
  set_st(f, 0, b);
  set_st(f, i, a);
}

// FFREE ST(i) (DD C0+i); FFREEP (DF C0+i, undocumented) also pops.
void ffree(FpuState& f, unsigned i, bool pop) {
  set_tag(f, phys(f, i), kTagEmpty);
  if (pop) fpu::pop(f);
}

// An unmasked DE does not stop a load (the conversion is exact); an unmasked IE (SNaN) does.
void load_value(FpuState& f, const Ext80& value, uint16_t load_sw) {
  if (!can_push(f)) {
    stack_overflow(f);
    return;
  }
  set_cc(f, load_sw & kFswCC);
  merge_exceptions(f, load_sw);
  if ((load_sw & kFswIE) && !(f.fcw & kFswIE)) return;
  push(f, value);
}

StorePlan plan_store(const FpuState& f, HostStore kind) {
  StorePlan p;
  p.size = kStoreSize[unsigned(kind)];
  p.cc = f.fsw & (kFswC0 | kFswC2 | kFswC3);  // C1 = 0 unless the host says otherwise
  if (empty(f, 0)) {
    p.exc = kFswIE | kFswSF;
    p.pop_ok = p.write = (f.fcw & kFswIE) != 0;
    if (p.write) indefinite_bytes(kind, p.bytes);
    return p;
  }
  const uint16_t sw = host_store(kind, st(f, 0), f, p.bytes);
  p.exc = sw & kFswExceptions;
  p.cc = sw & kFswCC;
  const uint16_t blocking = kFswIE | kFswDE | kFswZE | kFswOE | kFswUE;
  p.pop_ok = p.write = !(p.exc & ~f.fcw & blocking);
  return p;
}

// FSTP m80: the register image as is.
StorePlan plan_store80(const FpuState& f) {
  StorePlan p;
  p.size = 10;
  p.cc = f.fsw & (kFswC0 | kFswC2 | kFswC3);
  Ext80 x = st(f, 0);
  if (empty(f, 0)) {
    p.exc = kFswIE | kFswSF;
    p.pop_ok = p.write = (f.fcw & kFswIE) != 0;
    x = kIndefinite;
  } else {
    p.pop_ok = p.write = true;
  }
  std::memcpy(p.bytes, &x.mantissa, 8);
  std::memcpy(p.bytes + 8, &x.sign_exp, 2);
  return p;
}

void commit_store(FpuState& f, const StorePlan& p, bool pop) {
  set_cc(f, p.cc);
  merge_exceptions(f, p.exc, true);
  if (pop && p.pop_ok) fpu::pop(f);
}

}  // namespace vmlab::cpu::fpu
