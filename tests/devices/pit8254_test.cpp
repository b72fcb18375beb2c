// 8254 PIT and port 0x61: count sequences and OUT per mode over virtual time, access modes and
// flip-flops, latches, read-back, BCD, gates, IRQ0 edges, reset, save/restore, random traffic.
#include "devices/pit8254.h"
#include "devices/port61.h"

#include <doctest/doctest.h>

#include <random>
#include <vector>

using namespace vmlab::devices;
using vmlab::machine::Clock;
using vmlab::machine::IrqLine;

namespace {

// Moves deterministic time to `ns`, firing every timer on the way at its own deadline.
void run_to_ns(Clock& clock, uint64_t ns) {
  while (auto d = clock.next_deadline()) {
    if (*d > ns) break;
    clock.idle_until(*d);
    clock.run_due();
  }
  clock.idle_until(ns);
  clock.run_due();
}
void run_to_tick(Clock& clock, uint64_t tick) { run_to_ns(clock, Pit8254::ns_of_tick(tick)); }

// Records IRQ0 edges with the tick they happened at.
struct EdgeLog {
  Clock& clock;
  std::vector<std::pair<bool, uint64_t>> edges;
  void attach(IrqLine& line) {
    line.connect([this](bool level) {
      edges.push_back({level, Pit8254::ticks_of_ns(clock.now_ns())});
    });
  }
  std::vector<uint64_t> rising() const {
    std::vector<uint64_t> r;
    for (auto& [lvl, t] : edges) if (lvl) r.push_back(t);
    return r;
  }
};

uint16_t read_word(Pit8254& pit, unsigned ch) {
  uint16_t lo = uint16_t(pit.read(ch, 1));
  return uint16_t(lo | pit.read(ch, 1) << 8);
}
uint16_t latch_and_read(Pit8254& pit, unsigned ch) {
  pit.write(3, 1, ch << 6);  // counter latch command
  return read_word(pit, ch);
}
void program(Pit8254& pit, unsigned ch, unsigned mode, uint16_t count, bool bcd = false) {
  pit.write(3, 1, (ch << 6) | 0x30 | (mode << 1) | (bcd ? 1 : 0));
  pit.write(ch, 1, count & 0xFF);
  pit.write(ch, 1, count >> 8);
}

}  // namespace

TEST_CASE("pit8254_tick_conversion_round_trips_without_drift") {
  CHECK(Pit8254::ticks_of_ns(1'000'000'000) == Pit8254::kInputHz);
  CHECK(Pit8254::ticks_of_ns(3'600'000'000'000ull) == 3600 * Pit8254::kInputHz);
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    uint64_t t = rng() >> 20;  // up to ~2^44 ticks (~170 days)
    uint64_t ns = Pit8254::ns_of_tick(t);
    CHECK(Pit8254::ticks_of_ns(ns) == t);
    if (t > 0) CHECK(Pit8254::ticks_of_ns(ns - 1) == t - 1);  // the first ns of tick t
  }
}

TEST_CASE("pit8254_mode0_counts_down_and_raises_irq0_at_terminal_count") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 0, 100);
  CHECK_FALSE(irq.level());
  CHECK(latch_and_read(pit, 0) == 100);
  run_to_tick(clock, 10);
  CHECK(latch_and_read(pit, 0) == 90);
  run_to_tick(clock, 99);
  CHECK(latch_and_read(pit, 0) == 1);
  CHECK_FALSE(irq.level());
  run_to_tick(clock, 100);
  CHECK(irq.level());
  REQUIRE(log.edges.size() == 1);
  CHECK(log.edges[0] == std::make_pair(true, uint64_t(100)));
  run_to_tick(clock, 101);
  CHECK(latch_and_read(pit, 0) == 0xFFFF);  // keeps counting, wrapping; OUT stays high
  run_to_tick(clock, 70000);
  CHECK(irq.level());
  CHECK(log.edges.size() == 1);
  CHECK(clock.pending() == 0);
}

