// ACPI PM block: PM timer rate and wrap over virtual time, PM1 status/enable and the SCI,
// S5 power-off, the reset register, reset and save/restore, random port traffic.
#include "devices/acpi_pm.h"

#include <doctest/doctest.h>

#include <random>

using namespace vmlab::devices;
using vmlab::machine::Clock;
using vmlab::machine::IrqLine;

namespace {

// Moves deterministic virtual time forward by `ns` (a multiple of 10) and fires due timers.
void advance_ns(Clock& clock, uint64_t ns) {
  clock.advance_instructions(ns / Clock::kNsPerInstruction);
  clock.run_due();
}

struct Rig {
  Clock clock{Clock::Mode::Deterministic};
  IrqLine sci;
  int power_offs = 0, resets = 0;
  AcpiPm pm{clock, &sci, [this] { ++power_offs; }, [this] { ++resets; }};
};

}  // namespace

TEST_CASE("acpi_pm_timer_counts_at_3_579545_mhz_of_virtual_time") {
  Rig r;
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == 0);
  advance_ns(r.clock, 1'000'000'000);  // one second
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == 3'579'545);
  advance_ns(r.clock, 1'000'000);      // one more millisecond: 3579.545 ticks
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == 3'579'545 + 3'579);
  // Two reads with no time between them agree; time moving never makes it go backwards.
  uint32_t a = r.pm.read(AcpiPm::kPmTmr, 4);
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == a);
  advance_ns(r.clock, 280);  // just over one tick (279.4 ns)
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == a + 1);
}

