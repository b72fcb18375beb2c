// RDRAND / RDSEED (cpu/semantics/random.h): #UD on the interpreter, whose CPU model does not
// have them; random values with CF=1 on the KVM core's fallback interpreter (Options::rdrand),
// which completes them for guests that saw them in the host KVM's CPUID.
#include <doctest/doctest.h>
#include "cpu/flags.h"
#include "tests/cpu/test_machine.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::TestMachine;

namespace {
// 0x100: rdrand eax; rdseed bx (66 0F C7 FB); hlt.  #UD handler at 0x300: hlt.
void load_program(TestMachine& m) {
  m.flat32();
  m.poke32(kUD * 4u, 0x300);
  m.load(0x300, {0xF4});
  m.load(0x100, {0x0F, 0xC7, 0xF0, 0x66, 0x0F, 0xC7, 0xFB, 0xF4});
  m.v.s.eip = 0x100;
}
}  // namespace

TEST_CASE("rdrand_and_rdseed_are_undefined_on_the_interpreter") {
  TestMachine m;
  m.load(0x300, {0xF4});
  m.poke32(kUD * 4u, 0x300);
  m.load(0x100, {0x0F, 0xC7, 0xF0, 0xF4});  // real mode: rdrand ax; hlt
  m.v.s.eip = 0x100;
  m.run(10);
  CHECK(m.v.counters.exceptions[kUD] == 1);
}

TEST_CASE("rdrand_and_rdseed_give_random_values_with_cf_on_the_kvm_fallback") {
  Interpreter::Options o;
  o.rdrand = true;
  uint32_t first = 0;
  for (int run = 0; run < 2; ++run) {
    TestMachine m(o);
    load_program(m);
    m.v.s.gpr[EBX] = 0xDEAD0000;
    m.v.s.lazy = {};       // ZF=1 before: RDRAND must clear it
    m.run(10);
    CHECK(m.v.counters.exceptions[kUD] == 0);
    CHECK(m.v.s.eip == 0x108);  // after the hlt
    CHECK(get_cf(m.v.s.lazy));
    CHECK_FALSE(get_zf(m.v.s.lazy));
    CHECK_FALSE(get_of(m.v.s.lazy));
    CHECK((m.reg(EBX) & 0xFFFF0000u) == 0xDEAD0000u);  // a 16-bit destination keeps the top
    if (run == 0) first = m.reg(EAX);
    else CHECK(m.reg(EAX) != first);  // two 32-bit draws agree with probability 2^-32
  }
}

TEST_CASE("rdrand_with_a_memory_operand_is_undefined_even_on_the_fallback") {
  Interpreter::Options o;
  o.rdrand = true;
  TestMachine m(o);
  m.flat32();
  m.poke32(kUD * 4u, 0x300);
  m.load(0x300, {0xF4});
  m.load(0x100, {0x0F, 0xC7, 0x30, 0xF4});  // 0F C7 /6 with mod=00: VMPTRLD [eax], not RDRAND
  m.v.s.eip = 0x100;
  m.run(10);
  CHECK(m.v.counters.exceptions[kUD] == 1);
}
