// MC146818A CMOS RTC: time formats, SET, virtual-time updates, UIP, periodic / alarm / update
// interrupts on IRQ8, register C acknowledge, NVRAM and checksum, the index port, reset and
// save/restore, and seeded random port traffic.
#include "devices/cmos_rtc.h"

#include <doctest/doctest.h>

#include <random>

using namespace vmlab::devices;
using vmlab::machine::Clock;
using vmlab::machine::IrqLine;

namespace {

constexpr int64_t kLeapDay = 951831930;      // 2000-02-29 13:45:30 UTC, a Tuesday
constexpr int64_t kMillenniumEve = 946684798;  // 1999-12-31 23:59:58 UTC, a Friday
constexpr uint64_t kSec = 1'000'000'000;

// A deterministic clock, IRQ8 with an edge counter, and the driver's two port operations.
struct Rig {
  Clock clock{Clock::Mode::Deterministic};
  IrqLine irq8;
  int rises = 0;
  CmosRtc rtc;
  explicit Rig(int64_t epoch) : rtc(clock, &irq8, epoch) {
    irq8.connect([this](bool level) { rises += level ? 1 : 0; });
  }
  uint8_t get(uint8_t reg) {
    rtc.write(0, 1, reg);
    return uint8_t(rtc.read(1, 1));
  }
  void set(uint8_t reg, uint8_t v) {
    rtc.write(0, 1, reg);
    rtc.write(1, 1, v);
  }
  // Moves virtual time to `t`, firing every timer on the way, as the machine loop does.
  void run_to(uint64_t t) {
    while (auto d = clock.next_deadline()) {
      if (*d > t) break;
      clock.idle_until(*d);
      clock.run_due();
    }
    clock.idle_until(t);
    clock.run_due();
  }
};

}  // namespace

TEST_CASE("cmos_rtc_reads_a_known_time_in_bcd_24_hour_mode") {
  Rig r(kLeapDay);
  CHECK(r.get(0x0B) == 0x02);  // power-on: 24 h, BCD
  CHECK(r.get(0x00) == 0x30);
  CHECK(r.get(0x02) == 0x45);
  CHECK(r.get(0x04) == 0x13);
  CHECK(r.get(0x06) == 0x03);  // Tuesday, 1 = Sunday
  CHECK(r.get(0x07) == 0x29);
  CHECK(r.get(0x08) == 0x02);
  CHECK(r.get(0x09) == 0x00);
  CHECK(r.get(0x32) == 0x20);
  CHECK(r.get(0x0D) == 0x80);  // VRT: the battery is good
}

TEST_CASE("cmos_rtc_binary_and_12_hour_formats_show_time_written_in_them") {
  Rig r(kLeapDay);
  // The chip does not convert on a format change: a driver sets SET, the format, the time.
  r.set(0x0B, 0x80 | 0x04);  // SET, binary, 12-hour
  r.set(0x04, 0x80 | 1);     // 1 PM
  r.set(0x02, 30);
  r.set(0x00, 59);
  r.set(0x0B, 0x04);
  CHECK(r.get(0x04) == 0x81);
  CHECK(r.get(0x00) == 59);
  r.run_to(1 * kSec);
  CHECK(r.get(0x00) == 0);
  CHECK(r.get(0x02) == 31);
  CHECK(r.get(0x04) == 0x81);
  // Back to BCD 24 h: the guest rewrites the hour in the new format.
  r.set(0x0B, 0x82);
  r.set(0x04, 0x13);
  r.set(0x0B, 0x02);
  CHECK(r.get(0x04) == 0x13);
}

