// VectorRunner: runs one MOO conformance test on the interpreter and compares the final state.
//
// One runner owns a 16 MiB GuestMemory (A20 on), an IoBus with nothing claimed (IN reads
// all-ones, as the vectors expect), a Vcpu and an Interpreter, and reuses them for every test:
// after a test it zeroes only what was touched (the bytes the test listed, plus every page the
// dirty bitmap says was written), so 160,000 tests cost little more than their execution.
//
//   VectorRunner r;
//   TestOutcome o = r.run(test, meta.flags_mask("F6.6"));
//   if (!o.passed) for (const Mismatch& m : o.mismatches) ...
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/conformance/moo_reader.h"

namespace vmlab::conformance {

struct Mismatch {
  std::string what;        // "ax", "cs.base", "flags", "ram[0x1234f]", "exit"
  uint32_t expected = 0;
  uint32_t got = 0;
  std::string note;        // e.g. differing flag letters, exit reason text
};

struct TestOutcome {
  bool passed = true;
  std::vector<Mismatch> mismatches;
  uint64_t executed = 0;   // instructions the interpreter retired
  std::string delivered;   // exceptions the interpreter delivered, e.g. "#6 #13"
};

struct RunnerOptions {
  uint64_t budget = 1000;     // instructions per test; a test that does not halt by then fails
  bool decode_cache = true;   // the interpreter's speed tricks (each has an off switch)
  bool blocks = true;
};

class VectorRunner {
 public:
  explicit VectorRunner(RunnerOptions o = {});
  ~VectorRunner();
  VectorRunner(const VectorRunner&) = delete;
  VectorRunner& operator=(const VectorRunner&) = delete;

  // `flags_mask`: the FLAGS bits the opcode defines (metadata.json); others are not compared.
  TestOutcome run(const MooTest& t, uint16_t flags_mask);

 private:
  struct Machine;
  RunnerOptions opts_;
  std::unique_ptr<Machine> m_;
};

// "ODITSZAPC"-style letters for the bits set in `diff` (for failure reports).
std::string flag_letters(uint32_t diff);

}  // namespace vmlab::conformance
