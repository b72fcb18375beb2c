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
  // Set by the handler that ends the run: how many of the block's instructions retired (the
  // faulting one's index when a fault is returned). A count, not a pointer, so the loop needs
  // no division by sizeof(Insn).
  uint32_t retired = 0;
};

}  // namespace vmlab::cpu
