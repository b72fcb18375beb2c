// A small random-code fuzz campaign inside the unit tests, so the ASan/UBSan build in CI runs
// the interpreter on random code in every mode (the full campaign is ctest fuzz_random_code).
#include <doctest/doctest.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif
#include <algorithm>
#include <cstdio>
#include <vector>

#include "tests/fuzz/code_generator.h"
#include "tests/fuzz/random_code.h"

using namespace vmlab::fuzz;

TEST_CASE("random_code_generator_is_deterministic_and_varied") {
  std::vector<uint8_t> a(4096), b(4096), c(4096);
  Rng r1(42), r2(42), r3(43);
  generate_code(r1, CodeFlavor{}, a);
  generate_code(r2, CodeFlavor{}, b);
  generate_code(r3, CodeFlavor{}, c);
  CHECK(a == b);
  CHECK(a != c);
  // The bias is there: prefixes, 0F opcodes, INT and far transfers all appear on a page.
  auto count = [&](uint8_t x) { return std::count(a.begin(), a.end(), x); };
  CHECK(count(0x0F) > 20);
  CHECK(count(0xCD) > 5);
  CHECK(count(0xEA) + count(0x9A) > 5);
  CHECK(count(0x66) + count(0xF3) + count(0x2E) > 20);
}

TEST_CASE("random_code_runs_end_in_an_allowed_way_in_every_mode") {
#if defined(__SANITIZE_ADDRESS__)
  // A sanitizer report ends the process: say which page it was running.
  __sanitizer_set_death_callback(
      [] { std::fprintf(stderr, "fuzz run at death: %s\n", current_run_context()); });
#endif
  FuzzConfig c;
  c.seed = 7;
  c.pages = 300;
  c.budget = 1000;
  c.repeat_every = 10;
  FuzzReport rep = run_fuzz(c);
  MESSAGE(format_report(rep));
  for (const FuzzProblem& p : rep.problems)
    FAIL_CHECK(mode_name(p.mode) << " page " << p.page << ": " << p.what << " -- " << p.detail);
  for (unsigned i = 0; i < kNumFuzzModes; ++i) {
    const ModeStats& s = rep.modes[i];
    CAPTURE(mode_name(FuzzMode(i)));
    CHECK(s.runs == 60);
    // The setup works: exceptions are delivered and reach their handler in every mode.
    CHECK(s.exceptions_delivered > 0);
    CHECK(s.exception_halt > 0);
  }
}

namespace {
// Runs `pages` pages of seed's random code in every mode on both machines: same exit, count,
// CPU state and memory.
void same_runs(FuzzMachine& x, FuzzMachine& y, uint64_t seed, uint32_t pages) {
  for (unsigned mode = 0; mode < kNumFuzzModes; ++mode)
    for (uint32_t page = 0; page < pages; ++page) {
      CAPTURE(mode);
      CAPTURE(page);
      const RunResult a = x.run_page(seed, FuzzMode(mode), page, 2000);
      const RunResult b = y.run_page(seed, FuzzMode(mode), page, 2000);
      CHECK(int(a.reason) == int(b.reason));
      CHECK(a.executed == b.executed);
      CHECK(a.digest == b.digest);
      CHECK(a.mem_digest == b.mem_digest);
    }
}
}  // namespace

TEST_CASE("random_code_runs_the_same_with_and_without_the_fast_handlers") {
  // The fast handlers (cpu/fast_handlers.h) fall back to the general ones on anything unusual;
  // random code in every mode is full of the unusual.
  vmlab::cpu::Interpreter::Options general_only;
  general_only.fast_handlers = false;
  FuzzMachine fast, general(general_only);
  same_runs(fast, general, 11, 60);
}

TEST_CASE("random_code_runs_the_same_in_threaded_blocks_as_through_the_loop") {
  // Threaded blocks (cpu/threaded.h) keep EIP and the retired count only where they are read;
  // random code faults, rewrites itself and changes mode in the middle of blocks.
  vmlab::cpu::Interpreter::Options loop;
  loop.threaded = false;
  FuzzMachine threaded, looped(loop);
  same_runs(threaded, looped, 17, 60);
  MESSAGE("threaded blocks: " << threaded.threaded_blocks());
  CHECK(threaded.threaded_blocks() > 1000);
}

TEST_CASE("random_code_runs_the_same_on_bt_as_on_the_interpreter") {
  // bt (docs/bt.md) with every block translated on its first run, against the interpreter:
  // random code in every mode is full of faults, segment oddities and self-modifying stores,
  // and the small code arena (256 KiB) fills, so translation starts over on the way.
  vmlab::cpu::Interpreter::Options first_run;
  first_run.hot_runs = 1;
  FuzzMachine interp, bt(first_run, true);
  same_runs(interp, bt, 13, 150);
  // bt did translate, inline and out of line, and started over when its arena filled.
  const vmlab::cpu::BlockTranslator::Stats& t = bt.translator()->stats();
  MESSAGE("bt: " << t.blocks << " blocks, " << t.insns_inline << " inline, " << t.insns_callout
                 << " calls, " << t.resets << " resets");
  CHECK(t.blocks > 1000);
  CHECK(t.insns_inline > 500);  // random code holds few of the inline forms
  CHECK(t.insns_callout > 1000);
  CHECK(t.resets > 0);
}