TEST_CASE("acpi_pm_timer_wraps_at_24_bits_and_reads_zero_above") {
  Rig r;
  // 2^24 ticks = 4.687 s. Just before and after the wrap:
  advance_ns(r.clock, 4'686'000'000);
  uint32_t before = r.pm.read(AcpiPm::kPmTmr, 4);
  CHECK(before > 0xFF'0000);
  CHECK(before <= 0xFF'FFFF);
  advance_ns(r.clock, 10'000'000);
  uint32_t after = r.pm.read(AcpiPm::kPmTmr, 4);
  CHECK(after < 0x01'0000);
  uint32_t delta = (after - before) & 0xFF'FFFF;  // 10 ms = 35795.45 ticks across the wrap
  CHECK(delta >= 35'795);
  CHECK(delta <= 35'796);
  CHECK(r.pm.read(AcpiPm::kPmTmr + 3, 1) == 0);     // bits 24-31
  // A very long uptime (about 50 days) still gives the exact count modulo 2^24.
  advance_ns(r.clock, 4'320'000'000'000'000ull - 4'696'000'000ull);
  uint64_t expect = (4'320'000ull * 3'579'545ull) & 0xFF'FFFF;
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == expect);
}

TEST_CASE("acpi_pm_timer_is_read_only") {
  Rig r;
  advance_ns(r.clock, 1'000'000'000);
  r.pm.write(AcpiPm::kPmTmr, 4, 0);
  CHECK(r.pm.read(AcpiPm::kPmTmr, 4) == 3'579'545);
}

TEST_CASE("acpi_pm_tmr_sts_sets_when_timer_bit_23_changes_and_clears_on_write_one") {
  Rig r;
  CHECK(r.pm.read(AcpiPm::kPm1Sts, 2) == 0);
  advance_ns(r.clock, 2'300'000'000);  // 8232953 ticks < 2^23 = 8388608
  CHECK((r.pm.read(AcpiPm::kPm1Sts, 2) & AcpiPm::kTmr) == 0);
  advance_ns(r.clock, 100'000'000);    // past 2^23
  CHECK((r.pm.read(AcpiPm::kPm1Sts, 2) & AcpiPm::kTmr) != 0);
  r.pm.write(AcpiPm::kPm1Sts, 2, 0);   // writing 0 clears nothing
  CHECK((r.pm.read(AcpiPm::kPm1Sts, 2) & AcpiPm::kTmr) != 0);
  r.pm.write(AcpiPm::kPm1Sts, 2, AcpiPm::kTmr);
  CHECK(r.pm.read(AcpiPm::kPm1Sts, 2) == 0);
}

TEST_CASE("acpi_pm_pm1_sts_write_one_clears_only_the_written_bits") {
  Rig r;
  r.pm.press_power_button();
  advance_ns(r.clock, 2'400'000'000);
  CHECK(r.pm.read(AcpiPm::kPm1Sts, 2) == (AcpiPm::kPwrBtn | AcpiPm::kTmr));
  r.pm.write(AcpiPm::kPm1Sts + 1, 1, AcpiPm::kPwrBtn >> 8);  // byte write to the high half
  CHECK(r.pm.read(AcpiPm::kPm1Sts, 2) == AcpiPm::kTmr);
}

TEST_CASE("acpi_pm_sci_follows_enabled_status_bits") {
  Rig r;
  r.pm.press_power_button();
  CHECK_FALSE(r.sci.level());  // not enabled
  r.pm.write(AcpiPm::kPm1En, 2, AcpiPm::kPwrBtn);
  CHECK(r.sci.level());
  CHECK(r.pm.read(AcpiPm::kPm1En, 2) == AcpiPm::kPwrBtn);
  r.pm.write(AcpiPm::kPm1Sts, 2, AcpiPm::kPwrBtn);  // the OS handles the event
  CHECK_FALSE(r.sci.level());
  r.pm.write(AcpiPm::kPm1En, 2, 0xFFFF);  // reserved enable bits stay clear
  CHECK(r.pm.read(AcpiPm::kPm1En, 2) == AcpiPm::kEnWritable);
}

TEST_CASE("acpi_pm_enabled_timer_overflow_raises_sci_from_a_clock_timer") {
  Rig r;
  r.pm.write(AcpiPm::kPm1En, 2, AcpiPm::kTmr);
  CHECK(r.clock.pending() == 1);
  advance_ns(r.clock, 2'340'000'000);  // 2^23 ticks = 2.3435 s: not yet
  CHECK_FALSE(r.sci.level());
  advance_ns(r.clock, 10'000'000);     // the timer fires without anyone reading PM1_STS
  CHECK(r.sci.level());
  CHECK(r.clock.pending() == 0);       // nothing to do until the status is cleared
  r.pm.write(AcpiPm::kPm1Sts, 2, AcpiPm::kTmr);
  CHECK_FALSE(r.sci.level());
  CHECK(r.clock.pending() == 1);       // armed for the next change of bit 23
  advance_ns(r.clock, 2'350'000'000);
  CHECK(r.sci.level());
  r.pm.write(AcpiPm::kPm1En, 2, 0);
  CHECK_FALSE(r.sci.level());
  CHECK(r.clock.pending() == 0);
}

TEST_CASE("acpi_pm_s5_sleep_enable_powers_off") {
  Rig r;
  r.pm.write(AcpiPm::kPm1Cnt, 2, (AcpiPm::kSlpTypS5 << 10) | AcpiPm::kSlpEn);
  CHECK(r.power_offs == 1);
  CHECK((r.pm.read(AcpiPm::kPm1Cnt, 2) & AcpiPm::kSlpEn) == 0);  // SLP_EN reads 0
}

TEST_CASE("acpi_pm_power_off_needs_slp_en_and_the_s5_type") {
  Rig r;
  r.pm.write(AcpiPm::kPm1Cnt, 2, AcpiPm::kSlpTypS5 << 10);  // type without SLP_EN
  CHECK(r.power_offs == 0);
  r.pm.write(AcpiPm::kPm1Cnt, 2, (1u << 10) | AcpiPm::kSlpEn);  // S3-style type: not S5
  r.pm.write(AcpiPm::kPm1Cnt, 2, (5u << 10) | AcpiPm::kSlpEn);
  CHECK(r.power_offs == 0);
  CHECK(r.pm.unsupported_sleeps() == 2);
  CHECK(r.pm.read(AcpiPm::kPm1Cnt, 2) == ((5u << 10) | AcpiPm::kSciEn));
  // Linux writes SLP_TYP first, then SLP_TYP|SLP_EN, as two 16-bit writes.
  r.pm.write(AcpiPm::kPm1Cnt, 2, AcpiPm::kSciEn);
  r.pm.write(AcpiPm::kPm1Cnt, 2, AcpiPm::kSciEn | AcpiPm::kSlpEn);
  CHECK(r.power_offs == 1);
  // A byte write to the high half carries both SLP_TYP and SLP_EN.
  r.pm.write(AcpiPm::kPm1Cnt + 1, 1, AcpiPm::kSlpEn >> 8);
  CHECK(r.power_offs == 2);
}

TEST_CASE("acpi_pm_sci_en_is_always_set") {
  Rig r;
  CHECK(r.pm.read(AcpiPm::kPm1Cnt, 2) == AcpiPm::kSciEn);
  r.pm.write(AcpiPm::kPm1Cnt, 2, 0);
  CHECK(r.pm.read(AcpiPm::kPm1Cnt, 2) == AcpiPm::kSciEn);
}

TEST_CASE("acpi_pm_reset_register_requests_reset_only_for_the_reset_value") {
  Rig r;
  r.pm.write(AcpiPm::kResetReg, 1, 0x02);
  r.pm.write(AcpiPm::kResetReg, 1, 0x0E);
  CHECK(r.resets == 0);
  r.pm.write(AcpiPm::kResetReg, 1, AcpiPm::kResetValue);
  CHECK(r.resets == 1);
  CHECK(r.pm.read(AcpiPm::kResetReg, 1) == 0);
}

TEST_CASE("acpi_pm_fresh_equals_reset") {
  Rig used;
  used.pm.write(AcpiPm::kPm1En, 2, AcpiPm::kTmr | AcpiPm::kPwrBtn);
  used.pm.press_power_button();
  used.pm.write(AcpiPm::kPm1Cnt, 2, 3u << 10);
  CHECK(used.sci.level());
  used.pm.reset();
  Rig fresh;
  CHECK(used.pm.save() == fresh.pm.save());
  CHECK_FALSE(used.sci.level());
  CHECK(used.clock.pending() == 0);
  // A reset late in the machine's life does not report the rollovers before it.
  advance_ns(used.clock, 3'000'000'000);
  used.pm.reset();
  CHECK(used.pm.read(AcpiPm::kPm1Sts, 2) == 0);
}

TEST_CASE("acpi_pm_save_restore_round_trip_keeps_registers_and_sci") {
  Rig a, b;
  a.pm.write(AcpiPm::kPm1En, 2, AcpiPm::kPwrBtn | AcpiPm::kTmr);
  a.pm.press_power_button();
  a.pm.write(AcpiPm::kPm1Cnt, 2, AcpiPm::kBmRld | (2u << 10));
  b.pm.restore(a.pm.save());
  CHECK(b.pm.save() == a.pm.save());
  CHECK(b.sci.level());
  CHECK(b.pm.read(AcpiPm::kPm1Cnt, 2) == (AcpiPm::kSciEn | AcpiPm::kBmRld | (2u << 10)));
  CHECK(b.clock.pending() == 1);  // TMR_EN with TMR_STS clear: the restored device is armed
  // Restore validates: reserved bits are dropped, SCI_EN forced, a future epoch clamped.
  AcpiPm::State junk{0xFFFF, 0xFFFF, 0x0000, 1'000'000};
  b.pm.restore(junk);
  CHECK(b.pm.save().pm1_en == AcpiPm::kEnWritable);
  CHECK(b.pm.save().pm1_cnt == AcpiPm::kSciEn);
  CHECK(b.pm.save().tmr_msb_epoch == 0);
}

TEST_CASE("acpi_pm_two_instances_are_independent") {
  Rig a, b;
  a.pm.press_power_button();
  a.pm.write(AcpiPm::kPm1En, 2, AcpiPm::kPwrBtn);
  CHECK(a.sci.level());
  CHECK_FALSE(b.sci.level());
  CHECK(b.pm.read(AcpiPm::kPm1Sts, 2) == 0);
}

TEST_CASE("acpi_pm_random_port_traffic_keeps_invariants") {
  std::mt19937 rng(0xAC91);
  Rig r;
  const unsigned widths[] = {1, 2, 4};
  uint32_t last_timer = 0;
  uint64_t total_ns = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t off = rng() % AcpiPm::kBlockSize;
    unsigned w = widths[rng() % 3];
    if (rng() % 2) {
      uint32_t v = rng();
      // Keep the reset and power-off callbacks rare but reachable.
      r.pm.write(off, w, v);
    } else {
      uint32_t v = r.pm.read(off, w);
      if (w < 4) CHECK(v < (1u << (8 * w)));
    }
    uint64_t step = 10 * (rng() % 100'000);
    advance_ns(r.clock, step);
    total_ns += step;
    uint32_t t = r.pm.timer_value();
    CHECK(t <= AcpiPm::kTimerMask);
    CHECK(((t - last_timer) & AcpiPm::kTimerMask) <= 3'580);  // <= 1 ms of ticks per step
    last_timer = t;
    auto s = r.pm.save();
    CHECK((s.pm1_cnt & AcpiPm::kSciEn) != 0);
    CHECK((s.pm1_en & ~AcpiPm::kEnWritable) == 0);
    CHECK(r.sci.level() == ((s.pm1_sts & s.pm1_en) != 0));
    CHECK(r.clock.pending() <= 1);
  }
  CHECK(total_ns > 0);
}
