// vmlab's own read-only MSRs for guest benchmarks (docs/guest_interface.md): host time,
// instructions retired, exits.
#include "tests/cpu/protected_mode_fixture.h"

using namespace vmlab::cpu;
using vmlab::cpu::test::PmFixture;

TEST_CASE("vmlab_msr_host_ns_moves_forward_and_insns_follow_the_counter") {
  PmFixture f;
  uint64_t t0 = 0, t1 = 0, n = 0;
  CHECK(!read_msr(f.v, 0x40000020, t0));
  CHECK(!read_msr(f.v, 0x40000020, t1));
  CHECK(t0 > 0);
  CHECK(t1 >= t0);
  f.v.s.instructions_retired = 12345;
  CHECK(!read_msr(f.v, 0x40000021, n));
  CHECK(n == 12345);
}

TEST_CASE("vmlab_msr_exits_is_zero_on_interp_and_unknown_elsewhere") {
  PmFixture f;
  uint64_t e = 99;
  f.v.technique_id = 0;
  CHECK(!read_msr(f.v, 0x40000022, e));
  CHECK(e == 0);
  f.v.technique_id = 2;  // a core without the counter: #GP, the guest prints '-'
  CHECK(read_msr(f.v, 0x40000022, e).vector == kGP);
}

TEST_CASE("vmlab_msrs_are_read_only_and_the_range_around_them_is_gp") {
  PmFixture f;
  uint64_t v = 0;
  for (uint32_t msr : {0x40000020u, 0x40000021u, 0x40000022u})
    CHECK(write_msr(f.v, msr, 0).vector == kGP);
  CHECK(read_msr(f.v, 0x4000001F, v).vector == kGP);
  CHECK(read_msr(f.v, 0x40000023, v).vector == kGP);
}
