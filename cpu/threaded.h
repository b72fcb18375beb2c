// Threaded dispatch: a cached 32-bit block runs as a chain of handlers, each ending with a tail
// jump to the next instruction's threaded handler (Insn::tfn), instead of returning to the
// interpreter's loop after every instruction.
//
// Why: the loop's per-instruction work (store EIP, call, test the result, count the instruction,
// compare with the block end) was about 13 of the ~47 host instructions a guest instruction
// cost, and its one indirect call site predicts worse than one jump per handler. In a threaded
// block, a fast handler (cpu/fast_handlers.h) does its work and jumps on; nothing else.
//
// The loop's bookkeeping moves to where it is needed:
//   - EIP: only general handlers read it, so threaded_slow sets it (block EIP + the
//     instruction's end offset, Insn::next_off) before calling one; the loop sets it after the
//     block from where the run stopped.
//   - Retired instructions: counted from where the block stopped (ThreadedRun::retired), and
//     stored before every general handler (the block's count + Insn::pos), because a device
//     read in the middle of a block sees the deterministic clock through them.
//   - The block end: the last instruction's tfn is threaded_last, which returns to the loop.
//   - A code write: only a general handler can write code (a fast store needs a TLB write
//     entry, and a code page has none), so threaded_slow checks the interpreter's run_end after
//     each one and leaves the block after the writing instruction, as the loop did.
//   - Faults and kEipMoved: threaded_slow records the stop and returns to the loop.
//   - Flat segments: while ES, SS and DS are flat (ThreadedRun::flat_tlb), the fast handlers
//     of ES/SS/DS operands go straight to the TLB; see threaded_run.h for who keeps it current.
// A block runs threaded only whole (the budget allows all of it), in 32-bit code (no EIP wrap),
// and the chain is at most one block long (64 instructions), so the stack stays bounded even
// where the compiler does not make the jumps tail calls (sanitizer builds).
//
//   v.threaded.run_end = &run_end;           // once per run
//   v.threaded.block_eip = eip; v.threaded.retired_base = retired;
//   Fault f = first->tfn(v, *first);   // v.threaded.retired says where it ended
#pragma once
#include "cpu/vcpu.h"

namespace vmlab::cpu {

// Goes on with the next instruction of the block (a tail jump).
[[gnu::always_inline]] inline Fault threaded_next(Vcpu& v, const Insn& i) {
  const Insn& n = (&i)[1];
  return n.tfn(v, n);
}

// Leaves the block at `eip` after instruction `i` retired (a taken branch that needs none of
// the loop's protocol): what the loop reads when the block returns.
[[gnu::always_inline]] inline Fault threaded_leave(Vcpu& v, const Insn& i, uint32_t eip) {
  v.s.eip = eip;
  v.threaded.retired = i.pos + 1u;
  return kNoFault;
}

// Runs `h` with the loop's protocol (EIP at the next instruction, retired count up to date),
// then goes on to the next instruction, or returns to the loop after a fault, kEipMoved or a
// code write. Not inlined: it is the slow path of every fast handler.
[[gnu::noinline]] Fault threaded_slow(Vcpu& v, const Insn& i, Handler h);

// Threaded handler of an instruction with no threaded form of its own: its handler (Insn::fn)
// through threaded_slow.
Fault threaded_general(Vcpu& v, const Insn& i);

// Threaded handler of a block's last instruction: runs Insn::fn with the loop's protocol and
// returns to the loop.
Fault threaded_last(Vcpu& v, const Insn& i);
// The same for a last instruction that may change what flat_tlb_for looks at (a non-Plain
// one other than a near branch: segment loads, far transfers, POPF, MOV CR0, ...): it sets
// ThreadedRun::flat_tlb again afterwards.
Fault threaded_last_reflat(Vcpu& v, const Insn& i);
// Whether `i` may change what a chained run assumes between blocks: segments, CPL, EFLAGS (IF,
// TF, AC), CR0, MSRs, the interrupt shadow or HLT state, or devices through port I/O. Only
// non-Plain instructions can, and each ends its block; the near branches among them cannot.
// A block ending in one gets threaded_last_reflat and Block::last_changes_state.
bool may_change_run_state(const Insn& i);

// What ThreadedRun::flat_tlb should be now: the current privilege's TLB tables when ES, SS and
// DS are flat and #AC cannot happen (and ThreadedRun::flat_allowed), else null.
const uint8_t* flat_tlb_for(const Vcpu& v);

#ifdef VMLAB_CHECK_INVARIANTS
// Sanitizer builds check what both the loop and threaded blocks rely on: an instruction that
// is not the last of its block moves EIP only by returning kEipMoved.
[[noreturn]] void eip_moved_without_saying(const Insn& i);
// ... and that only what says so (may_change_run_state's instructions, Interpreter::run's
// flat_current) changes flat_tlb_for's answer. `what` names the culprit.
[[noreturn]] void flat_state_changed_without_saying(const char* what);
#endif

}  // namespace vmlab::cpu
