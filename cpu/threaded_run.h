// ThreadedRun: what a threaded block's handlers share with the interpreter loop that started
// it (cpu/threaded.h). Plain data, one per vCPU (Vcpu::threaded).
#pragma once
#include <cstdint>
#include "cpu/decode/insn.h"

namespace vmlab::cpu {

struct ThreadedRun {
  // Set by the loop before it enters the block's first handler:
  uint32_t block_eip = 0;           // EIP of the block's first instruction
  uint64_t retired_base = 0;        // CpuState::instructions_retired before the block
  // Set once per run of chained blocks: the interpreter's run_end, 0 after a code write.
  const uintptr_t* run_end = nullptr;
  // Flat data segments: the TLB tables (read, write, fetch; cpu/fast_handlers.cpp) of the
  // current privilege when ES, SS and DS are flat (base 0, limit 4 GiB - 1, present writable
  // expand-up data, SS 32-bit) and no #AC is possible; else null. The threaded fast handlers of
  // ES/SS/DS operands then skip the segment checks (flat_tlb_for in cpu/threaded.h).
  const uint8_t* flat_tlb = nullptr;
  bool flat_allowed = true;         // --no-flat-segments clears it: flat_tlb stays null
  // flat_tlb is current. The interpreter computes it before a threaded block when it is not;
  // it clears this when anything else may have run: run() starting, delivering an event or
  // running instructions itself, a block run through the loop, bt host code. Inside threaded
  // blocks, a block-ending instruction that may change it (may_change_run_state: only
  // non-Plain ones can, and they end their block) sets flat_tlb again (threaded_last_reflat).
  bool flat_current = false;
  // Set by the handler that ends the run: how many of the block's instructions retired (the
  // faulting one's index when a fault is returned). A count, not a pointer, so the loop needs
  // no division by sizeof(Insn).
  uint32_t retired = 0;
};

}  // namespace vmlab::cpu
