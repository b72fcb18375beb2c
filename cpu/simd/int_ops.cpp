// Integer vector semantics (SDM Vol. 2: PADD*, PSUB*, PMUL*, PMADDWD, PSADBW, PACK*, PUNPCK*,
// PCMP*, PS*L/R*, logic, PAVG*, PMIN*/PMAX*). Elements are read and written with memcpy
// (Vec::get/set), so nothing here depends on host alignment or type punning.
#include "cpu/simd/int_ops.h"
#include <algorithm>

namespace vmlab::cpu::simd {
namespace {

template <typename T, typename F> Vec map2(const Vec& a, const Vec& b, unsigned n, F f) {
  Vec r;
  for (unsigned k = 0; k < n / sizeof(T); ++k) r.set<T>(k, T(f(a.get<T>(k), b.get<T>(k))));
  return r;
}

template <typename T> T sat_signed(int64_t x) {
  constexpr int64_t lo = -(int64_t(1) << (sizeof(T) * 8 - 1)), hi = -lo - 1;
  return T(std::clamp(x, lo, hi));
}
template <typename T> T sat_unsigned(int64_t x) {
  constexpr int64_t hi = (int64_t(1) << (sizeof(T) * 8)) - 1;
  return T(std::clamp(x, int64_t(0), hi));
}

// PACKSS/PACKUS: the narrowed elements of a, then those of b. S is the signed source type.
template <typename S, typename D, bool Unsigned> Vec pack(const Vec& a, const Vec& b, unsigned n) {
  Vec r;
  const unsigned m = n / sizeof(S);
  for (unsigned k = 0; k < m; ++k) {
    const int64_t x = a.get<S>(k), y = b.get<S>(k);
    r.set<D>(k, Unsigned ? sat_unsigned<D>(x) : sat_signed<D>(x));
    r.set<D>(k + m, Unsigned ? sat_unsigned<D>(y) : sat_signed<D>(y));
  }
  return r;
}

// PUNPCKL/H: interleave the low (or high) halves' elements of a and b.
template <typename T> Vec unpack(const Vec& a, const Vec& b, unsigned n, bool high) {
  Vec r;
  const unsigned half = n / sizeof(T) / 2, base = high ? half : 0;
  for (unsigned k = 0; k < half; ++k) {
    r.set<T>(2 * k, a.get<T>(base + k));
    r.set<T>(2 * k + 1, b.get<T>(base + k));
  }
  return r;
}

// Logical and arithmetic shifts by a 64-bit count: counts beyond the width give 0 (logical)
// or the sign (arithmetic), never a host shift by >= width.
enum ShiftKind { kLeft, kRightLogical, kRightArith };
template <typename T> Vec shift(const Vec& a, unsigned n, uint64_t count, ShiftKind kind) {
  constexpr unsigned bits = sizeof(T) * 8;
  using S = std::make_signed_t<T>;
  Vec r;
  for (unsigned k = 0; k < n / sizeof(T); ++k) {
    const T x = a.get<T>(k);
    T y;
    if (kind == kRightArith) {
      const unsigned c = count >= bits ? bits - 1 : unsigned(count);
      y = T(S(x) >> c);  // arithmetic on GCC/Clang, as C++20 specifies
    } else if (count >= bits) {
      y = 0;
    } else {
      y = kind == kLeft ? T(x << count) : T(x >> count);
    }
    r.set<T>(k, y);
  }
  return r;
}

// PSLLDQ/PSRLDQ: the whole 128-bit register by bytes.
Vec byte_shift(const Vec& a, uint8_t count, bool left) {
  Vec r;
  if (count > 15) return r;
  for (unsigned k = 0; k < 16; ++k) {
    const int from = left ? int(k) - count : int(k) + count;
    r.b[k] = (from >= 0 && from < 16) ? a.b[from] : 0;
  }
  return r;
}

}  // namespace

Vec int_op(Op op, const Vec& a, const Vec& b, unsigned n, uint8_t imm) {
  using i8 = int8_t;
  using i16 = int16_t;
  using i32 = int32_t;
  const uint64_t count = b.get<uint64_t>(0);
  switch (op) {
    case kPunpcklbw: return unpack<uint8_t>(a, b, n, false);
    case kPunpcklwd: return unpack<uint16_t>(a, b, n, false);
    case kPunpckldq: return unpack<uint32_t>(a, b, n, false);
    case kPunpcklqdq: return unpack<uint64_t>(a, b, n, false);
    case kPunpckhbw: return unpack<uint8_t>(a, b, n, true);
    case kPunpckhwd: return unpack<uint16_t>(a, b, n, true);
    case kPunpckhdq: return unpack<uint32_t>(a, b, n, true);
    case kPunpckhqdq: return unpack<uint64_t>(a, b, n, true);
    case kPacksswb: return pack<i16, int8_t, false>(a, b, n);
    case kPackssdw: return pack<i32, int16_t, false>(a, b, n);
    case kPackuswb: return pack<i16, uint8_t, true>(a, b, n);
    case kPcmpgtb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return i8(x) > i8(y) ? 0xFF : 0; });
    case kPcmpgtw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return i16(x) > i16(y) ? 0xFFFF : 0; });
    case kPcmpgtd: return map2<uint32_t>(a, b, n, [](uint32_t x, uint32_t y) { return i32(x) > i32(y) ? 0xFFFFFFFFu : 0u; });
    case kPcmpeqb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return x == y ? 0xFF : 0; });
    case kPcmpeqw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return x == y ? 0xFFFF : 0; });
    case kPcmpeqd: return map2<uint32_t>(a, b, n, [](uint32_t x, uint32_t y) { return x == y ? 0xFFFFFFFFu : 0u; });
    case kPsrlw: return shift<uint16_t>(a, n, count, kRightLogical);
    case kPsrld: return shift<uint32_t>(a, n, count, kRightLogical);
    case kPsrlq: return shift<uint64_t>(a, n, count, kRightLogical);
    case kPsraw: return shift<uint16_t>(a, n, count, kRightArith);
    case kPsrad: return shift<uint32_t>(a, n, count, kRightArith);
    case kPsllw: return shift<uint16_t>(a, n, count, kLeft);
    case kPslld: return shift<uint32_t>(a, n, count, kLeft);
    case kPsllq: return shift<uint64_t>(a, n, count, kLeft);
    case kPsrlwI: return shift<uint16_t>(a, n, imm, kRightLogical);
    case kPsrldI: return shift<uint32_t>(a, n, imm, kRightLogical);
    case kPsrlqI: return shift<uint64_t>(a, n, imm, kRightLogical);
    case kPsrawI: return shift<uint16_t>(a, n, imm, kRightArith);
    case kPsradI: return shift<uint32_t>(a, n, imm, kRightArith);
    case kPsllwI: return shift<uint16_t>(a, n, imm, kLeft);
    case kPslldI: return shift<uint32_t>(a, n, imm, kLeft);
    case kPsllqI: return shift<uint64_t>(a, n, imm, kLeft);
    case kPsrldqI: return byte_shift(a, imm, false);
    case kPslldqI: return byte_shift(a, imm, true);
    case kPaddb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return x + y; });
    case kPaddw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return x + y; });
    case kPaddd: return map2<uint32_t>(a, b, n, [](uint32_t x, uint32_t y) { return x + y; });
    case kPaddq: return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return x + y; });
    case kPsubb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return x - y; });
    case kPsubw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return x - y; });
    case kPsubd: return map2<uint32_t>(a, b, n, [](uint32_t x, uint32_t y) { return x - y; });
    case kPsubq: return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return x - y; });
    case kPaddsb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return sat_signed<int8_t>(i8(x) + i8(y)); });
    case kPaddsw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return sat_signed<int16_t>(i16(x) + i16(y)); });
    case kPsubsb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return sat_signed<int8_t>(i8(x) - i8(y)); });
    case kPsubsw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return sat_signed<int16_t>(i16(x) - i16(y)); });
    case kPaddusb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return sat_unsigned<uint8_t>(x + y); });
    case kPaddusw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return sat_unsigned<uint16_t>(x + y); });
    case kPsubusb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return sat_unsigned<uint8_t>(int(x) - y); });
    case kPsubusw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return sat_unsigned<uint16_t>(int(x) - y); });
    case kPmullw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return uint32_t(x) * y; });
    case kPmulhw:
      return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return uint32_t(i32(i16(x)) * i16(y)) >> 16; });
    case kPmulhuw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return (uint32_t(x) * y) >> 16; });
    case kPmuludq:
      return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return (x & 0xFFFFFFFFu) * (y & 0xFFFFFFFFu); });
    case kPmaddwd: {
      Vec r;
      for (unsigned k = 0; k < n / 4; ++k) {
        const int64_t s = int64_t(i16(a.get<uint16_t>(2 * k))) * i16(b.get<uint16_t>(2 * k)) +
                          int64_t(i16(a.get<uint16_t>(2 * k + 1))) * i16(b.get<uint16_t>(2 * k + 1));
        r.set<uint32_t>(k, uint32_t(uint64_t(s)));  // 0x8000*0x8000*2 wraps to 0x80000000
      }
      return r;
    }
    case kPsadbw: {
      Vec r;
      for (unsigned q = 0; q < n / 8; ++q) {
        unsigned sum = 0;
        for (unsigned k = 0; k < 8; ++k) {
          const int d = int(a.b[8 * q + k]) - int(b.b[8 * q + k]);
          sum += unsigned(d < 0 ? -d : d);
        }
        r.set<uint64_t>(q, sum);
      }
      return r;
    }
    case kPand: return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return x & y; });
    case kPandn: return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return ~x & y; });
    case kPor: return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return x | y; });
    case kPxor: return map2<uint64_t>(a, b, n, [](uint64_t x, uint64_t y) { return x ^ y; });
    case kPminub: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return std::min(x, y); });
    case kPmaxub: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return std::max(x, y); });
    case kPminsw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return i16(x) < i16(y) ? x : y; });
    case kPmaxsw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return i16(x) > i16(y) ? x : y; });
    case kPavgb: return map2<uint8_t>(a, b, n, [](uint8_t x, uint8_t y) { return (unsigned(x) + y + 1) >> 1; });
    case kPavgw: return map2<uint16_t>(a, b, n, [](uint16_t x, uint16_t y) { return (unsigned(x) + y + 1) >> 1; });
    default: return a;  // not an integer op: exec_int never passes one
  }
}

}  // namespace vmlab::cpu::simd
