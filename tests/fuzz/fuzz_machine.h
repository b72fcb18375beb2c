// FuzzMachine: one guest (8 MiB RAM, nothing on the buses, a Vcpu and an Interpreter) set up to
// run a page of random code in a chosen CPU mode, so that every run ends: the IDT/IVT handlers
// point to HLT stubs (one per vector, so the halt address names the vector), most exceptions end
// there, and an instruction budget ends the rest. Memory is reused: what a run wrote (the dirty
// bitmap) is zeroed before the next run, then the system structures are written afresh.
//
// Layout (physical = linear where paging is on: identity map):
//   0x00000 IVT        0x01000 GDT (34 entries, some random)   0x02000 IDT (256 gates)
//   0x03000 TSS A (TR) 0x03400 TSS B (task-switch target)       0x03800 LDT (random)
//   0x04000 HLT stubs  0x05000-0x07FFF ring-0 stack             0x08000-0x0BFFF ring-3 stack
//   0x10000 real/V86 code page, 0x11000-0x14FFF its data        0x20000 page directory + tables
//   0x100000 random data (page)  0x200000 protected-mode code page, 0x201000-0x203FFF data
//
//   FuzzMachine m;
//   RunResult r = m.run_page(seed, FuzzMode::Prot32Ring3, page_index, 2000);
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpu/cpu_state.h"
#include "cpu/execution_core.h"
#include "cpu/interpreter.h"

namespace vmlab::fuzz {

enum class FuzzMode : uint8_t { Real16, Prot32Ring0, Prot32Ring3, Paging32, V86, kCount };
inline constexpr unsigned kNumFuzzModes = static_cast<unsigned>(FuzzMode::kCount);
const char* mode_name(FuzzMode m);
bool parse_mode(const std::string& name, FuzzMode& out);

inline constexpr uint32_t kStubBase = 0x4000;   // HLT for vector n at kStubBase + n
inline constexpr uint32_t kPmCodeBase = 0x200000;
inline constexpr uint32_t kRealCodeBase = 0x10000;
inline constexpr uint32_t kCodeBytes = 4096;

struct RunResult {
  cpu::ExitReason reason = cpu::ExitReason::BudgetSpent;
  uint64_t executed = 0;
  int handler_vector = -1;             // halted in the stub of this vector
  uint64_t exceptions_delivered = 0;   // counters.exceptions summed over the run
  std::string message;                 // exit message (internal errors)
  std::string invariant_error;         // a broken architectural invariant after the run
  bool hung = false;                   // run() did not return in time; stopped by the watchdog
  uint64_t digest = 0;                 // final CPU state (determinism check)
  uint64_t mem_digest = 0;             // the pages written (dirty bitmap) and their contents
  std::vector<uint64_t> dirty_pages;   // which pages were written
  std::vector<uint8_t> page_bytes;     // their contents, when run_page was asked to keep them
  cpu::CpuState final_state{};         // the CPU at the end of the run
};

class FuzzMachine {
 public:
  // `o`: the interpreter's speed tricks, so runs with and without one can be compared;
  // `binary_translation`: the core is --backend bt's (o.hot_runs decides when blocks translate).
  explicit FuzzMachine(cpu::Interpreter::Options o = {}, bool binary_translation = false);
  ~FuzzMachine();
  FuzzMachine(const FuzzMachine&) = delete;
  FuzzMachine& operator=(const FuzzMachine&) = delete;

  // Sets up `mode` with the code and tables drawn from (seed, mode, page) and runs it.
  RunResult run_page(uint64_t seed, FuzzMode mode, uint32_t page, uint64_t budget,
                     bool keep_pages = false);

  // The random code of the last run (for failure reports) and the final CPU state.
  const std::vector<uint8_t>& last_code() const { return code_; }
  const cpu::CpuState& state() const;
  const cpu::BlockTranslator* translator() const;  // bt's, or nullptr
  uint64_t threaded_blocks() const;  // blocks the interpreter ran threaded (cpu/threaded.h)
  uint64_t code_base(FuzzMode mode) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_;
  std::vector<uint8_t> code_;
};

}  // namespace vmlab::fuzz
