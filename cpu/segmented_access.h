// Segmented memory access: segment checks (limit, expand-down, type, null selector), then
// linear = base + offset, then mmu::read_linear/write_linear (whose inline TLB hit path is the fast path).
// Every instruction's memory operand and stack access goes through here.
//
//   uint16_t w;
//   VMLAB_TRY(read_mem<uint16_t>(v, DS, 0x1234, w));
//   VMLAB_TRY(push<uint32_t>(v, s.eip));
#pragma once
#include <cstdint>
#include <cstring>
#include "cpu/cpu_state.h"
#include "cpu/fault.h"
#include "cpu/vcpu.h"
#include "mmu/linear_access.h"

namespace vmlab::cpu {

// A segment check failure is #SS(0) for the stack segment and #GP(0) for the others.
inline Fault segment_fault(uint8_t seg) { return seg == SS ? fault_ss(0) : fault_gp(0); }

// Checks an access of `size` bytes at `off` through segment `seg` (SDM Vol. 3, 5.3 and 5.5).
// The limit already has G folded in. Type and presence checks apply only in protected mode:
// real and V86 mode loads leave writable data attributes, and real mode does check limits
// (a word at offset 0xFFFF faults).
[[gnu::always_inline]] inline Fault check_segment(const CpuState& s, uint8_t seg, uint32_t off, unsigned size,
                           bool write) {
  const SegmentCache& c = s.seg[seg];
  const uint16_t a = c.attr;
  const uint32_t last = size - 1;
  // Fast path, exact: a present, writable, expand-up data segment passes every type and
  // presence check in every mode, so only the limit is left.
  if ((a & (SEG_P | SEG_CODE | SEG_DC | SEG_RW)) == (SEG_P | SEG_RW)) [[likely]] {
    if (off > c.limit || c.limit - off < last) return segment_fault(seg);
    return kNoFault;
  }
  if ((s.cr0 & CR0_PE) && !(s.eflags & VM)) {
    if (!(a & SEG_P)) return segment_fault(seg);  // null selector (loads leave P clear)
    if (write ? ((a & SEG_CODE) || !(a & SEG_RW)) : ((a & (SEG_CODE | SEG_RW)) == SEG_CODE))
      return segment_fault(seg);
  }
  if ((a & (SEG_CODE | SEG_DC)) == SEG_DC) {  // expand-down data: valid (limit, upper]
    const uint32_t upper = (a & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
    if (off <= c.limit || off > upper - last) return segment_fault(seg);
  } else if (off > c.limit || c.limit - off < last) {
    return segment_fault(seg);
  }
  return kNoFault;
}

inline bool user_access(const CpuState& s) { return s.cpl == 3; }

// Alignment checking (SDM Vol. 3, 6.15 #AC): a misaligned data access at CPL 3 faults when both
// CR0.AM and EFLAGS.AC are set. The misalignment test comes first because it is almost always
// false, so the aligned fast path pays one AND and one branch.
template <typename T> [[gnu::always_inline]] inline Fault check_alignment(const CpuState& s, uint32_t lin) {
  if constexpr (sizeof(T) > 1) {
    if ((lin & (sizeof(T) - 1)) && s.cpl == 3 && (s.cr0 & CR0_AM) && (s.eflags & AC))
      return make_fault(kAC, 0);
  }
  return kNoFault;
}

template <typename T> [[gnu::always_inline]] inline Fault read_mem(Vcpu& v, uint8_t seg, uint32_t off, T& out) {
  VMLAB_TRY(check_segment(v.s, seg, off, sizeof(T), false));
  const uint32_t lin = v.s.seg[seg].base + off;
  VMLAB_TRY(check_alignment<T>(v.s, lin));
  return mmu::read_linear<T>(v, lin, out, user_access(v.s));
}

template <typename T> [[gnu::always_inline]] inline Fault write_mem(Vcpu& v, uint8_t seg, uint32_t off, T val) {
  VMLAB_TRY(check_segment(v.s, seg, off, sizeof(T), true));
  const uint32_t lin = v.s.seg[seg].base + off;
  VMLAB_TRY(check_alignment<T>(v.s, lin));
  return mmu::write_linear<T>(v, lin, val, user_access(v.s));
}

// Checks that a later write_mem of `size` bytes cannot fault (segment and paging), so an
// instruction with several writes can fault before it changes anything.
inline Fault probe_write_mem(Vcpu& v, uint8_t seg, uint32_t off, unsigned size) {
  VMLAB_TRY(check_segment(v.s, seg, off, size, true));
  return mmu::probe_write(v, v.s.seg[seg].base + off, size, user_access(v.s));
}

// --- stack (SS.B chooses ESP or SP) ----------------------------------------------------------

inline uint32_t stack_mask(const CpuState& s) { return stack32(s) ? 0xFFFFFFFFu : 0xFFFFu; }
inline uint32_t stack_top(const CpuState& s) { return s.gpr[ESP] & stack_mask(s); }
// Sets the stack pointer as SS.B says: a 16-bit stack changes SP and leaves ESP[31:16].
inline void set_stack_top(CpuState& s, uint32_t sp) {
  const uint32_t m = stack_mask(s);
  s.gpr[ESP] = (s.gpr[ESP] & ~m) | (sp & m);
}

template <typename T> inline Fault push(Vcpu& v, T val) {
  const uint32_t sp = (stack_top(v.s) - sizeof(T)) & stack_mask(v.s);
  VMLAB_TRY(write_mem<T>(v, SS, sp, val));
  set_stack_top(v.s, sp);
  return kNoFault;
}

template <typename T> inline Fault pop(Vcpu& v, T& out) {
  const uint32_t sp = stack_top(v.s);
  VMLAB_TRY(read_mem<T>(v, SS, sp, out));
  set_stack_top(v.s, sp + sizeof(T));
  return kNoFault;
}

// Reads the stack `depth` bytes above the top without popping (RET imm, POPA, far returns).
template <typename T> inline Fault read_stack(Vcpu& v, uint32_t depth, T& out) {
  return read_mem<T>(v, SS, (stack_top(v.s) + depth) & stack_mask(v.s), out);
}

}  // namespace vmlab::cpu
