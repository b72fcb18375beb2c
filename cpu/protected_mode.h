// Protected-mode services: the segmentation, privilege, gate and task machinery that many
// instructions share. Instruction handlers (decoded in cpu/decode, executed by the
// interpreter) call these; they work in real, V86 and protected mode alike and return the
// architectural fault (with its error code) instead of acting when a check fails.
//
// Files: segmentation.cpp (descriptor fetch, segment loads), far_transfer.cpp (JMP/CALL/RET far,
// call gates), iret.cpp, exceptions.cpp (event delivery, #DF/triple fault), task_switch.cpp,
// io_permission.cpp, system_registers.cpp (CRn, DRn, LLDT/LTR, LAR/LSL/VERR/VERW), cpuid.cpp,
// msr.cpp; shared helpers in descriptor.h, pm_internal.h, pm_stack.cpp. See
// docs/protected_mode.md.
//
// A null/unusable data segment register is left with attr == 0 (P clear): accesses through it
// must raise #GP(0) (segmented_access.h does).
#pragma once
#include <cstdint>
#include "cpu/fault.h"

namespace vmlab::cpu {

class Vcpu;

// --- segmentation -------------------------------------------------------------------------
// MOV/POP Sreg, LDS/LES/LFS/LGS/LSS: loads a segment register with every check (#GP/#SS/#NP
// with the selector as error code). In real/V86 mode: base = sel << 4, limit and attributes as
// the CPU leaves them.
Fault load_segment(Vcpu& v, uint8_t seg, uint16_t selector);
// Reads the 8-byte descriptor for `selector` from the GDT or LDT; #GP(sel) beyond the limit.
Fault read_descriptor(Vcpu& v, uint16_t selector, uint64_t& desc);

// --- far control transfers (opsize 16 or 32) -----------------------------------------------
Fault far_jump(Vcpu& v, uint16_t selector, uint32_t offset, unsigned opsize, uint32_t next_eip);
Fault far_call(Vcpu& v, uint16_t selector, uint32_t offset, unsigned opsize, uint32_t next_eip);
Fault far_return(Vcpu& v, unsigned opsize, uint16_t pop_bytes);
// IRET: `next_eip` (the instruction after IRET) is saved in the outgoing TSS by an NT=1 task
// return; left at its default, s.eip is taken as already pointing past the IRET.
inline constexpr uint32_t kIretEipFromState = 0xFFFFFFFFu;
Fault iret(Vcpu& v, unsigned opsize, uint32_t next_eip = kIretEipFromState);

// --- interrupts and exceptions -------------------------------------------------------------
enum class EventKind : uint8_t {
  Exception,         // a fault/trap from an instruction: EIP of the faulting insn (faults) given
  External,          // INTR from the interrupt controller
  Nmi,
  SoftwareInt,       // INT n: IOPL/V86 checks and DPL check apply
  SoftwareInt3,      // INT3 (CC): DPL check, not IOPL-sensitive in V86
  SoftwareIntO,      // INTO
  Icebp,             // F1: like a hardware #DB, no DPL check
};
struct Event {
  EventKind kind = EventKind::Exception;
  uint8_t vector = 0;
  bool has_error = false;
  uint32_t error = 0;
  uint32_t return_eip = 0;   // EIP pushed: the faulting insn for faults, the next one for traps/INT
  // Software INT/INT3/INTO/ICEBP: instruction length, so a fault the INT itself raises (DPL
  // check, V86 IOPL, bad gate) reports the INT's own EIP. 0 = the shortest encoding (2 for
  // CD ib, 1 for CC/CE/F1); set it when prefixes made the instruction longer.
  uint8_t insn_length = 0;
};
// Delivers an event through the IVT (real mode) or IDT (interrupt/trap/task gates), switching
// stacks, pushing the frame and error code. A fault during delivery follows the #DF rules; a
// fault while delivering #DF sets kAttnShutdown (triple fault) and returns.
void deliver_event(Vcpu& v, const Event& e);
// Convenience: delivers an instruction's Fault with EIP = the faulting instruction's EIP.
void deliver_fault(Vcpu& v, const Fault& f, uint32_t faulting_eip);

// --- I/O permission ------------------------------------------------------------------------
// IN/OUT/INS/OUTS: in protected mode with CPL > IOPL, or in V86 mode, consults the TSS I/O
// permission bitmap; #GP(0) when any of the `width` ports is denied.
Fault check_io_permission(Vcpu& v, uint16_t port, unsigned width);

// --- system registers and tables -----------------------------------------------------------
Fault write_cr(Vcpu& v, unsigned n, uint32_t value);   // MOV CRn, r32 (+ LMSW, CLTS use it)
Fault read_cr(Vcpu& v, unsigned n, uint32_t& value);
Fault write_dr(Vcpu& v, unsigned n, uint32_t value);
Fault read_dr(Vcpu& v, unsigned n, uint32_t& value);
Fault load_ldtr(Vcpu& v, uint16_t selector);           // LLDT
Fault load_tr(Vcpu& v, uint16_t selector);             // LTR
// LAR/LSL: `ok` = ZF result; `value` is written only when ok.
Fault load_access_rights(Vcpu& v, uint16_t selector, uint32_t& value, bool& ok);
Fault load_segment_limit(Vcpu& v, uint16_t selector, uint32_t& value, bool& ok);
Fault verify_segment(Vcpu& v, uint16_t selector, bool write, bool& ok);  // VERR / VERW

// --- task switching ------------------------------------------------------------------------
enum class TaskSwitchSource : uint8_t { Jump, Call, Iret, Interrupt };
Fault task_switch(Vcpu& v, uint16_t tss_selector, TaskSwitchSource src, uint32_t next_eip,
                  bool has_error = false, uint32_t error = 0);

// --- MSRs and CPUID ------------------------------------------------------------------------
Fault read_msr(Vcpu& v, uint32_t index, uint64_t& value);   // #GP(0) for unknown MSRs
Fault write_msr(Vcpu& v, uint32_t index, uint64_t value);
struct CpuidResult { uint32_t eax, ebx, ecx, edx; };
CpuidResult cpuid(const Vcpu& v, uint32_t leaf, uint32_t subleaf);

}  // namespace vmlab::cpu
