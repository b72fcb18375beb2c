// Descriptor: an 8-byte GDT/LDT/IDT entry decoded into its fields (SDM Vol. 3, 3.4.5 and 6.11).
//
// Segment descriptors give base, byte-granular limit and the attribute word SegmentCache uses;
// gate descriptors (call, interrupt, trap, task) give a selector, an offset and a parameter
// count. Decoding is pure; reading the tables is in segmentation.cpp.
//
//   Descriptor d = decode_descriptor(raw);
//   if (d.is_code() && !d.present()) return fault_np(sel & 0xFFFC);
#pragma once
#include <cstdint>
#include "cpu/cpu_state.h"

namespace vmlab::cpu {

// System descriptor types (S = 0).
enum SysType : uint8_t {
  kTss16Avail = 1, kLdt = 2, kTss16Busy = 3, kCallGate16 = 4, kTaskGate = 5, kIntGate16 = 6,
  kTrapGate16 = 7, kTss32Avail = 9, kTss32Busy = 11, kCallGate32 = 12, kIntGate32 = 14,
  kTrapGate32 = 15,
};

struct Descriptor {
  uint64_t raw = 0;

  uint16_t attr() const { return uint16_t(((raw >> 40) & 0xFF) | (((raw >> 52) & 0xF) << 8)); }
  unsigned type() const { return (raw >> 40) & 0xF; }
  bool s() const { return (raw >> 44) & 1; }               // code/data (1) or system (0)
  unsigned dpl() const { return (raw >> 45) & 3; }
  bool present() const { return (raw >> 47) & 1; }
  bool big() const { return (raw >> 54) & 1; }             // D/B
  bool gran() const { return (raw >> 55) & 1; }            // G

  // Segment fields.
  uint32_t base() const {
    return uint32_t((raw >> 16) & 0xFFFFFF) | uint32_t(((raw >> 56) & 0xFF) << 24);
  }
  uint32_t limit() const {  // scaled by G
    uint32_t l = uint32_t(raw & 0xFFFF) | uint32_t(((raw >> 48) & 0xF) << 16);
    return gran() ? (l << 12) | 0xFFF : l;
  }
  bool is_code() const { return s() && (type() & 8); }
  bool is_data() const { return s() && !(type() & 8); }
  bool conforming() const { return is_code() && (type() & 4); }
  bool readable() const { return is_data() || (type() & 2); }   // code: R bit
  bool writable() const { return is_data() && (type() & 2); }
  bool expand_down() const { return is_data() && (type() & 4); }

  // Gate fields.
  uint16_t gate_selector() const { return uint16_t(raw >> 16); }
  uint32_t gate_offset() const {
    uint32_t lo = uint32_t(raw & 0xFFFF);
    // 16-bit gates have only a 16-bit offset; the high word is reserved.
    if (type() == kCallGate16 || type() == kIntGate16 || type() == kTrapGate16) return lo;
    return lo | uint32_t((raw >> 48) << 16);
  }
  unsigned gate_param_count() const { return (raw >> 32) & 0x1F; }
  bool gate32() const { return type() & 8; }

  // System segment predicates.
  bool is_tss() const {
    unsigned t = type();
    return !s() && (t == kTss16Avail || t == kTss16Busy || t == kTss32Avail || t == kTss32Busy);
  }
  bool tss_busy() const { return type() & 2; }
  bool tss32() const { return type() & 8; }
};

inline Descriptor decode_descriptor(uint64_t raw) { return Descriptor{raw}; }

// The descriptor cache contents a protected-mode load produces.
inline SegmentCache cache_from_descriptor(uint16_t selector, const Descriptor& d) {
  SegmentCache c;
  c.selector = selector;
  c.base = d.base();
  c.limit = d.limit();
  c.attr = d.attr();
  return c;
}

// A null or otherwise unusable data segment register: P = 0 in the cache, so every access
// through it raises #GP(0) (the interpreter checks SEG_P before using DS/ES/FS/GS in PM).
inline SegmentCache null_segment(uint16_t selector) {
  SegmentCache c;
  c.selector = selector;
  c.base = 0;
  c.limit = 0;
  c.attr = 0;
  return c;
}

// Error code for a selector (SDM 6.13): index and TI; bit 0 = EXT.
inline uint32_t sel_error(uint16_t selector, bool ext = false) {
  return (selector & 0xFFFCu) | (ext ? 1u : 0u);
}

}  // namespace vmlab::cpu
