// Stack cursor used by far transfers, IRET, event delivery and task switches: pushes and pops
// against an SS cache that may not be loaded yet, with the SS limit check (expand-down aware)
// and the 16/32-bit stack-pointer width of that SS (SDM Vol. 3, 6.12.1 and 5.8.5).
#include "cpu/pm_internal.h"
#include "mmu/linear_access.h"

namespace vmlab::cpu {

StackCursor current_stack(const CpuState& s) {
  StackCursor st;
  st.ss = s.seg[SS];
  st.esp = s.gpr[ESP];
  st.user = s.cpl == 3;
  st.error = 0;
  return st;
}

bool segment_offset_ok(const SegmentCache& c, uint32_t offset, unsigned size) {
  uint32_t last = offset + size - 1;
  if (last < offset) return false;  // wraps the 4 GiB offset space
  bool expand_down = !(c.attr & SEG_CODE) && (c.attr & SEG_DC) && (c.attr & SEG_S);
  if (expand_down) {
    uint32_t upper = (c.attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
    return offset > c.limit && last <= upper;
  }
  return last <= c.limit;
}

static uint32_t sp_mask(const StackCursor& st) { return (st.ss.attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu; }

static Fault stack_access(Vcpu& v, const StackCursor& st, uint32_t offset, unsigned bytes,
                          uint32_t* read, uint32_t write) {
  if (!segment_offset_ok(st.ss, offset, bytes)) return fault_ss(st.error);
  uint32_t lin = st.ss.base + offset;
  if (read) {
    if (bytes == 2) {
      uint16_t x = 0;
      VMLAB_TRY(mmu::read_linear<uint16_t>(v, lin, x, st.user));
      *read = x;
      return kNoFault;
    }
    return mmu::read_linear<uint32_t>(v, lin, *read, st.user);
  }
  if (bytes == 2) return mmu::write_linear<uint16_t>(v, lin, uint16_t(write), st.user);
  return mmu::write_linear<uint32_t>(v, lin, write, st.user);
}

Fault stack_push(Vcpu& v, StackCursor& st, unsigned bytes, uint32_t value) {
  uint32_t m = sp_mask(st);
  uint32_t off = (st.esp - bytes) & m;
  VMLAB_TRY(stack_access(v, st, off, bytes, nullptr, value));
  st.esp = (st.esp & ~m) | off;
  return kNoFault;
}

Fault stack_peek(Vcpu& v, const StackCursor& st, uint32_t skip, unsigned bytes, uint32_t& value) {
  uint32_t off = (st.esp + skip) & sp_mask(st);
  return stack_access(v, st, off, bytes, &value, 0);
}

Fault stack_pop(Vcpu& v, StackCursor& st, unsigned bytes, uint32_t& value) {
  VMLAB_TRY(stack_peek(v, st, 0, bytes, value));
  stack_adjust(st, bytes);
  return kNoFault;
}

Fault pop_outer_stack(Vcpu& v, StackCursor& st, unsigned bytes, unsigned rpl, uint32_t& esp,
                      uint16_t& ss_sel, Descriptor& ssd) {
  uint32_t ss_raw = 0;
  VMLAB_TRY(stack_pop(v, st, bytes, esp));
  VMLAB_TRY(stack_pop(v, st, bytes, ss_raw));
  ss_sel = uint16_t(ss_raw);
  return check_stack_segment(v, ss_sel, rpl, ssd, kGP, false);
}

void stack_adjust(StackCursor& st, uint32_t add) {
  uint32_t m = sp_mask(st);
  st.esp = (st.esp & ~m) | ((st.esp + add) & m);
}

void commit_stack(CpuState& s, const StackCursor& st) {
  s.seg[SS] = st.ss;
  s.gpr[ESP] = st.esp;
}

Fault tss_inner_stack(Vcpu& v, unsigned dpl, uint16_t& ss, uint32_t& esp, bool ext) {
  const CpuState& s = v.s;
  const Fault bad = fault_ts(sel_error(s.tr.selector, ext));
  bool tss32 = seg_type(s.tr.attr) & 8;
  if (tss32) {
    uint32_t off = 4 + dpl * 8;
    if (off + 5 > s.tr.limit) return bad;
    VMLAB_TRY(sys_read32(v, s.tr.base + off, esp));
    VMLAB_TRY(sys_read16(v, s.tr.base + off + 4, ss));
  } else {
    uint32_t off = 2 + dpl * 4;
    if (off + 3 > s.tr.limit) return bad;
    uint16_t sp = 0;
    VMLAB_TRY(sys_read16(v, s.tr.base + off, sp));
    VMLAB_TRY(sys_read16(v, s.tr.base + off + 2, ss));
    esp = sp;
  }
  return kNoFault;
}

}  // namespace vmlab::cpu
