// Event delivery (SDM Vol. 3 ch. 6; Vol. 2 "INT n/INTO/INT3/INT1"): real mode through the IVT,
// protected and V86 mode through IDT interrupt, trap and task gates, with the stack switch of
// an interrupt to an inner level, and the double-fault / triple-fault rules (SDM Table 6-5).
#include "cpu/descriptor.h"
#include "cpu/flags.h"
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"

namespace vmlab::cpu {
namespace {

enum class Klass : uint8_t { Benign, Contributory, PageFault, DoubleFault };

Klass classify(uint8_t vector) {
  switch (vector) {
    case kDE: case kTS: case kNP: case kSS: case kGP: return Klass::Contributory;
    case kPF: return Klass::PageFault;
    case kDF: return Klass::DoubleFault;
    default: return Klass::Benign;
  }
}

bool is_software(EventKind k) {
  return k == EventKind::SoftwareInt || k == EventKind::SoftwareInt3 || k == EventKind::SoftwareIntO;
}

// The EIP a fault raised while delivering `e` reports: the INT instruction itself for
// software interrupts, otherwise the EIP the event would have pushed.
uint32_t nested_return_eip(const Event& e) {
  if (!is_software(e.kind)) return e.return_eip;
  unsigned len = e.insn_length ? e.insn_length : (e.kind == EventKind::SoftwareInt ? 2 : 1);
  return e.return_eip - len;
}

void count_event(Vcpu& v, const Event& e) {
  switch (e.kind) {
    case EventKind::External: v.counters.external_interrupts++; break;
    case EventKind::SoftwareInt: v.counters.software_interrupts++; break;
    default:
      if (e.vector < v.counters.exceptions.size()) v.counters.exceptions[e.vector]++;
  }
}

Fault deliver_real(Vcpu& v, const Event& e) {
  CpuState& s = v.s;
  const uint32_t entry = uint32_t(e.vector) * 4;
  if (entry + 3 > s.idtr.limit) return fault_gp(uint32_t(e.vector) * 8 + 2);
  uint16_t ip = 0, cs = 0;
  VMLAB_TRY(sys_read16(v, s.idtr.base + entry, ip));
  VMLAB_TRY(sys_read16(v, s.idtr.base + entry + 2, cs));
  StackCursor st = current_stack(s);
  VMLAB_TRY(stack_push(v, st, 2, read_eflags(s) & 0xFFFF));
  VMLAB_TRY(stack_push(v, st, 2, s.seg[CS].selector));
  VMLAB_TRY(stack_push(v, st, 2, e.return_eip & 0xFFFF));
  commit_stack(s, st);
  load_segment_real(s, CS, cs);
  s.eip = ip;
  s.eflags &= ~(IF | TF | AC | RF);
  return kNoFault;
}

// Interrupt/trap gate to a code segment (SDM "INT n" INTER- and INTRA-PRIVILEGE-LEVEL paths).
Fault deliver_through_gate(Vcpu& v, const Event& e, const Descriptor& g, bool ext) {
  CpuState& s = v.s;
  const uint16_t cs_sel = g.gate_selector();
  const uint32_t cs_err = sel_error(cs_sel, ext);
  if ((cs_sel & 0xFFFC) == 0) return fault_gp(ext ? 1 : 0);
  Descriptor cs;
  VMLAB_TRY(fetch_descriptor(v, cs_sel, cs, kGP, ext));
  if (!cs.is_code() || cs.dpl() > s.cpl) return fault_gp(cs_err);
  if (!cs.present()) return fault_np(cs_err);
  const bool from_v86 = v86_mode(s);
  const bool inner = !cs.conforming() && cs.dpl() < s.cpl;
  // From V86 mode the handler must be a ring-0 non-conforming segment.
  if (from_v86 && (!inner || cs.dpl() != 0)) return fault_gp(cs_err);
  const unsigned new_cpl = inner ? cs.dpl() : s.cpl;
  const unsigned gsz = g.gate32() ? 4 : 2;
  const uint32_t eip = g.gate_offset();

  StackCursor st;
  Descriptor ssd;
  uint16_t ss_sel = 0;
  if (inner) {
    uint32_t esp = 0;
    VMLAB_TRY(tss_inner_stack(v, new_cpl, ss_sel, esp, ext));
    VMLAB_TRY(check_stack_segment(v, ss_sel, new_cpl, ssd, kTS, ext));
    st.ss = cache_from_descriptor(ss_sel, ssd);
    st.esp = esp;
    st.user = new_cpl == 3;
    st.error = sel_error(ss_sel, ext);
  } else {
    st = current_stack(s);
    st.error = ext ? 1 : 0;
  }
  if (eip > cs.limit()) return fault_gp(ext ? 1 : 0);
  if (from_v86) {
    VMLAB_TRY(stack_push(v, st, gsz, s.seg[GS].selector));
    VMLAB_TRY(stack_push(v, st, gsz, s.seg[FS].selector));
    VMLAB_TRY(stack_push(v, st, gsz, s.seg[DS].selector));
    VMLAB_TRY(stack_push(v, st, gsz, s.seg[ES].selector));
  }
  if (inner) {
    VMLAB_TRY(stack_push(v, st, gsz, s.seg[SS].selector));
    VMLAB_TRY(stack_push(v, st, gsz, s.gpr[ESP]));
  }
  VMLAB_TRY(stack_push(v, st, gsz, read_eflags(s)));
  VMLAB_TRY(stack_push(v, st, gsz, s.seg[CS].selector));
  VMLAB_TRY(stack_push(v, st, gsz, e.return_eip));
  if (e.kind == EventKind::Exception && e.has_error) VMLAB_TRY(stack_push(v, st, gsz, e.error));
  VMLAB_TRY(mark_accessed(v, cs_sel, cs));
  if (inner) {
    VMLAB_TRY(mark_accessed(v, ss_sel, ssd));
    st.ss = cache_from_descriptor(ss_sel, ssd);
  }
  // Commit: nothing above changed the CPU state.
  commit_stack(s, st);
  load_cs_protected(s, cs_sel, cs, new_cpl);
  if (from_v86)
    for (uint8_t seg : {ES, DS, FS, GS}) s.seg[seg] = null_segment(0);
  s.eip = eip;
  uint32_t clear = TF | NT | RF | VM;
  if (g.type() == kIntGate16 || g.type() == kIntGate32) clear |= IF;
  s.eflags &= ~clear;
  return kNoFault;
}

Fault deliver_protected(Vcpu& v, const Event& e, Fault& late) {
  CpuState& s = v.s;
  const bool soft = is_software(e.kind);
  const bool ext = !soft;
  // INT n in V86 mode is IOPL-sensitive (no VME): #GP(0) to the V86 monitor.
  if (e.kind == EventKind::SoftwareInt && v86_mode(s) && iopl(s) < 3) return fault_gp(0);
  const uint32_t idt_err = uint32_t(e.vector) * 8 + 2 + (ext ? 1 : 0);
  if (uint32_t(e.vector) * 8 + 7 > s.idtr.limit) return fault_gp(idt_err);
  uint32_t lo = 0, hi = 0;
  const uint32_t lin = s.idtr.base + uint32_t(e.vector) * 8;
  VMLAB_TRY(sys_read32(v, lin, lo));
  VMLAB_TRY(sys_read32(v, lin + 4, hi));
  const Descriptor g{uint64_t(lo) | (uint64_t(hi) << 32)};
  switch (g.s() ? 0 : g.type()) {
    case kTaskGate: case kIntGate16: case kTrapGate16: case kIntGate32: case kTrapGate32: break;
    default: return fault_gp(idt_err);
  }
  if (soft && g.dpl() < s.cpl) return fault_gp(idt_err);
  if (!g.present()) return fault_np(idt_err);
  if (g.type() != kTaskGate) return deliver_through_gate(v, e, g, ext);

  const uint16_t tss_sel = g.gate_selector();
  Descriptor tss;
  VMLAB_TRY(fetch_tss_descriptor(v, tss_sel, TaskSwitchSource::Interrupt, ext, tss));
  const bool err = e.kind == EventKind::Exception && e.has_error;
  return task_switch_impl(v, tss_sel, tss, TaskSwitchSource::Interrupt, e.return_eip, err,
                          e.error, ext, late);
}

void triple_fault(Vcpu& v) {
  v.s.events.in_double_fault = 0;
  v.counters.triple_faults++;
  v.attention.fetch_or(kAttnShutdown);
}

}  // namespace

void deliver_event(Vcpu& v, const Event& first) {
  CpuState& s = v.s;
  s.events.halted = 0;
  s.events.interrupt_shadow = 0;  // the handler's first instruction is not shadowed
  count_event(v, first);
  Event cur = first;
  // Each round either delivers, escalates (-> #DF -> shutdown) or moves on to a nested fault
  // of a benign event; the bound only guards against a logic error looping forever.
  for (int round = 0; round < 8; ++round) {
    Fault late;
    Fault f = protected_mode(s) ? deliver_protected(v, cur, late) : deliver_real(v, cur);
    if (!f && !late) {
      s.events.in_double_fault = 0;
      // NMIs stay blocked until IRET even when a fault interrupted the NMI's own delivery.
      if (first.kind == EventKind::Nmi) s.events.nmi_blocked = 1;
      return;
    }
    // A fault after a task switch committed is taken in the new task, at its EIP.
    const Fault nested = f ? f : late;
    const uint32_t ret = f ? nested_return_eip(cur) : s.eip;
    const Klass a = cur.kind == EventKind::Exception ? classify(cur.vector) : Klass::Benign;
    const Klass b = classify(nested.vector);
    // The T-bit #DB of a task switched to by this delivery is a trap in the new task, not a
    // fault of the delivery: a #DF handler task with T=1 does not shut the CPU down.
    const bool task_trap = !f && nested.vector == kDB;
    if (a == Klass::DoubleFault && !task_trap) {
      triple_fault(v);
      return;
    }
    Event next;
    next.kind = EventKind::Exception;
    next.return_eip = ret;
    if ((a == Klass::Contributory && b == Klass::Contributory) ||
        (a == Klass::PageFault && b != Klass::Benign)) {
      next.vector = kDF;
      next.has_error = true;
      next.error = 0;
      s.events.in_double_fault = 1;
    } else {
      next.vector = nested.vector;
      next.has_error = nested.has_error;
      next.error = nested.error;
    }
    count_event(v, next);
    cur = next;
  }
  triple_fault(v);
}

void deliver_fault(Vcpu& v, const Fault& f, uint32_t faulting_eip) {
  if (!f) return;
  Event e;
  e.kind = EventKind::Exception;
  e.vector = f.vector;
  e.has_error = f.has_error;
  e.error = f.error;
  e.return_eip = faulting_eip;
  deliver_event(v, e);
}

}  // namespace vmlab::cpu