TEST_CASE("pit8254_mode2_divisor_11932_gives_about_100_irq0_pulses_per_second") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 2, 11932);
  CHECK(irq.level());  // mode 2 OUT idles high: the control word raised it
  log.edges.clear();
  run_to_ns(clock, 1'000'000'000);
  auto r = log.rising();
  REQUIRE(r.size() == 99);  // rises at 11932 * k; 100 * 11932 ticks is 15 ticks past 1 s
  for (size_t k = 0; k < r.size(); ++k) CHECK(r[k] == 11932 * (k + 1));
  // Each pulse is low for exactly one input clock.
  for (size_t i = 0; i + 1 < log.edges.size(); i += 2) {
    CHECK_FALSE(log.edges[i].first);
    CHECK(log.edges[i + 1].second - log.edges[i].second == 1);
  }
  run_to_ns(clock, 10'000'000'000ull);  // 10 s: still exact, no drift
  CHECK(log.rising().size() == 10 * 1193182 / 11932);
  CHECK(log.rising().back() == 11932ull * (10 * 1193182 / 11932));
}

TEST_CASE("pit8254_mode2_count_sequence_reloads_after_one") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  program(pit, 1, 2, 4);
  std::vector<uint16_t> seen;
  std::vector<bool> outs;
  for (uint64_t t = 0; t < 9; ++t) {
    run_to_tick(clock, t);
    seen.push_back(latch_and_read(pit, 1));
    outs.push_back(pit.out(1));
  }
  CHECK(seen == std::vector<uint16_t>{4, 3, 2, 1, 4, 3, 2, 1, 4});
  CHECK(outs == std::vector<bool>{true, true, true, false, true, true, true, false, true});
}

TEST_CASE("pit8254_mode3_square_wave_even_and_odd_divisors") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 3, 10);
  log.edges.clear();
  std::vector<uint16_t> seen;
  std::vector<bool> outs;
  for (uint64_t t = 0; t < 11; ++t) {
    run_to_tick(clock, t);
    seen.push_back(latch_and_read(pit, 0));
    outs.push_back(irq.level());
  }
  CHECK(seen == std::vector<uint16_t>{10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10});
  CHECK(outs == std::vector<bool>{1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1});
  run_to_tick(clock, 1000);
  CHECK(log.rising().size() == 100);

  // Odd N: high for (N+1)/2 clocks, low for (N-1)/2; the element counts down by two.
  Pit8254 p2(clock, nullptr);
  uint64_t base = Pit8254::ticks_of_ns(clock.now_ns());
  program(p2, 1, 3, 5);
  seen.clear();
  outs.clear();
  for (uint64_t t = 0; t < 6; ++t) {
    run_to_tick(clock, base + t);
    seen.push_back(latch_and_read(p2, 1));
    outs.push_back(p2.out(1));
  }
  CHECK(seen == std::vector<uint16_t>{4, 2, 0, 4, 2, 4});
  CHECK(outs == std::vector<bool>{1, 1, 1, 0, 0, 1});
}

TEST_CASE("pit8254_mode_6_and_7_alias_modes_2_and_3") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  pit.write(3, 1, 0x7C);  // channel 1, word, mode 6 (= 2)
  pit.write(1, 1, 3);
  pit.write(1, 1, 0);
  run_to_tick(clock, 2);
  CHECK_FALSE(pit.out(1));
  run_to_tick(clock, 3);
  CHECK(pit.out(1));
  pit.write(3, 1, 0xE4);  // read-back status of channel 1
  CHECK((pit.read(1, 1) & 0x0E) == 0x0C);  // the status shows the mode bits as programmed
}

TEST_CASE("pit8254_mode4_strobes_out_low_for_one_clock") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 4, 3);
  run_to_tick(clock, 100);
  REQUIRE(log.edges.size() == 3);  // power-on low -> high at control word, then the strobe
  CHECK(log.edges[1] == std::make_pair(false, uint64_t(3)));
  CHECK(log.edges[2] == std::make_pair(true, uint64_t(4)));
}

TEST_CASE("pit8254_lsb_only_msb_only_and_word_flip_flops") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  pit.write(3, 1, 0x50);  // channel 1, LSB only, mode 0
  pit.write(1, 1, 0x34);  // count 0x0034
  CHECK(pit.read(1, 1) == 0x34);
  CHECK(pit.read(1, 1) == 0x34);  // no flip-flop in LSB-only mode
  pit.write(3, 1, 0x60);  // MSB only
  pit.write(1, 1, 0x12);  // count 0x1200
  CHECK(pit.read(1, 1) == 0x12);
  pit.write(3, 1, 0x70);  // LSB then MSB
  pit.write(1, 1, 0xCD);
  CHECK(pit.save().ch[1].write_msb_next);
  pit.write(1, 1, 0xAB);
  CHECK(pit.save().ch[1].cr == 0xABCD);
  CHECK(pit.read(1, 1) == 0xCD);
  CHECK(pit.read(1, 1) == 0xAB);
  CHECK(pit.read(1, 1) == 0xCD);  // the read flip-flop alternates
  // A new control word resets the flip-flops mid-sequence.
  CHECK(pit.read(1, 1) == 0xAB);
  pit.write(1, 1, 0x11);
  pit.write(3, 1, 0x70);
  pit.write(1, 1, 0x22);
  pit.write(1, 1, 0x33);
  CHECK(pit.save().ch[1].cr == 0x3322);
}

