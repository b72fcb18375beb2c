// The random-code fuzz campaign: runs pages of random code in every FuzzMode and counts how each
// run ended. A run must end in a delivered exception (halting in a handler stub), a triple fault
// (Shutdown), a HLT, or the budget; an internal error, a broken invariant, a run whose result
// differs when repeated, a hang (watchdog) or a host crash is a finding.
//
//   FuzzConfig c{.seed = 1, .pages = 4000};
//   FuzzReport rep = run_fuzz(c);
//   fmt::print("{}", format_report(rep));
//   return rep.problems.empty() ? 0 : 1;
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_machine.h"

namespace vmlab::fuzz {

struct FuzzConfig {
  uint64_t seed = 1;
  uint32_t pages = 4000;              // in total, split evenly across the modes
  uint64_t budget = 2000;             // instructions per page
  uint32_t repeat_every = 16;         // re-run every Nth page and compare (0 = never)
  std::optional<FuzzMode> only_mode;  // reproduce: one mode ...
  std::optional<uint32_t> only_page;  // ... and one page index
  bool verbose = false;               // one line per run
};

struct ModeStats {
  uint64_t runs = 0;
  uint64_t exception_halt = 0;   // halted in the stub of vector < 32
  uint64_t interrupt_halt = 0;   // halted in the stub of vector >= 32 (INT n)
  uint64_t halted = 0;           // halted elsewhere (a HLT in the random code)
  uint64_t triple_fault = 0;
  uint64_t budget = 0;
  uint64_t other_exit = 0;       // attention / breakpoint
  uint64_t internal_error = 0;
  uint64_t instructions = 0;
  uint64_t exceptions_delivered = 0;
  std::array<uint64_t, 32> by_vector{};  // runs ending in each exception stub
};

struct FuzzProblem {
  FuzzMode mode;
  uint32_t page = 0;
  std::string what;
  std::string detail;   // code bytes around the final EIP, exit message
};

struct FuzzReport {
  uint64_t seed = 0;
  std::array<ModeStats, kNumFuzzModes> modes{};
  std::vector<FuzzProblem> problems;
  double seconds = 0;
};

FuzzReport run_fuzz(const FuzzConfig& c);
std::string format_report(const FuzzReport& r);

// "seed=S mode=M page=P": what the current run is, for crash and watchdog messages.
const char* current_run_context();

}  // namespace vmlab::fuzz
