// Byte-block memory access for the x87 environment, FSAVE and FXSAVE images and 80-bit
// operands: typed 4-byte pieces (and single bytes for the rest) through the segmented access
// path, each piece's offset wrapped to the address size. A block write is probed first so a
// fault leaves memory unchanged.
//
//   uint8_t env[28];
//   VMLAB_TRY(read_block(v, i.seg, ea, addr_mask(i), env, 28));
#pragma once
#include <cstdint>
#include <cstring>
#include "cpu/segmented_access.h"

namespace vmlab::cpu::fpu {

inline Fault read_block(Vcpu& v, uint8_t seg, uint32_t off, uint32_t mask, uint8_t* out,
                        unsigned n) {
  unsigned k = 0;
  for (; k + 4 <= n; k += 4) {
    uint32_t w;
    VMLAB_TRY(read_mem<uint32_t>(v, seg, (off + k) & mask, w));
    std::memcpy(out + k, &w, 4);
  }
  for (; k < n; ++k) VMLAB_TRY(read_mem<uint8_t>(v, seg, (off + k) & mask, out[k]));
  return kNoFault;
}

inline Fault write_block(Vcpu& v, uint8_t seg, uint32_t off, uint32_t mask, const uint8_t* in,
                         unsigned n) {
  VMLAB_TRY(probe_write_mem(v, seg, off & mask, n));
  unsigned k = 0;
  for (; k + 4 <= n; k += 4) {
    uint32_t w;
    std::memcpy(&w, in + k, 4);
    VMLAB_TRY(write_mem<uint32_t>(v, seg, (off + k) & mask, w));
  }
  for (; k < n; ++k) VMLAB_TRY(write_mem<uint8_t>(v, seg, (off + k) & mask, in[k]));
  return kNoFault;
}

inline void put16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline uint16_t get16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline uint32_t get32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }

}  // namespace vmlab::cpu::fpu