TEST_CASE("cmos_rtc_12_hour_mode_rolls_over_at_midnight_and_noon") {
  Rig r(kLeapDay);
  r.set(0x0B, 0x84);  // SET, binary, 12 h
  // 11:59:59 PM -> next second is 12:00:00 AM (0x12, PM clear) on the next day.
  r.set(0x04, 0x80 | 11);
  r.set(0x02, 59);
  r.set(0x00, 59);
  r.set(0x06, 3);
  r.set(0x07, 29);
  r.set(0x08, 2);
  r.set(0x09, 0);
  r.set(0x32, 20);
  r.set(0x0B, 0x04);
  r.run_to(1 * kSec);
  CHECK(r.get(0x04) == 12);  // midnight in 12 h is 12 AM
  CHECK(r.get(0x02) == 0);
  CHECK(r.get(0x07) == 1);   // 2000-02-29 + 1 day = March 1st (binary)
  CHECK(r.get(0x08) == 3);
  CHECK(r.get(0x06) == 4);   // Wednesday
  // Noon shows as 12 PM.
  r.set(0x0B, 0x84);
  r.set(0x04, 11);
  r.set(0x02, 59);
  r.set(0x00, 59);
  r.set(0x0B, 0x04);
  r.run_to(2 * kSec);
  CHECK(r.get(0x04) == 0x8C);
}

TEST_CASE("cmos_rtc_set_freezes_the_time_and_lets_the_guest_write_it") {
  Rig r(kLeapDay);
  r.set(0x0B, 0x82);  // SET, 24 h BCD
  r.set(0x00, 0x05);
  r.set(0x02, 0x10);
  r.set(0x04, 0x08);
  r.set(0x07, 0x15);
  r.set(0x08, 0x06);
  r.set(0x09, 0x24);
  r.set(0x32, 0x20);
  r.run_to(3 * kSec);  // frozen while SET
  CHECK(r.get(0x00) == 0x05);
  CHECK(r.get(0x02) == 0x10);
  CHECK((r.get(0x0A) & 0x80) == 0);  // no UIP while SET
  r.set(0x0B, 0x02);
  CHECK(r.get(0x00) == 0x05);
  r.run_to(4 * kSec);
  CHECK(r.get(0x00) == 0x06);
  CHECK(r.get(0x04) == 0x08);
  CHECK(r.get(0x07) == 0x15);
  CHECK(r.get(0x09) == 0x24);
}

TEST_CASE("cmos_rtc_time_advances_with_virtual_time_across_the_century") {
  Rig r(kMillenniumEve);
  CHECK(r.get(0x00) == 0x58);
  CHECK(r.get(0x06) == 0x06);  // Friday
  r.run_to(kSec - 1);
  CHECK(r.get(0x00) == 0x58);
  r.run_to(kSec);
  CHECK(r.get(0x00) == 0x59);
  r.run_to(2 * kSec + 5);
  CHECK(r.get(0x00) == 0x00);
  CHECK(r.get(0x02) == 0x00);
  CHECK(r.get(0x04) == 0x00);
  CHECK(r.get(0x07) == 0x01);
  CHECK(r.get(0x08) == 0x01);
  CHECK(r.get(0x09) == 0x00);
  CHECK(r.get(0x32) == 0x20);
  CHECK(r.get(0x06) == 0x07);  // Saturday
  // A long idle period (one day and 61 s) is caught up in one access.
  r.run_to((2 + 86400 + 61) * kSec);
  CHECK(r.get(0x07) == 0x02);
  CHECK(r.get(0x02) == 0x01);
  CHECK(r.get(0x00) == 0x01);
  CHECK(r.get(0x06) == 0x01);  // Sunday
}

