// Fast handlers: decode-time specialisations of the hottest instruction forms (MOV, the ALU
// group, MOVZX/MOVSX, LEA, INC/DEC, shifts, IMUL, CMOVcc, PUSH/POP reg, CALL rel, RET, REP
// MOVS/STOS), one per operand form: a register, or a 32-bit address of the shape disp,
// base+disp, index*scale+disp or base+index*scale+disp.
//
// A fast handler does only the common case, in straight-line code with no calls: a present,
// writable, expand-up data segment whose limit holds the whole operand, and a software-TLB hit
// that covers the whole operand in one page. Anything else (a miss, a page crossing, a possible
// #AC, a 16-bit stack, a fault) jumps to the general handler from opcodes.def, which does the
// instruction again from the start with every check. The fast handler has changed nothing by
// then, so the general handler stays the one definition of what the instruction does.
//
// The interpreter installs them when it caches a block (Interpreter::Options::fast_handlers,
// `--no-fast-handlers` turns them off); tests run the same guests both ways.
//
//   Insn i; decode(bytes, n, true, i);
//   if (FastHandler f = fast_handler_for(i); f.plain) i.fn = f.plain;
#pragma once
#include "cpu/decode/insn.h"

namespace vmlab::cpu {

// A fast form's entry points: `plain` for the interpreter's loop and bt, `threaded` for
// threaded blocks (cpu/threaded.h; null when the form has none of its own). Jcc and the
// register-only general handlers (MOV reg,imm, INC/DEC reg, the ALU ops on AL/eAX with an
// immediate) have only a threaded one: `plain` is null and the general handler stays the loop's.
struct FastHandler {
  Handler plain = nullptr;
  Handler threaded = nullptr;
  // For a memory operand in ES, SS or DS (or the stack): the threaded form that takes the flat
  // segments' short path (ThreadedRun::flat_tlb); null where there is none.
  Handler threaded_flat = nullptr;
  // As its block's last instruction in a threaded block, instead of threaded_last: Jcc, JMP rel,
  // CALL rel32 and RET set EIP and the retired count themselves (no loop protocol).
  Handler last = nullptr;
};

// The fast variant of `i`'s handler for its addressing form; both null when there is none.
FastHandler fast_handler_for(const Insn& i);

}  // namespace vmlab::cpu
