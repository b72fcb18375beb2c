// Hardware task switching (SDM Vol. 3, 7.3): JMP/CALL to a TSS or task gate, interrupts
// through a task gate, IRET with NT=1. 32-bit and 16-bit TSS formats, busy bits, the back link
// and NT, CR3 and LDT loads, CR0.TS, and the debug trap bit (T) of a 32-bit TSS (#DB with
// DR6.BT in the new task before its first instruction).
#include "cpu/descriptor.h"
#include "cpu/flags.h"
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"
#include "mmu/linear_access.h"

namespace vmlab::cpu {
namespace {

// The dynamic fields of a TSS, read before anything is changed.
struct TaskImage {
  uint32_t cr3 = 0, eip = 0, eflags = 0;
  uint32_t gpr[8] = {};
  uint16_t sel[kNumSegRegs] = {};
  uint16_t ldt = 0;
  bool debug_trap = false;  // T bit: #DB after the switch
};

Fault read_task_image(Vcpu& v, uint32_t base, bool tss32, const CpuState& s, TaskImage& t) {
  if (tss32) {
    VMLAB_TRY(sys_read32(v, base + 0x1C, t.cr3));
    VMLAB_TRY(sys_read32(v, base + 0x20, t.eip));
    VMLAB_TRY(sys_read32(v, base + 0x24, t.eflags));
    for (unsigned i = 0; i < 8; ++i) VMLAB_TRY(sys_read32(v, base + 0x28 + i * 4, t.gpr[i]));
    for (unsigned i = 0; i < kNumSegRegs; ++i) VMLAB_TRY(sys_read16(v, base + 0x48 + i * 4, t.sel[i]));
    VMLAB_TRY(sys_read16(v, base + 0x60, t.ldt));
    uint16_t trap = 0;
    VMLAB_TRY(sys_read16(v, base + 0x64, trap));
    t.debug_trap = trap & 1;
    return kNoFault;
  }
  uint16_t x = 0;
  VMLAB_TRY(sys_read16(v, base + 0x0E, x));
  t.eip = x;
  VMLAB_TRY(sys_read16(v, base + 0x10, x));
  t.eflags = x;  // a 16-bit task has no upper EFLAGS bits (no VM)
  for (unsigned i = 0; i < 8; ++i) {
    VMLAB_TRY(sys_read16(v, base + 0x12 + i * 2, x));
    t.gpr[i] = (s.gpr[i] & 0xFFFF0000u) | x;
  }
  const uint8_t order[4] = {ES, CS, SS, DS};  // FS and GS do not exist in a 16-bit TSS: null
  for (unsigned i = 0; i < 4; ++i) VMLAB_TRY(sys_read16(v, base + 0x22 + i * 2, t.sel[order[i]]));
  VMLAB_TRY(sys_read16(v, base + 0x2A, t.ldt));
  return kNoFault;
}

Fault save_task_image(Vcpu& v, uint32_t base, bool tss32, const CpuState& s, uint32_t eip,
                      uint32_t eflags) {
  if (tss32) {
    VMLAB_TRY(sys_write32(v, base + 0x20, eip));
    VMLAB_TRY(sys_write32(v, base + 0x24, eflags));
    for (unsigned i = 0; i < 8; ++i) VMLAB_TRY(sys_write32(v, base + 0x28 + i * 4, s.gpr[i]));
    for (unsigned i = 0; i < kNumSegRegs; ++i)
      VMLAB_TRY(sys_write16(v, base + 0x48 + i * 4, s.seg[i].selector));
    return kNoFault;
  }
  VMLAB_TRY(sys_write16(v, base + 0x0E, uint16_t(eip)));
  VMLAB_TRY(sys_write16(v, base + 0x10, uint16_t(eflags)));
  for (unsigned i = 0; i < 8; ++i) VMLAB_TRY(sys_write16(v, base + 0x12 + i * 2, uint16_t(s.gpr[i])));
  const uint8_t order[4] = {ES, CS, SS, DS};
  for (unsigned i = 0; i < 4; ++i)
    VMLAB_TRY(sys_write16(v, base + 0x22 + i * 2, s.seg[order[i]].selector));
  return kNoFault;
}

// Segment loads of the new task (SDM Table 7-1): faults here are taken in the new task.
Fault load_task_segments(Vcpu& v, const TaskImage& t, bool ext) {
  CpuState& s = v.s;
  // LDT first: the other selectors may point into it.
  if ((t.ldt & 0xFFFC) != 0) {
    const uint32_t err = sel_error(t.ldt, ext);
    if (t.ldt & 4) return fault_ts(err);
    Descriptor ld;
    VMLAB_TRY(fetch_descriptor(v, t.ldt, ld, kTS, ext));
    if (ld.s() || ld.type() != kLdt || !ld.present()) return fault_ts(err);
    s.ldtr = cache_from_descriptor(t.ldt, ld);
  }
  if (s.eflags & VM) {
    for (uint8_t seg = 0; seg < kNumSegRegs; ++seg) load_segment_v86(s, seg, t.sel[seg]);
    return kNoFault;
  }
  // CS: its RPL becomes the CPL.
  const uint16_t cs_sel = t.sel[CS];
  const uint32_t cs_err = sel_error(cs_sel, ext);
  if ((cs_sel & 0xFFFC) == 0) return fault_ts(cs_err);
  Descriptor cs;
  VMLAB_TRY(fetch_descriptor(v, cs_sel, cs, kTS, ext));
  const unsigned rpl = cs_sel & 3;
  if (!cs.is_code()) return fault_ts(cs_err);
  if (cs.conforming() ? cs.dpl() > rpl : cs.dpl() != rpl) return fault_ts(cs_err);
  if (!cs.present()) return fault_np(cs_err);
  VMLAB_TRY(mark_accessed(v, cs_sel, cs));
  load_cs_protected(s, cs_sel, cs, rpl);

  Descriptor ssd;
  VMLAB_TRY(check_stack_segment(v, t.sel[SS], rpl, ssd, kTS, ext));
  VMLAB_TRY(mark_accessed(v, t.sel[SS], ssd));
  s.seg[SS] = cache_from_descriptor(t.sel[SS], ssd);

  for (uint8_t seg : {ES, DS, FS, GS}) {
    const uint16_t sel = t.sel[seg];
    const uint32_t err = sel_error(sel, ext);
    if ((sel & 0xFFFC) == 0) {
      s.seg[seg] = null_segment(sel);
      continue;
    }
    Descriptor d;
    VMLAB_TRY(fetch_descriptor(v, sel, d, kTS, ext));
    if (!d.readable() || !d.s()) return fault_ts(err);
    if ((d.is_data() || !d.conforming()) && (d.dpl() < rpl || d.dpl() < (sel & 3u)))
      return fault_ts(err);
    if (!d.present()) return fault_np(err);
    VMLAB_TRY(mark_accessed(v, sel, d));
    s.seg[seg] = cache_from_descriptor(sel, d);
  }
  return kNoFault;
}

}  // namespace

Fault fetch_tss_descriptor(Vcpu& v, uint16_t sel, TaskSwitchSource src, bool ext, Descriptor& d) {
  const uint8_t vec = src == TaskSwitchSource::Iret ? kTS : kGP;
  const Fault bad = make_fault(vec, sel_error(sel, ext));
  if ((sel & 4) || (sel & 0xFFFC) == 0) return bad;
  VMLAB_TRY(fetch_descriptor(v, sel, d, vec, ext));
  if (!d.is_tss()) return bad;
  if ((src == TaskSwitchSource::Iret) != d.tss_busy()) return bad;
  if (!d.present()) return fault_np(sel_error(sel, ext));
  return kNoFault;
}

Fault task_switch_impl(Vcpu& v, uint16_t tss_sel, Descriptor d, TaskSwitchSource src,
                       uint32_t next_eip, bool has_error, uint32_t error, bool ext, Fault& late) {
  CpuState& s = v.s;
  const bool new32 = d.tss32();
  if (d.limit() < (new32 ? 0x67u : 0x2Bu)) return fault_ts(sel_error(tss_sel, ext));
  const bool old32 = seg_type(s.tr.attr) & 8;
  if (!(s.tr.attr & SEG_P) || s.tr.limit < (old32 ? 0x67u : 0x2Bu))
    return fault_ts(sel_error(s.tr.selector, ext));

  // Everything that can fault before the commit point: reading the new TSS, and making sure
  // the old TSS, the back link and both descriptors can be written.
  TaskImage t;
  VMLAB_TRY(read_task_image(v, d.base(), new32, s, t));
  const bool nesting = src == TaskSwitchSource::Call || src == TaskSwitchSource::Interrupt;
  const bool release_old = src == TaskSwitchSource::Jump || src == TaskSwitchSource::Iret;
  if (old32) VMLAB_TRY(mmu::probe_write(v, s.tr.base + 0x20, 0x40, false));
  else VMLAB_TRY(mmu::probe_write(v, s.tr.base + 0x0E, 0x1C, false));
  if (nesting) VMLAB_TRY(mmu::probe_write(v, d.base(), 2, false));
  Descriptor old_d;
  const bool old_in_gdt = (s.tr.selector & 0xFFFC) && !(s.tr.selector & 4);
  if (release_old && old_in_gdt) VMLAB_TRY(fetch_descriptor(v, s.tr.selector, old_d, kTS, ext));

  // --- commit point: from here on the switch happens; later faults belong to the new task.
  if (release_old && old_in_gdt && old_d.is_tss())
    VMLAB_TRY(write_descriptor_type(v, s.tr.selector, old_d, old_d.type() & ~2u));
  uint32_t old_flags = read_eflags(s);
  if (src == TaskSwitchSource::Iret) old_flags &= ~NT;
  VMLAB_TRY(save_task_image(v, s.tr.base, old32, s, next_eip, old_flags));
  if (nesting) {
    VMLAB_TRY(sys_write16(v, d.base(), s.tr.selector));
    t.eflags |= NT;
  }
  if (src != TaskSwitchSource::Iret) VMLAB_TRY(write_descriptor_type(v, tss_sel, d, d.type() | 2u));

  s.tr = cache_from_descriptor(tss_sel, d);
  s.cr0 |= CR0_TS;
  if (new32 && paging_enabled(s)) {
    s.cr3 = t.cr3;
    flush_tlb_for_cr3_load(v);
  }
  write_eflags(s, t.eflags & kEflagsDefined);
  s.eip = t.eip;
  for (unsigned i = 0; i < 8; ++i) s.gpr[i] = t.gpr[i];
  // Selectors are loaded with unusable caches first, then validated one by one (SDM 7.3
  // step 12): a register whose check faults stays unusable in the new task.
  for (uint8_t seg = 0; seg < kNumSegRegs; ++seg) {
    uint16_t keep_attr_db = s.seg[seg].attr & SEG_DB;
    s.seg[seg] = null_segment(t.sel[seg]);
    if (seg == CS) s.seg[seg].attr = keep_attr_db;  // decode width until CS is loaded
  }
  s.ldtr = null_segment(t.ldt);
  s.cpl = (s.eflags & VM) ? 3 : (t.sel[CS] & 3);

  late = load_task_segments(v, t, ext);
  if (late) return kNoFault;
  if (has_error) {
    StackCursor st = current_stack(s);
    st.error = ext ? 1 : 0;
    late = stack_push(v, st, new32 ? 4 : 2, error);
    if (late) return kNoFault;
    commit_stack(s, st);
  }
  if (s.eip > s.seg[CS].limit) {
    late = fault_gp(ext ? 1 : 0);
  } else if (t.debug_trap) {
    s.dr[6] |= kDr6TaskSwitch;
    s.dr[4] = s.dr[6];
    late = make_fault(kDB);
  }
  return kNoFault;
}

Fault task_switch(Vcpu& v, uint16_t tss_selector, TaskSwitchSource src, uint32_t next_eip,
                  bool has_error, uint32_t error) {
  Descriptor d;
  VMLAB_TRY(fetch_tss_descriptor(v, tss_selector, src, false, d));
  Fault late;
  VMLAB_TRY(task_switch_impl(v, tss_selector, d, src, next_eip, has_error, error, false, late));
  // The new task is in place: a fault of its segment loads is delivered there, at its EIP.
  if (late) deliver_fault(v, late, v.s.eip);
  return kNoFault;
}

}  // namespace vmlab::cpu