TEST_CASE("pit8254_latched_count_holds_until_read_and_second_latch_is_ignored") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  program(pit, 0, 2, 1000);
  run_to_tick(clock, 10);
  pit.write(3, 1, 0x00);  // latch: 990
  run_to_tick(clock, 50);
  pit.write(3, 1, 0x00);  // ignored: the first latch is unread
  CHECK(pit.read(0, 1) == (990 & 0xFF));
  run_to_tick(clock, 60);
  CHECK(pit.read(0, 1) == (990 >> 8));
  CHECK(read_word(pit, 0) == 940);  // released: live count again
}

TEST_CASE("pit8254_read_back_latches_status_then_count") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  pit.write(3, 1, 0x34);  // channel 0, word, mode 2
  pit.write(3, 1, 0xE2);  // read-back status only, channel 0
  CHECK(pit.read(0, 1) == 0xF4);  // OUT high, null count, RW=3, mode 2, binary
  pit.write(0, 1, 100);
  pit.write(0, 1, 0);
  pit.write(3, 1, 0xE2);
  CHECK(pit.read(0, 1) == 0xF4);  // count written but not yet clocked in: still null
  run_to_tick(clock, 5);
  pit.write(3, 1, 0xC2);  // count and status
  run_to_tick(clock, 20);
  CHECK(pit.read(0, 1) == 0xB4);
  CHECK(read_word(pit, 0) == 95);
  CHECK(read_word(pit, 0) == 80);
  // Several channels at once: status of 1 and 2.
  pit.write(3, 1, 0x56);  // channel 1 LSB mode 3
  pit.write(3, 1, 0x9B);  // channel 2 MSB mode 5 BCD
  pit.write(3, 1, 0xEC);
  CHECK(pit.read(1, 1) == 0xD6);
  CHECK(pit.read(2, 1) == 0xDB);  // OUT high, null, RW=1, mode 5, BCD
}

TEST_CASE("pit8254_bcd_counts_in_decades") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  program(pit, 0, 0, 0x0100, true);  // 100 decimal
  run_to_tick(clock, 1);
  CHECK(latch_and_read(pit, 0) == 0x0099);
  run_to_tick(clock, 58);
  CHECK(latch_and_read(pit, 0) == 0x0042);
  run_to_tick(clock, 100);
  CHECK(latch_and_read(pit, 0) == 0x0000);
  CHECK(pit.out(0));
  run_to_tick(clock, 101);
  CHECK(latch_and_read(pit, 0) == 0x9999);
  // Count 0 in BCD means 10000 clocks.
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 p2(clock, &irq);
  uint64_t base = Pit8254::ticks_of_ns(clock.now_ns());
  program(p2, 0, 2, 0, true);
  log.edges.clear();
  run_to_tick(clock, base + 30001);
  CHECK(log.rising() == std::vector<uint64_t>{base + 10000, base + 20000, base + 30000});
}

TEST_CASE("pit8254_mode2_new_count_takes_effect_at_the_end_of_the_period") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 2, 100);
  log.edges.clear();
  run_to_tick(clock, 30);
  pit.write(0, 1, 50);
  pit.write(0, 1, 0);
  CHECK(latch_and_read(pit, 0) == 70);  // the current period continues
  run_to_tick(clock, 201);
  CHECK(log.rising() == std::vector<uint64_t>{100, 150, 200});
}

TEST_CASE("pit8254_mode3_new_count_takes_effect_at_the_end_of_the_half_cycle") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 3, 100);
  run_to_tick(clock, 10);
  program(pit, 0, 3, 20);  // a control word restarts the counter with the new count
  log.edges.clear();
  run_to_tick(clock, 55);
  CHECK(log.rising() == std::vector<uint64_t>{30, 50});
  CHECK(log.edges.size() == 4);  // nothing left over from the old divisor's timer
  CHECK(clock.pending() == 1);
  pit.write(0, 1, 40);  // count only: loaded when this high half ends at 60
  pit.write(0, 1, 0);
  run_to_tick(clock, 200);
  // Low half of the new count (20 clocks), then 20 high, 20 low...
  CHECK(log.rising() == std::vector<uint64_t>{30, 50, 80, 120, 160, 200});
}