TEST_CASE("cmos_rtc_uip_rises_244_us_before_each_update_and_falls_after") {
  Rig r(kLeapDay);
  r.run_to(kSec - 245'000);
  CHECK((r.get(0x0A) & 0x80) == 0);
  r.run_to(kSec - 244'000);
  CHECK((r.get(0x0A) & 0x80) == 0x80);
  CHECK(r.get(0x00) == 0x30);  // the update has not happened yet
  r.run_to(kSec - 1);
  CHECK((r.get(0x0A) & 0x80) == 0x80);
  r.run_to(kSec);
  CHECK((r.get(0x0A) & 0x80) == 0);
  CHECK(r.get(0x00) == 0x31);
  CHECK((r.get(0x0A) & 0x7F) == 0x26);
}

TEST_CASE("cmos_rtc_periodic_interrupt_at_rate_6_gives_1024_edges_per_second") {
  Rig r(kLeapDay);
  r.set(0x0A, 0x26);
  r.set(0x0B, 0x42);  // PIE
  int acks = 0;
  // An interrupt handler: every time IRQ8 is up, read C (which lowers it).
  while (auto d = r.clock.next_deadline()) {
    if (*d > kSec) break;
    r.clock.idle_until(*d);
    r.clock.run_due();
    if (r.irq8.level()) {
      CHECK((r.get(0x0C) & 0xC0) == 0xC0);  // IRQF and PF
      CHECK_FALSE(r.irq8.level());
      ++acks;
    }
  }
  CHECK(r.rises == 1024);
  CHECK(acks == 1024);
  // Rate 15 is 2 Hz.
  r.set(0x0A, 0x2F);
  r.rises = 0;
  for (uint64_t t = kSec; t <= 3 * kSec; t += kSec / 8) {
    r.run_to(t);
    if (r.irq8.level()) r.get(0x0C);
  }
  CHECK(r.rises == 4);
}

TEST_CASE("cmos_rtc_periodic_flag_is_set_even_with_pie_off_and_schedules_nothing") {
  Rig r(kLeapDay);
  CHECK(r.clock.pending() == 0);  // nothing enabled: no timer at all
  r.run_to(kSec / 100);
  CHECK(r.get(0x0C) == 0x40);  // PF without IRQF
  CHECK(r.get(0x0C) == 0x00);
  CHECK(r.rises == 0);
  r.set(0x0A, 0x20);  // rate 0: no periodic flag
  r.run_to(kSec / 50);
  CHECK(r.get(0x0C) == 0x00);
}

TEST_CASE("cmos_rtc_alarm_with_dont_care_fields_fires_every_minute") {
  Rig r(kLeapDay);  // 13:45:30
  r.set(0x01, 0x35);  // seconds 35
  r.set(0x03, 0xC0);  // any minute
  r.set(0x05, 0xFF);  // any hour
  r.set(0x0B, 0x22);  // AIE
  r.run_to(4 * kSec);
  CHECK_FALSE(r.irq8.level());
  r.run_to(5 * kSec);
  CHECK(r.irq8.level());
  CHECK((r.get(0x0C) & 0xB0) == (0x80 | 0x20 | 0x10));  // IRQF, AF, and UF (not enabled)
  CHECK_FALSE(r.irq8.level());
  r.run_to(64 * kSec);
  CHECK_FALSE(r.irq8.level());
  r.run_to(65 * kSec);  // 13:46:35
  CHECK(r.irq8.level());
  CHECK(r.rises == 2);
  // An exact alarm that does not match never fires.
  r.get(0x0C);
  r.set(0x03, 0x50);
  r.run_to(200 * kSec);
  CHECK_FALSE(r.irq8.level());
}

TEST_CASE("cmos_rtc_update_ended_interrupt_fires_once_per_second") {
  Rig r(kLeapDay);
  r.set(0x0B, 0x12);  // UIE
  for (int i = 1; i <= 5; ++i) {
    r.run_to(uint64_t(i) * kSec - 1);
    CHECK_FALSE(r.irq8.level());
    r.run_to(uint64_t(i) * kSec);
    CHECK(r.irq8.level());
    CHECK((r.get(0x0C) & 0x90) == 0x90);
  }
  CHECK(r.rises == 5);
  // Setting SET clears UIE (datasheet).
  r.set(0x0B, 0x92);
  CHECK((r.get(0x0B) & 0x10) == 0);
}

TEST_CASE("cmos_rtc_enabling_an_already_set_flag_raises_irq8_and_reading_c_lowers_it") {
  Rig r(kLeapDay);
  r.run_to(2 * kSec);  // UF set, UIE off: no interrupt
  CHECK_FALSE(r.irq8.level());
  r.set(0x0B, 0x12);
  CHECK(r.irq8.level());
  r.set(0x0B, 0x02);  // disabling drops IRQF and the line
  CHECK_FALSE(r.irq8.level());
  r.set(0x0B, 0x12);
  CHECK(r.irq8.level());
  uint8_t c = r.get(0x0C);
  CHECK((c & 0x90) == 0x90);
  CHECK_FALSE(r.irq8.level());
  CHECK(r.get(0x0C) == 0);
  r.set(0x0C, 0xFF);  // C and D are read-only
  r.set(0x0D, 0x00);
  CHECK(r.get(0x0C) == 0);
  CHECK(r.get(0x0D) == 0x80);
}

TEST_CASE("cmos_rtc_divider_reset_stops_time_and_release_updates_500_ms_later") {
  Rig r(kLeapDay);
  r.set(0x0A, 0x70);  // divider held in reset
  r.run_to(5 * kSec);
  CHECK(r.get(0x00) == 0x30);
  r.set(0x0A, 0x26);
  r.run_to(5 * kSec + kSec / 2 - 1);
  CHECK(r.get(0x00) == 0x30);
  r.run_to(5 * kSec + kSec / 2);
  CHECK(r.get(0x00) == 0x31);
}

TEST_CASE("cmos_rtc_nvram_reads_back_and_standard_bytes_have_a_valid_checksum") {
  Rig r(kLeapDay);
  for (unsigned i = 0x0E; i < 0x80; ++i) r.set(uint8_t(i), uint8_t(i * 7 + 1));
  for (unsigned i = 0x0E; i < 0x80; ++i) CHECK(r.get(uint8_t(i)) == uint8_t(i * 7 + 1));

  r.rtc.fill_standard_nvram(64ull << 20);  // 64 MiB
  CHECK(r.get(0x10) == 0);
  CHECK(r.get(0x12) == 0);
  CHECK(r.get(0x14) == 0x02);
  CHECK((r.get(0x15) | r.get(0x16) << 8) == 640);
  CHECK((r.get(0x17) | r.get(0x18) << 8) == 63 * 1024);
  CHECK((r.get(0x30) | r.get(0x31) << 8) == 63 * 1024);
  CHECK((r.get(0x34) | r.get(0x35) << 8) == 48 * 16);  // 48 MiB in 64 KiB blocks
  CHECK(r.get(0x5B) == 0);
  unsigned sum = 0;
  for (unsigned i = 0x10; i <= 0x2D; ++i) sum += r.get(uint8_t(i));
  CHECK(((r.get(0x2E) << 8) | r.get(0x2F)) == (sum & 0xFFFF));

  r.rtc.fill_standard_nvram(6ull << 30);  // 6 GiB: caps and the above-4 GiB count
  CHECK((r.get(0x17) | r.get(0x18) << 8) == 0xFFFF);
  CHECK((r.get(0x34) | r.get(0x35) << 8) == (4096 - 16) * 16);
  CHECK((r.get(0x5B) | r.get(0x5C) << 8 | r.get(0x5D) << 16) == 2 * 16 * 1024);
  // Reset is a power-on: other NVRAM is cleared, the standard bytes come back.
  r.rtc.reset();
  CHECK(r.get(0x40) == 0);
  CHECK((r.get(0x34) | r.get(0x35) << 8) == (4096 - 16) * 16);
}

TEST_CASE("cmos_rtc_index_port_keeps_nmi_disable_separately_and_wraps_the_index") {
  Rig r(kLeapDay);
  CHECK_FALSE(r.rtc.nmi_disabled());
  r.rtc.write(0, 1, 0x80 | 0x40);  // NMI off, register 0x40
  CHECK(r.rtc.nmi_disabled());
  r.rtc.write(1, 1, 0x5A);
  r.rtc.write(0, 1, 0x40);  // NMI back on, same register
  CHECK_FALSE(r.rtc.nmi_disabled());
  CHECK(r.rtc.read(1, 1) == 0x5A);
  r.rtc.write(0, 1, 0x80 | 0x0D);  // the usual "select D with NMI masked"
  CHECK(r.rtc.read(1, 1) == 0x80);
  CHECK(r.rtc.save().index == 0x0D);
  CHECK(r.rtc.read(0, 1) == 0xFF);  // the index port is write-only
  // A 16-bit write sets index and data in one go (byte lanes = consecutive ports).
  r.rtc.write(0, 2, 0x7700 | 0x41);
  CHECK(r.get(0x41) == 0x77);
  CHECK(r.rtc.read(0, 2) == 0x77FFu);
}

TEST_CASE("cmos_rtc_fresh_equals_reset_after_random_traffic") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine a_irq, b_irq;
  CmosRtc b(clock, &b_irq, kLeapDay);
  std::mt19937 rng(99);
  for (int i = 0; i < 3000; ++i) {
    b.write(rng() & 1, 1, rng() & 0xFF);
    if (rng() % 8 == 0) b.read(1, 1);
    clock.advance_instructions(rng() % 200'000);
    clock.run_due();
  }
  b.reset();
  CmosRtc a(clock, &a_irq, kLeapDay);
  CHECK(a.save() == b.save());
  CHECK(a_irq.level() == b_irq.level());
  CHECK_FALSE(b_irq.level());
}

TEST_CASE("cmos_rtc_save_restore_round_trips_and_reschedules_timers") {
  Rig a(kLeapDay);
  a.set(0x0B, 0x12);  // UIE
  a.set(0x50, 0xAB);
  a.run_to(kSec / 2);
  CmosRtc::State s = a.rtc.save();

  Rig b(0);
  b.run_to(kSec / 2);  // same virtual time, as a machine snapshot restores the clock
  CHECK(b.clock.pending() == 0);
  b.rtc.restore(s);
  CHECK(b.rtc.save() == s);
  CHECK(b.clock.pending() == 1);  // the next update is scheduled again
  CHECK(b.get(0x50) == 0xAB);
  b.run_to(kSec);
  CHECK(b.irq8.level());
  CHECK(b.get(0x00) == 0x31);

  // Validation: a bad index and a stored UIP bit are cleaned up.
  CmosRtc::State bad = s;
  bad.index = 0xFF;
  bad.cmos[CmosRtc::kRegA] = 0xA6;
  bad.cmos[CmosRtc::kRegD] = 0;
  b.rtc.restore(bad);
  CHECK(b.rtc.save().index == 0x7F);
  CHECK(b.rtc.save().cmos[CmosRtc::kRegA] == 0x26);
  CHECK(b.get(0x0D) == 0x80);
  // Restoring a state whose IRQ flag is pending raises the line.
  a.run_to(kSec);
  CHECK(a.irq8.level());
  CmosRtc::State pending = a.rtc.save();
  Rig c(0);
  c.run_to(kSec);
  c.rtc.restore(pending);
  CHECK(c.irq8.level());
}

TEST_CASE("cmos_rtc_two_instances_work_side_by_side") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine i1, i2;
  CmosRtc r1(clock, &i1, kLeapDay), r2(clock, &i2, kMillenniumEve);
  r1.write(0, 1, 0x0B);
  r1.write(1, 1, 0x12);
  clock.idle_until(kSec);
  clock.run_due();
  CHECK(i1.level());
  CHECK_FALSE(i2.level());
  r2.write(0, 1, 0x00);
  CHECK(r2.read(1, 1) == 0x59);
}

TEST_CASE("cmos_rtc_random_port_traffic_never_breaks_invariants") {
  Rig r(kLeapDay);
  std::mt19937 rng(4242);
  for (int i = 0; i < 20000; ++i) {
    unsigned width = 1u << (rng() % 3);
    if (rng() & 1)
      r.rtc.write(rng() & 1, width, uint32_t(rng()));
    else
      r.rtc.read(rng() & 1, width);
    if (rng() % 4 == 0) r.run_to(r.clock.now_ns() + rng() % (3 * kSec));
    auto s = r.rtc.save();
    REQUIRE(s.index < 128);
    REQUIRE((s.cmos[CmosRtc::kRegA] & 0x80) == 0);
    REQUIRE(s.cmos[CmosRtc::kRegD] == 0x80);
    bool irqf = s.cmos[CmosRtc::kRegC] & 0x80;
    REQUIRE(irqf == r.irq8.level());
    REQUIRE(irqf == ((s.cmos[CmosRtc::kRegC] & s.cmos[CmosRtc::kRegB] & 0x70) != 0));
    REQUIRE(r.clock.pending() <= 1);  // at most one timer: only the next event is scheduled
  }
}
