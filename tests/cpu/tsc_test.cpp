// The TSC's time base: retired instructions with the deterministic clock (so runs repeat), host
// time with the real-time clock (so a kernel calibrating it against the PIT keeps trusting it).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "cpu/protected_mode.h"
#include "cpu/vcpu.h"

using namespace vmlab;

namespace {
struct TscRig {
  machine::GuestMemory mem{1u << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  cpu::Vcpu v{mem, io, mmio};
  uint64_t tsc() {
    uint64_t t = 0;
    REQUIRE_FALSE(cpu::read_msr(v, 0x10, t));
    return t;
  }
};
}  // namespace

TEST_CASE("tsc_counts_retired_instructions_with_the_deterministic_clock") {
  TscRig r;
  machine::Clock clock(machine::Clock::Mode::Deterministic);
  r.v.clock = &clock;
  const uint64_t a = r.tsc();
  r.v.s.instructions_retired += 12345;
  CHECK(r.tsc() - a == 12345);
  REQUIRE_FALSE(cpu::write_msr(r.v, 0x10, 1000));
  CHECK(r.tsc() == 1000);
}

TEST_CASE("tsc_follows_host_time_at_100_mhz_with_the_real_time_clock") {
  TscRig r;
  machine::Clock clock(machine::Clock::Mode::RealTime);
  r.v.clock = &clock;
  REQUIRE_FALSE(cpu::write_msr(r.v, 0x10, 0));
  const uint64_t a = r.tsc();
  r.v.s.instructions_retired += 1'000'000'000;  // instructions do not move it
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const uint64_t b = r.tsc();
  CHECK(b - a >= 2'000'000);   // 20 ms at 10 ns a tick, at least
  CHECK(b - a < 1'000'000'000);  // and not the instruction count
  CHECK(a < 100'000);           // the write set it to 0 a moment ago
}