TEST_CASE("pit8254_mode0_rewrite_pauses_on_first_byte_and_restarts_on_second") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  program(pit, 1, 0, 50);
  run_to_tick(clock, 60);
  CHECK(pit.out(1));
  pit.write(1, 1, 20);  // first byte: OUT low, counting stops
  CHECK_FALSE(pit.out(1));
  uint16_t held = uint16_t(pit.save().ch[1].ce);
  run_to_tick(clock, 80);
  CHECK(pit.save().ch[1].ce == held);
  pit.write(1, 1, 0);
  run_to_tick(clock, 99);
  CHECK_FALSE(pit.out(1));
  run_to_tick(clock, 100);
  CHECK(pit.out(1));
}

TEST_CASE("port61_gate_low_stops_channel2_in_modes_0_2_and_3") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  Port61 p61(clock, pit);
  CHECK((p61.read(0, 1) & Port61::kGate2) == 0);
  // Mode 0: nothing moves while the gate is low.
  program(pit, 2, 0, 30);
  run_to_tick(clock, 100);
  CHECK(latch_and_read(pit, 2) == 30);
  CHECK((p61.read(0, 1) & Port61::kOut2) == 0);
  p61.write(0, 1, 0x01);
  run_to_tick(clock, 129);
  CHECK(latch_and_read(pit, 2) == 1);
  p61.write(0, 1, 0x00);
  run_to_tick(clock, 200);
  CHECK(latch_and_read(pit, 2) == 1);
  p61.write(0, 1, 0x01);
  run_to_tick(clock, 201);
  CHECK((p61.read(0, 1) & Port61::kOut2) == Port61::kOut2);  // bit 5 mirrors OUT2
  // Mode 2: gate low forces OUT high and holds; gate high reloads.
  program(pit, 2, 2, 10);
  run_to_tick(clock, 210);
  CHECK_FALSE(pit.out(2));  // count at 1
  p61.write(0, 1, 0x00);
  CHECK(pit.out(2));
  run_to_tick(clock, 300);
  CHECK(latch_and_read(pit, 2) == 1);
  p61.write(0, 1, 0x01);
  CHECK(latch_and_read(pit, 2) == 10);
  // Mode 3: same.
  program(pit, 2, 3, 10);
  run_to_tick(clock, 306);
  CHECK_FALSE(pit.out(2));
  p61.write(0, 1, 0x00);
  CHECK(pit.out(2));
  uint16_t held = latch_and_read(pit, 2);
  run_to_tick(clock, 400);
  CHECK(latch_and_read(pit, 2) == held);
  p61.write(0, 1, 0x03);
  CHECK(latch_and_read(pit, 2) == 10);
  CHECK(p61.speaker_on());
}

TEST_CASE("port61_gate_rising_edge_triggers_channel2_modes_1_and_5") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  Port61 p61(clock, pit);
  program(pit, 2, 1, 5);
  run_to_tick(clock, 50);
  CHECK(pit.out(2));  // waiting for a trigger
  p61.write(0, 1, 0x01);
  CHECK((p61.read(0, 1) & Port61::kOut2) == 0);
  run_to_tick(clock, 54);
  CHECK_FALSE(pit.out(2));
  run_to_tick(clock, 55);
  CHECK(pit.out(2));
  // Retrigger: the one-shot starts again with the full count.
  p61.write(0, 1, 0x00);
  p61.write(0, 1, 0x01);
  run_to_tick(clock, 59);
  CHECK_FALSE(pit.out(2));
  run_to_tick(clock, 60);
  CHECK(pit.out(2));
  // Mode 5: a strobe one clock long, N clocks after the trigger.
  program(pit, 2, 5, 3);
  p61.write(0, 1, 0x00);
  p61.write(0, 1, 0x01);
  run_to_tick(clock, 62);
  CHECK(pit.out(2));
  run_to_tick(clock, 63);
  CHECK_FALSE(pit.out(2));
  run_to_tick(clock, 64);
  CHECK(pit.out(2));
}

