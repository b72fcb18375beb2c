// Flag helpers shared by the instruction semantics, on top of the lazy flags in cpu/flags.h:
// condition codes evaluated straight from LazyFlags, and updates of single flags.
#pragma once
#include <cstdint>
#include "cpu/flags.h"

namespace vmlab::cpu {

// Condition code cc (the low nibble of Jcc/SETcc/CMOVcc): O NO B AE E NE BE A S NS P NP L GE LE G.
inline bool condition(const LazyFlags& f, unsigned cc) {
  bool r = false;
  switch (cc >> 1) {
    case 0: r = get_of(f); break;
    case 1: r = get_cf(f); break;
    case 2: r = get_zf(f); break;
    case 3: r = get_cf(f) || get_zf(f); break;
    case 4: r = get_sf(f); break;
    case 5: r = get_pf(f); break;
    case 6: r = get_sf(f) != get_of(f); break;
    default: r = get_zf(f) || (get_sf(f) != get_of(f)); break;
  }
  return r ^ (cc & 1);
}

// Replaces the flags in `mask` with those in `values`, keeping the other arithmetic flags.
inline void update_flags(LazyFlags& f, uint32_t mask, uint32_t values) {
  set_arith_flags(f, (get_arith_flags(f) & ~mask) | (values & mask));
}

// Flags of a result whose CF and OF are given and whose AF is 0 (shifts, multiplies).
template <typename T> inline void set_flags_cf_of(LazyFlags& f, T r, bool cf, bool of) {
  f.result = sign_extend32(r);
  f.aux = (uint32_t(cf) << 31) | (uint32_t(cf ^ of) << 30);
}

}  // namespace vmlab::cpu
