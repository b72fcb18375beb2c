// Threaded blocks (cpu/threaded.h) against the interpreter's loop: conditional branches in the
// middle of a block, taken and not, with a 16-bit operand size and past the CS limit; the
// retired count they leave; and that --no-threaded really turns them off.
#include <doctest/doctest.h>

#include <vector>

#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {

constexpr uint32_t kCode = 0x10000;

struct Outcome {
  ExitReason reason;
  uint32_t eip, eax, ebx, ecx;
  uint64_t retired, threaded_blocks;
};

// Runs `code` at kCode in flat 32-bit mode twice (the second run finds the blocks cached), after
// `prepare` has set the machine up further.
Outcome run(const std::vector<uint8_t>& code, bool threaded, void (*prepare)(TestMachine&) = nullptr) {
  Interpreter::Options o;
  o.threaded = threaded;
  TestMachine m(o);
  m.flat32();
  m.load(kCode, code);
  if (prepare) prepare(m);
  Exit e;
  for (int pass = 0; pass < 2; ++pass) {
    m.v.s.eip = kCode;
    m.v.s.events.halted = 0;
    m.v.attention.store(0);  // a triple fault in the first pass asked for a shutdown
    for (uint8_t r : {EAX, EBX, ECX}) m.v.s.gpr[r] = 0;
    e = m.run(100000);
  }
  return {e.reason, m.v.s.eip, m.reg(EAX), m.reg(EBX), m.reg(ECX), m.v.s.instructions_retired,
          m.core.threaded_blocks()};
}

}  // namespace

TEST_CASE("threaded_jcc_inside_a_block_takes_and_falls_through_as_the_loop_does") {
  // mov ecx,100; xor eax,eax
  // L: add eax,ecx; test cl,1; jz S; inc ebx   <- jz is inside the block, taken half the time
  // S: dec ecx; jnz L; hlt
  const std::vector<uint8_t> code = {0xB9, 100, 0, 0, 0, 0x31, 0xC0,
                                     0x01, 0xC8, 0xF6, 0xC1, 0x01, 0x74, 0x01, 0x43,
                                     0x49, 0x75, 0xF5, 0xF4};
  const Outcome t = run(code, true), l = run(code, false);
  CHECK(t.eax == 5050);
  CHECK(t.ebx == 50);
  CHECK(t.eip == kCode + code.size());
  // 2 + 100 iterations of 5 + 50 INCs + HLT, per pass.
  CHECK(t.retired == 2 * (2 + 100 * 5 + 50 + 1));
  CHECK(t.retired == l.retired);
  CHECK(t.threaded_blocks > 100);
  CHECK(l.threaded_blocks == 0);
}

TEST_CASE("threaded_jcc_with_a_16_bit_operand_size_wraps_its_target_as_the_loop_does") {
  // At 0x10000: xor eax,eax; 66 74 05 (jz rel8 with a 16-bit operand size, taken) ->
  // (0x10005 + 5) & 0xFFFF = 0x000A, where a HLT waits; not taken, the block would go on.
  const std::vector<uint8_t> code = {0x31, 0xC0, 0x66, 0x74, 0x05, 0x43, 0xF4};
  auto hlt_at_0x000a = [](TestMachine& m) { m.load(0x000A, {0xF4}); };
  for (bool threaded : {true, false}) {
    CAPTURE(threaded);
    const Outcome o = run(code, threaded, hlt_at_0x000a);
    CHECK(o.eip == 0x000B);
    CHECK(o.ebx == 0);
  }
}

TEST_CASE("threaded_jcc_past_the_cs_limit_faults_on_the_jcc_as_the_loop_does") {
  // xor eax,eax; jz +0x40 (past a CS limit of kCode+0x20); inc ebx; hlt
  const std::vector<uint8_t> code = {0x31, 0xC0, 0x74, 0x40, 0x43, 0xF4};
  auto short_cs = [](TestMachine& m) { m.v.s.seg[CS].limit = kCode + 0x20; };
  const Outcome t = run(code, true, short_cs), l = run(code, false, short_cs);
  CHECK(int(t.reason) == int(l.reason));
  CHECK(t.eip == l.eip);
  CHECK(t.retired == l.retired);
  CHECK(t.ebx == 0);
}

TEST_CASE("threaded_block_ending_call_and_ret_use_a_based_stack_segment_as_the_loop_does") {
  // SS based at 0x20000 (not flat: the checked stack path). CALL and RET end their blocks
  // (FastHandler::last). The store through flat DS gives page 0 a TLB write entry, so a push
  // that forgot SS's base would hit there instead of missing.
  //    mov [0xF00],eax; mov ecx,10
  // L: call F; dec ecx; jnz L; hlt
  // F: inc eax; ret
  const std::vector<uint8_t> code = {0xA3, 0x00, 0x0F, 0x00, 0x00, 0xB9, 10, 0, 0, 0,
                                     0xE8, 0x04, 0x00, 0x00, 0x00, 0x49, 0x75, 0xF8, 0xF4, 0x40, 0xC3};
  auto based_stack = [](TestMachine& m) {
    m.v.s.seg[SS] = SegmentCache{0x10, 0x20000, 0xFFFFFFFF, 0x0C93};
    m.v.s.gpr[ESP] = 0x1000;
    m.poke32(0x20FFC, 0);
  };
  for (bool threaded : {true, false}) {
    CAPTURE(threaded);
    Interpreter::Options o;
    o.threaded = threaded;
    TestMachine m(o);
    m.flat32();
    m.load(kCode, code);
    for (int pass = 0; pass < 2; ++pass) {
      based_stack(m);
      m.v.s.eip = kCode;
      m.v.s.events.halted = 0;
      m.v.s.gpr[EAX] = 0;
      CHECK(m.run(100000).reason == ExitReason::Halted);
      CHECK(m.reg(EAX) == 10);
      CHECK(m.reg(ESP) == 0x1000);
      CHECK(m.peek32(0xF00) == 0);
      CHECK(m.peek32(0x20FFC) == kCode + 15);  // the return address, pushed through SS's base
      CHECK(m.peek32(0x0FFC) == 0);
    }
    if (threaded) CHECK(m.core.threaded_blocks() > 10);
  }
}

TEST_CASE("threaded_block_ending_jmp_past_the_cs_limit_faults_on_the_jmp_as_the_loop_does") {
  // xor eax,eax; jmp +0x40 (past a CS limit of kCode+0x20); hlt
  const std::vector<uint8_t> code = {0x31, 0xC0, 0xEB, 0x40, 0xF4};
  auto short_cs = [](TestMachine& m) { m.v.s.seg[CS].limit = kCode + 0x20; };
  const Outcome t = run(code, true, short_cs), l = run(code, false, short_cs);
  CHECK(t.eip == kCode + 2);  // on the JMP
  CHECK(int(t.reason) == int(l.reason));
  CHECK(t.eip == l.eip);
  CHECK(t.retired == l.retired);
}