TEST_CASE("port61_refresh_bit_toggles_every_15085_ns") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  Port61 p61(clock, pit);
  CHECK((p61.read(0, 1) & Port61::kRefresh) == 0);
  clock.idle_until(15084);
  CHECK((p61.read(0, 1) & Port61::kRefresh) == 0);
  clock.idle_until(15085);
  CHECK((p61.read(0, 1) & Port61::kRefresh) == Port61::kRefresh);
  clock.idle_until(30170);
  CHECK((p61.read(0, 1) & Port61::kRefresh) == 0);
  // A BIOS-style delay: count toggles over 1 ms of virtual time.
  unsigned toggles = 0;
  uint8_t last = p61.read(0, 1) & Port61::kRefresh;
  for (uint64_t ns = 30170; ns < 30170 + 1'000'000; ns += 1000) {
    clock.idle_until(ns);
    uint8_t b = p61.read(0, 1) & Port61::kRefresh;
    if (b != last) ++toggles;
    last = b;
  }
  CHECK(toggles == 66);  // 1 ms / 15.085 us
  p61.write(0, 1, 0xFF);
  CHECK((p61.read(0, 1) & 0x0F) == 0x0F);  // only bits 0-3 are writable
  CHECK((p61.read(0, 1) & 0xC0) == 0);
}

TEST_CASE("pit8254_fresh_equals_reset") {
  Clock clock(Clock::Mode::Deterministic);
  run_to_tick(clock, 1234);
  IrqLine irq;
  Pit8254 pit(clock, &irq);
  program(pit, 0, 2, 100);
  program(pit, 1, 3, 7, true);
  pit.write(3, 1, 0xCE);
  pit.write(2, 1, 9);
  run_to_tick(clock, 2000);
  CHECK(clock.pending() == 1);
  pit.reset();
  Pit8254 fresh(clock, nullptr);
  CHECK(pit.save() == fresh.save());
  CHECK_FALSE(irq.level());
  CHECK(clock.pending() == 0);
  Port61 p61(clock, pit);
  p61.write(0, 1, 3);
  p61.reset();
  CHECK(p61.save() == Port61::State{});
  CHECK(pit.save() == fresh.save());  // the gate went back low too
}

TEST_CASE("pit8254_save_restore_continues_the_pending_timer") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254::State saved;
  {
    IrqLine irq;
    Pit8254 pit(clock, &irq);
    program(pit, 0, 2, 1000);
    run_to_tick(clock, 2500);
    saved = pit.save();
  }  // the old instance cancels its timer
  CHECK(clock.pending() == 0);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  pit.restore(saved);
  CHECK(pit.save() == saved);
  CHECK(clock.pending() == 1);
  CHECK(irq.level());  // OUT was high in the snapshot
  log.edges.clear();
  run_to_tick(clock, 4100);
  CHECK(log.rising() == std::vector<uint64_t>{3000, 4000});
  // Restoring a snapshot whose edge is already past delivers it at the next run_due.
  Pit8254::State s2 = pit.save();
  run_to_tick(clock, 4100);
  Pit8254 other(clock, nullptr);
  clock.idle_until(Pit8254::ns_of_tick(5500));  // time moved without run_due
  pit.restore(s2);
  clock.run_due();
  CHECK(log.rising().size() == 3);  // the 5000 edge, delivered (late) at 5500
  CHECK(log.rising().back() == 5500);
  CHECK(log.edges.size() == 6);
}

TEST_CASE("pit8254_late_reader_still_sees_every_irq0_edge_in_order") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  EdgeLog log{clock, {}};
  log.attach(irq);
  Pit8254 pit(clock, &irq);
  program(pit, 0, 2, 10);
  log.edges.clear();
  clock.idle_until(Pit8254::ns_of_tick(55));  // no run_due: the CPU ran a long slice
  latch_and_read(pit, 0);
  CHECK(log.rising().size() == 5);
  CHECK(log.edges.size() == 10);
  for (size_t i = 0; i < log.edges.size(); ++i) CHECK(log.edges[i].first == (i % 2 == 1));
}

TEST_CASE("pit8254_two_instances_run_side_by_side") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine a, b;
  EdgeLog la{clock, {}}, lb{clock, {}};
  la.attach(a);
  lb.attach(b);
  Pit8254 p1(clock, &a), p2(clock, &b);
  program(p1, 0, 2, 100);
  program(p2, 0, 2, 300);
  la.edges.clear();
  lb.edges.clear();
  run_to_tick(clock, 901);
  CHECK(la.rising().size() == 9);
  CHECK(lb.rising().size() == 3);
}

