// Helpers shared by the protected-mode service files (segmentation, far transfers, event
// delivery, task switching). Not an interface for instruction handlers: they use
// protected_mode.h.
//
//   StackCursor st = current_stack(v.s);
//   VMLAB_TRY(stack_push(v, st, 4, value));
//   commit_stack(v.s, st);
#pragma once
#include <cstdint>
#include "cpu/descriptor.h"
#include "cpu/fault.h"
#include "cpu/protected_mode.h"
#include "cpu/vcpu.h"

namespace vmlab::cpu {

// EFLAGS bits an i686 implements; the others read as 0 (bit 1 as 1) whatever an IRET frame or
// a TSS image holds.
inline constexpr uint32_t kEflagsDefined = kArithFlags | TF | IF | DF | IOPL_MASK | NT | RF | VM |
                                           AC | VIF | VIP | ID;

inline constexpr uint32_t kDr6TaskSwitch = 1u << 15;  // DR6.BT: #DB from a TSS T bit

// --- implicit supervisor accesses (descriptor tables, TSS, IDT) ---------------------------
Fault sys_read8(Vcpu& v, uint32_t lin, uint8_t& out);
Fault sys_read16(Vcpu& v, uint32_t lin, uint16_t& out);
Fault sys_read32(Vcpu& v, uint32_t lin, uint32_t& out);
Fault sys_write8(Vcpu& v, uint32_t lin, uint8_t value);
Fault sys_write16(Vcpu& v, uint32_t lin, uint16_t value);
Fault sys_write32(Vcpu& v, uint32_t lin, uint32_t value);

// --- descriptor tables ---------------------------------------------------------------------
// Reads the descriptor for `selector` (GDT or LDT). A selector beyond the table limit (or an
// LDT selector with no usable LDT) raises `vector` with error sel_error(selector, ext).
Fault fetch_descriptor(Vcpu& v, uint16_t selector, Descriptor& d, uint8_t vector = kGP,
                       bool ext = false);
// Linear address of the descriptor (valid only after fetch_descriptor succeeded).
uint32_t descriptor_address(const CpuState& s, uint16_t selector);
// Sets the accessed bit in the in-memory descriptor if clear (SDM 3.4.5.1).
Fault mark_accessed(Vcpu& v, uint16_t selector, Descriptor& d);
// RET far / IRET: checks the code segment returned to (null, RPL < CPL, type, DPL, present).
Fault check_return_code_segment(Vcpu& v, uint16_t cs_sel, Descriptor& cs);
// Rewrites the type nibble of a GDT descriptor (TSS busy bit).
Fault write_descriptor_type(Vcpu& v, uint16_t selector, Descriptor& d, unsigned type);

// --- segment register loads without checks --------------------------------------------------
// Real mode: selector and base change, limit and attributes stay (big real mode works).
// V86: base = sel << 4, limit 0xFFFF, attributes of a DPL-3 read/write data segment.
void load_segment_real(CpuState& s, uint8_t seg, uint16_t selector);
void load_segment_v86(CpuState& s, uint8_t seg, uint16_t selector);
// Loads CS from a code descriptor with RPL = `cpl` and makes `cpl` current.
void load_cs_protected(CpuState& s, uint16_t selector, const Descriptor& d, unsigned cpl);
// Checks an SS selector against `cpl` (SDM MOV SS / RET / IRET rules): #GP(sel) or #SS(sel).
// Used by load_segment with vector kGP; task switches and stack switches pass kTS.
Fault check_stack_segment(Vcpu& v, uint16_t selector, unsigned cpl, Descriptor& d,
                          uint8_t vector, bool ext);
// After a return to an outer level: data segment registers the new CPL may not use become null.
void invalidate_segments_for_cpl(CpuState& s);

// --- stack ------------------------------------------------------------------------------------
// A stack pointer being built up (pushes of an interrupt frame onto a new stack, pops of a
// return frame) before anything is committed to the CPU state.
struct StackCursor {
  SegmentCache ss;
  uint32_t esp = 0;
  bool user = false;          // CPL-3 stack (page-level user access)
  uint32_t error = 0;         // #SS error code on a limit violation
};
StackCursor current_stack(const CpuState& s);
bool segment_offset_ok(const SegmentCache& c, uint32_t offset, unsigned size);
Fault stack_push(Vcpu& v, StackCursor& st, unsigned bytes, uint32_t value);
Fault stack_pop(Vcpu& v, StackCursor& st, unsigned bytes, uint32_t& value);
// Reads at the cursor + `skip` bytes without moving it.
Fault stack_peek(Vcpu& v, const StackCursor& st, uint32_t skip, unsigned bytes, uint32_t& value);
void stack_adjust(StackCursor& st, uint32_t add);
// RET far / IRET to an outer level: pops the outer ESP then SS (each `bytes` wide) and checks
// SS against the privilege level returned to (`rpl`), #GP(sel) / #SS(sel) as MOV SS would.
Fault pop_outer_stack(Vcpu& v, StackCursor& st, unsigned bytes, unsigned rpl, uint32_t& esp,
                      uint16_t& ss_sel, Descriptor& ssd);
// The ESP a return to an outer level leaves: the popped value for a 32-bit SS; for a 16-bit
// SS only SP changes and ESP[31:16] keeps the inner stack's bits, as on hardware (the
// "espfix" leak operating systems work around).
inline uint32_t outer_esp(uint32_t current_esp, uint32_t popped, const Descriptor& ss) {
  return ss.big() ? popped : ((current_esp & 0xFFFF0000u) | (popped & 0xFFFF));
}
// Writes SS (if it changed) and ESP (only SP for a 16-bit stack segment).
void commit_stack(CpuState& s, const StackCursor& st);

// The inner-level stack for privilege level `dpl` from the current TSS (32- or 16-bit).
Fault tss_inner_stack(Vcpu& v, unsigned dpl, uint16_t& ss, uint32_t& esp, bool ext);

// --- TLB ------------------------------------------------------------------------------------
// Full flush (CR3 load without PGE, paging-mode changes), counted in the MMU counters. With
// CR4.PGE a CR3 load keeps global translations where the TLB can tell them apart.
void flush_tlb_all(Vcpu& v);
void flush_tlb_for_cr3_load(Vcpu& v);

// --- tasks --------------------------------------------------------------------------------
// Task switch to the TSS `tss_sel` whose descriptor `d` the caller validated as far as the
// source requires. Returns a fault taken before the switch is committed (reported in the old
// task); a fault detected after the commit (segment loads of the new task, EIP outside CS,
// error code push) is put in `late` and belongs to the new task.
// Fetches and checks the TSS descriptor a task switch goes to: GDT only, a TSS that is
// available (busy for IRET), present. #GP(sel) (#TS(sel) for IRET), #NP(sel).
Fault fetch_tss_descriptor(Vcpu& v, uint16_t sel, TaskSwitchSource src, bool ext, Descriptor& d);
Fault task_switch_impl(Vcpu& v, uint16_t tss_sel, Descriptor d, TaskSwitchSource src,
                       uint32_t next_eip, bool has_error, uint32_t error, bool ext, Fault& late);

}  // namespace vmlab::cpu
