// Lazy arithmetic flags: an ALU operation stores its result and a carry vector in two stores,
// and a flag is computed only when something reads it (Jcc, PUSHF, ADC, ...).
//
// Encoding of LazyFlags (cpu_state.h):
//   result: the result sign-extended to 32 bits      ZF = (result == 0)
//                                                     SF = result[31] ^ aux[0]
//                                                     PF = even parity of (result[7:0] ^ aux[15:8])
//   aux:    carry-out vector of the operation, repositioned:
//           aux[31] = carry out of the top bit         CF = aux[31]
//           aux[30] = carry out of the bit below it    OF = aux[31] ^ aux[30]
//           aux[3]  = carry out of bit 3               AF = aux[3]
// The SF and parity "delta" bits let set_arith_flags() represent any flag combination (POPF,
// SAHF, IRET) without an operation-type tag, so reading a flag never needs a switch.
//
//   set_flags_add<uint8_t>(s.lazy, a, b, r);     // after r = a + b
//   if (get_cf(s.lazy)) ...
#pragma once
#include <bit>
#include <cstdint>
#include "cpu/cpu_state.h"

namespace vmlab::cpu {

template <typename T> inline constexpr unsigned kBits = sizeof(T) * 8;

template <typename T> inline uint32_t sign_extend32(T v) {
  using S = std::make_signed_t<T>;
  return static_cast<uint32_t>(static_cast<int32_t>(static_cast<S>(v)));
}

// Moves carry bits (width-1) and (width-2) of the carry vector to aux bits 31 and 30, keeps AF.
template <typename T> inline uint32_t pack_carries(uint32_t carries) {
  return (carries & 0x8u) | ((carries >> (kBits<T> - 2)) << 30);
}

template <typename T> inline void set_flags_result(LazyFlags& f, T r, uint32_t carries) {
  f.result = sign_extend32(r);
  f.aux = pack_carries<T>(carries);
}

// r = a + b (+ carry-in): carry vector = (a & b) | ((a | b) & ~r)
template <typename T> inline void set_flags_add(LazyFlags& f, T a, T b, T r) {
  uint32_t ua = a, ub = b, ur = r;
  set_flags_result<T>(f, r, (ua & ub) | ((ua | ub) & ~ur));
}
// r = a - b (- borrow-in): borrow vector = (~a & b) | ((~a | b) & r)
template <typename T> inline void set_flags_sub(LazyFlags& f, T a, T b, T r) {
  uint32_t ua = a, ub = b, ur = r;
  set_flags_result<T>(f, r, (~ua & ub) | ((~ua | ub) & ur));
}
// AND/OR/XOR/TEST: CF = OF = 0. AF is architecturally undefined; P6 leaves it 0.
template <typename T> inline void set_flags_logic(LazyFlags& f, T r) {
  f.result = sign_extend32(r);
  f.aux = 0;
}

inline bool get_cf(const LazyFlags& f) { return f.aux >> 31; }
inline bool get_of(const LazyFlags& f) { return ((f.aux >> 31) ^ (f.aux >> 30)) & 1; }
inline bool get_af(const LazyFlags& f) { return (f.aux >> 3) & 1; }
inline bool get_zf(const LazyFlags& f) { return f.result == 0; }
inline bool get_sf(const LazyFlags& f) { return ((f.result >> 31) ^ f.aux) & 1; }
inline bool get_pf(const LazyFlags& f) {
  return !(std::popcount(static_cast<uint8_t>(f.result ^ (f.aux >> 8))) & 1);
}

// INC/DEC keep CF: recompute the other flags, then put the old CF back.
template <typename T> inline void set_flags_inc(LazyFlags& f, T a, T r) {
  bool cf = get_cf(f);
  set_flags_add<T>(f, a, T(1), r);
  // Changing aux[31] alone would change OF (= aux31 ^ aux30): flip aux30 along with it.
  if (get_cf(f) != cf) f.aux ^= 0xC0000000u;
}
template <typename T> inline void set_flags_dec(LazyFlags& f, T a, T r) {
  bool cf = get_cf(f);
  set_flags_sub<T>(f, a, T(1), r);
  if (get_cf(f) != cf) f.aux ^= 0xC0000000u;
}

// Builds a LazyFlags that reads back as exactly the given arithmetic flags.
inline void set_arith_flags(LazyFlags& f, uint32_t flags) {
  bool cf = flags & CF, of = flags & OF, pf = flags & PF;
  f.result = (flags & ZF) ? 0 : 0x100;    // low byte 0: parity then comes from the delta alone
  f.aux = (uint32_t(cf) << 31) | (uint32_t(cf ^ of) << 30) | ((flags & AF) ? 0x8 : 0) |
          (pf ? 0 : 0x100) | ((flags & SF) ? 1 : 0);
}

inline uint32_t get_arith_flags(const LazyFlags& f) {
  return (get_cf(f) ? CF : 0) | (get_pf(f) ? PF : 0) | (get_af(f) ? AF : 0) |
         (get_zf(f) ? ZF : 0) | (get_sf(f) ? SF : 0) | (get_of(f) ? OF : 0);
}

// The architectural EFLAGS value (bit 1 always reads 1).
inline uint32_t read_eflags(const CpuState& s) {
  return (s.eflags & ~kArithFlags) | get_arith_flags(s.lazy) | 0x2;
}
// Writes every EFLAGS bit as given; callers mask what the instruction may change.
inline void write_eflags(CpuState& s, uint32_t v) {
  s.eflags = (v & ~kArithFlags) | 0x2;
  set_arith_flags(s.lazy, v);
}

}  // namespace vmlab::cpu