TEST_CASE("pit8254_random_port_traffic_keeps_invariants") {
  Clock clock(Clock::Mode::Deterministic);
  IrqLine irq;
  Pit8254 pit(clock, &irq);
  Port61 p61(clock, pit);
  std::mt19937 rng(8254);
  for (int i = 0; i < 200000; ++i) {
    unsigned op = rng() % 16;
    if (op < 6) pit.write(rng() % 4, 1, rng() & 0xFF);
    else if (op < 10) pit.read(rng() % 4, 1 + rng() % 2);
    else if (op == 10) p61.write(0, 1, rng() & 0xFF);
    else if (op == 11) p61.read(0, 1);
    else if (op == 12) pit.write(0, 4, rng());
    else run_to_ns(clock, clock.now_ns() + rng() % 20000);
    if (i % 97 == 0) {
      CHECK(pit.out(0) == irq.level());
      CHECK(clock.pending() <= 1);
      for (auto& c : pit.save().ch) {
        uint8_t m = pit::effective_mode(c.mode_bits);
        if (!(c.loaded && m == 2)) CHECK(c.ce < pit::modulus(c));
        if (c.loaded && m == 2) CHECK((c.ce >= 1 && c.ce <= c.period));
        if (c.loaded && m == 3 && c.period >= 2)
          CHECK((c.half_left >= 1 && c.half_left <= c.period));
        if (c.bcd) {
          uint16_t v = pit::counter_value(c);
          for (int s = 0; s < 16; s += 4) CHECK(((v >> s) & 0xF) <= 9);
        }
      }
    }
  }
  // Garbage snapshots are repaired, never trusted.
  for (int i = 0; i < 1000; ++i) {
    Pit8254::State s;
    for (auto& c : s.ch) {
      c.mode_bits = uint8_t(rng());
      c.access = uint8_t(rng());
      c.bcd = rng() & 1;
      c.cr = uint16_t(rng());
      c.loaded = rng() & 1;
      c.reload_pending = rng() & 1;
      c.out = rng() & 1;
      c.ce = rng();
      c.period = rng();
      c.half_left = rng();
      c.seg_tick = Pit8254::ticks_of_ns(clock.now_ns()) - rng() % 100000;
    }
    pit.restore(s);
    run_to_ns(clock, clock.now_ns() + rng() % 100000);
    pit.read(rng() % 3, 1);
  }
}

TEST_CASE("pit8254_null_count_stays_set_until_a_deferred_count_is_loaded") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  Port61 p61(clock, pit);
  auto status = [&](unsigned ch) {
    pit.write(3, 1, 0xE0 | (2u << ch));
    return uint8_t(pit.read(ch, 1));
  };
  program(pit, 0, 2, 100);
  run_to_tick(clock, 1);
  CHECK((status(0) & 0x40) == 0);
  pit.write(0, 1, 50);
  pit.write(0, 1, 0);
  run_to_tick(clock, 99);
  CHECK((status(0) & 0x40) == 0x40);  // mode 2: waits for the end of the period
  run_to_tick(clock, 101);
  CHECK((status(0) & 0x40) == 0);
  // Mode 1 loads only on a gate trigger.
  program(pit, 2, 1, 10);
  run_to_tick(clock, 150);
  CHECK((status(2) & 0xC0) == 0xC0);  // OUT high, null count
  p61.write(0, 1, 1);
  run_to_tick(clock, 151);
  CHECK((status(2) & 0xC0) == 0x00);  // triggered: OUT low, count loaded
}

TEST_CASE("pit8254_mode4_pauses_while_gate_low") {
  Clock clock(Clock::Mode::Deterministic);
  Pit8254 pit(clock, nullptr);
  Port61 p61(clock, pit);
  program(pit, 2, 4, 10);
  run_to_tick(clock, 50);
  CHECK(latch_and_read(pit, 2) == 10);
  p61.write(0, 1, 1);
  run_to_tick(clock, 59);
  CHECK(pit.out(2));
  run_to_tick(clock, 60);
  CHECK_FALSE(pit.out(2));
  run_to_tick(clock, 61);
  CHECK(pit.out(2));
  CHECK(latch_and_read(pit, 2) == 0xFFFF);
}
