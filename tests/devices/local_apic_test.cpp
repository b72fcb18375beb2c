// P6 local APIC: register reset values, priority (TPR/PPR, IRR->ISR, nested EOI), level
// interrupts and the EOI broadcast, the timer over virtual time, IPIs through the ICR, ESR,
// reset and save/restore, and seeded random MMIO traffic.
#include "devices/local_apic.h"

#include <doctest/doctest.h>

#include <random>
#include <vector>

using namespace vmlab::devices;
using vmlab::machine::Clock;

namespace {

using L = LocalApic;

void advance_ns(Clock& c, uint64_t ns) {
  c.advance_instructions(ns / Clock::kNsPerInstruction);
  c.run_due();
}

void enable(LocalApic& a, uint32_t spurious = 0xFF) { a.write(L::kSvr, 4, L::kSvrEnable | spurious); }

ApicMessage fixed(uint8_t vector, bool level = false, uint8_t dest = 0) {
  ApicMessage m;
  m.vector = vector;
  m.destination = dest;
  m.level_triggered = level;
  return m;
}

bool irr_has(LocalApic& a, uint8_t v) { return (a.read(L::kIrr + (v / 32) * 16, 4) >> (v % 32)) & 1; }
bool isr_has(LocalApic& a, uint8_t v) { return (a.read(L::kIsr + (v / 32) * 16, 4) >> (v % 32)) & 1; }
bool tmr_has(LocalApic& a, uint8_t v) { return (a.read(L::kTmr + (v / 32) * 16, 4) >> (v % 32)) & 1; }

}  // namespace

TEST_CASE("local_apic_registers_have_p6_reset_values") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(3, clock);
  CHECK(a.read(L::kId, 4) == 0x03000000);
  CHECK(a.read(L::kVer, 4) == 0x00040011);
  CHECK(a.read(L::kTpr, 4) == 0);
  CHECK(a.read(L::kPpr, 4) == 0);
  CHECK(a.read(L::kApr, 4) == 0);
  CHECK(a.read(L::kLdr, 4) == 0);
  CHECK(a.read(L::kDfr, 4) == 0xFFFFFFFF);
  CHECK(a.read(L::kSvr, 4) == 0xFF);
  CHECK_FALSE(a.software_enabled());
  for (uint32_t r = L::kIsr; r < L::kEsr; r += 16) CHECK(a.read(r, 4) == 0);
  CHECK(a.read(L::kEsr, 4) == 0);
  CHECK(a.read(L::kIcrLow, 4) == 0);
  CHECK(a.read(L::kIcrHigh, 4) == 0);
  for (uint32_t r : {L::kLvtTimer, L::kLvtPerf, L::kLvtLint0, L::kLvtLint1, L::kLvtError})
    CHECK(a.read(r, 4) == 0x00010000);
  CHECK(a.read(L::kTimerInitial, 4) == 0);
  CHECK(a.read(L::kTimerCurrent, 4) == 0);
  CHECK(a.read(L::kTimerDivide, 4) == 0);
  CHECK(a.apic_id() == 3);
  CHECK(clock.pending() == 0);
}

TEST_CASE("local_apic_register_writes_keep_only_the_defined_bits") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  a.write(L::kId, 4, 0xFFFFFFFF);
  CHECK(a.read(L::kId, 4) == 0x0F000000);  // P6: 4-bit APIC ID
  a.write(L::kVer, 4, 0);
  CHECK(a.read(L::kVer, 4) == L::kVersion);  // read-only
  a.write(L::kLdr, 4, 0x12345678);
  CHECK(a.read(L::kLdr, 4) == 0x12000000);
  a.write(L::kDfr, 4, 0);
  CHECK(a.read(L::kDfr, 4) == 0x0FFFFFFF);  // cluster model
  a.write(L::kSvr, 4, 0x1F0);
  CHECK(a.read(L::kSvr, 4) == 0x1FF);  // vector bits 0-3 hard-wired to 1 on P6
  a.write(L::kTimerDivide, 4, 0xFFFFFFFF);
  CHECK(a.read(L::kTimerDivide, 4) == 0xB);
  // Narrow reads see the addressed bytes; the rest of a 16-byte slot reads 0.
  CHECK(a.read(L::kSvr + 1, 1) == 0x01);
  CHECK(a.read(L::kVer, 2) == 0x0011);
  CHECK(a.read(L::kVer + 4, 4) == 0);
  CHECK(a.read(L::kEsr, 4) == 0);  // none of this was illegal
}

TEST_CASE("local_apic_ppr_follows_tpr_and_the_highest_in_service_class") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kTpr, 4, 0x35);
  CHECK(a.read(L::kTpr, 4) == 0x35);
  CHECK(a.read(L::kPpr, 4) == 0x35);  // nothing in service: PPR = TPR
  a.accept(fixed(0x52));
  CHECK(a.acknowledge() == 0x52);
  CHECK(a.read(L::kPpr, 4) == 0x50);  // ISR class 5 above TPR class 3
  a.write(L::kTpr, 4, 0x5A);
  CHECK(a.read(L::kPpr, 4) == 0x5A);  // equal classes: PPR = TPR
  a.write(L::kTpr, 4, 0x7F);
  CHECK(a.read(L::kPpr, 4) == 0x7F);
  a.write(L::kTpr, 4, 0x1FF);
  CHECK(a.read(L::kTpr, 4) == 0xFF);  // bits 8-31 reserved
  a.write(L::kTpr, 4, 0);
  a.write(L::kEoi, 4, 0);
  CHECK(a.read(L::kPpr, 4) == 0);
}

TEST_CASE("local_apic_tpr_holds_back_interrupts_of_its_class_and_below") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kTpr, 4, 0x40);
  a.accept(fixed(0x45));
  CHECK(irr_has(a, 0x45));
  CHECK_FALSE(a.interrupt_pending());  // same class as TPR
  CHECK(a.acknowledge() == 0xFF);      // spurious: nothing deliverable
  CHECK(irr_has(a, 0x45));
  a.write(L::kTpr, 4, 0x3F);
  CHECK(a.interrupt_pending());
  CHECK(a.acknowledge() == 0x45);
}

TEST_CASE("local_apic_delivers_highest_vector_first_and_nests_by_priority_class") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.accept(fixed(0x31));
  a.accept(fixed(0x61));
  a.accept(fixed(0x62));
  CHECK(a.interrupt_pending());
  CHECK(a.acknowledge() == 0x62);
  CHECK(isr_has(a, 0x62));
  CHECK_FALSE(irr_has(a, 0x62));
  // 0x61 is the same class as the in-service 0x62: held until EOI. 0x31 is lower.
  CHECK_FALSE(a.interrupt_pending());
  a.accept(fixed(0x80));  // a higher class nests
  CHECK(a.interrupt_pending());
  CHECK(a.acknowledge() == 0x80);
  CHECK(a.read(L::kPpr, 4) == 0x80);
  a.write(L::kEoi, 4, 0);  // ends 0x80 (the highest in service)
  CHECK_FALSE(isr_has(a, 0x80));
  CHECK(isr_has(a, 0x62));
  CHECK_FALSE(a.interrupt_pending());
  a.write(L::kEoi, 4, 0);  // ends 0x62
  CHECK(a.acknowledge() == 0x61);
  a.write(L::kEoi, 4, 0);
  CHECK(a.acknowledge() == 0x31);
  a.write(L::kEoi, 4, 0);
  CHECK(a.read(L::kIsr + 0x10, 4) == 0);
  CHECK(a.read(L::kIsr + 0x30, 4) == 0);
  CHECK_FALSE(a.interrupt_pending());
  a.write(L::kEoi, 4, 0);  // an EOI with nothing in service is harmless
}

TEST_CASE("local_apic_level_interrupt_sets_tmr_and_its_eoi_is_broadcast") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  std::vector<int> broadcasts;
  a.set_eoi_broadcast([&](uint8_t v) { broadcasts.push_back(v); });
  enable(a);
  a.accept(fixed(0x41, /*level=*/true));
  a.accept(fixed(0x51, /*level=*/false));
  CHECK(tmr_has(a, 0x41));
  CHECK_FALSE(tmr_has(a, 0x51));
  CHECK(a.acknowledge() == 0x51);
  a.write(L::kEoi, 4, 0);
  CHECK(broadcasts.empty());  // edge: no broadcast
  CHECK(a.acknowledge() == 0x41);
  a.write(L::kEoi, 4, 0);
  REQUIRE(broadcasts.size() == 1);
  CHECK(broadcasts[0] == 0x41);
  a.accept(fixed(0x41, /*level=*/false));  // the same vector as edge clears its TMR bit
  CHECK_FALSE(tmr_has(a, 0x41));
}

TEST_CASE("local_apic_spurious_vector_when_nothing_is_pending") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a, 0xEF);
  CHECK_FALSE(a.interrupt_pending());
  CHECK(a.acknowledge() == 0xEF);
  CHECK(a.read(L::kIsr + 0x70, 4) == 0);  // spurious does not enter ISR
}

TEST_CASE("local_apic_software_disabled_ignores_fixed_but_takes_nmi_init_sipi") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  a.accept(fixed(0x40));
  CHECK_FALSE(irr_has(a, 0x40));
  CHECK_FALSE(a.interrupt_pending());
  ApicMessage m;
  m.mode = DeliveryMode::Nmi;
  a.accept(m);
  CHECK(a.take_pending_nmi());
  CHECK_FALSE(a.take_pending_nmi());
  m.mode = DeliveryMode::Init;
  a.accept(m);
  CHECK(a.take_pending_init());
  CHECK_FALSE(a.take_pending_init());
  m.level_triggered = true;
  m.assert_level = false;  // INIT level de-assert: arbitration sync only
  a.accept(m);
  CHECK_FALSE(a.take_pending_init());
  m = ApicMessage{};
  m.mode = DeliveryMode::StartUp;
  m.vector = 0x9A;
  a.accept(m);
  uint8_t v = 0;
  CHECK(a.take_pending_sipi(v));
  CHECK(v == 0x9A);
  CHECK_FALSE(a.take_pending_sipi(v));
}

TEST_CASE("local_apic_disabling_masks_every_lvt_and_keeps_them_masked") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  a.write(L::kLvtLint0, 4, 0x700);  // ExtINT, unmasked: refused while disabled
  CHECK(a.read(L::kLvtLint0, 4) == 0x10700);
  CHECK_FALSE(a.lint0_extint());
  CHECK(a.pic_intr_reaches_cpu(true));  // software-disabled APIC: the PIC goes straight through
  enable(a);
  CHECK_FALSE(a.pic_intr_reaches_cpu(true));  // LINT0 still masked
  CHECK(a.pic_intr_reaches_cpu(false));       // globally disabled (APIC_BASE)
  a.write(L::kLvtLint0, 4, 0x700);
  CHECK(a.lint0_extint());
  CHECK(a.pic_intr_reaches_cpu(true));  // virtual wire mode
  a.write(L::kSvr, 4, 0xFF);            // software disable masks all LVTs
  CHECK(a.read(L::kLvtLint0, 4) == 0x10700);
  CHECK_FALSE(a.lint0_extint());
}

TEST_CASE("local_apic_illegal_vectors_are_refused_and_reported_in_esr") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.accept(fixed(0x05));
  CHECK(a.read(L::kIrr, 4) == 0);
  CHECK(a.read(L::kEsr, 4) == 0);  // not visible until ESR is written
  a.write(L::kEsr, 4, 0);
  CHECK(a.read(L::kEsr, 4) == L::kEsrReceiveIllegalVector);
  a.write(L::kEsr, 4, 0);
  CHECK(a.read(L::kEsr, 4) == 0);  // the write also cleared the collected errors
  std::vector<ApicMessage> sent;
  a.set_sink([&](const ApicMessage& m) { sent.push_back(m); });
  a.write(L::kIcrLow, 4, 0x0000000A);  // fixed IPI with vector 10
  CHECK(sent.empty());
  a.write(L::kEsr, 4, 0);
  CHECK(a.read(L::kEsr, 4) == L::kEsrSendIllegalVector);
}

TEST_CASE("local_apic_illegal_register_reads_zero_ignores_writes_and_sets_esr") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kLvtError, 4, 0xE3);  // error interrupts on vector 0xE3
  for (uint32_t r : {0x00u, 0x10u, 0x40u, 0x70u, 0xC0u, 0x290u, 0x330u, 0x3A0u, 0x3F0u, 0x400u, 0xFF0u})
    CHECK(a.read(r, 4) == 0);
  a.write(0x3F0, 4, 0xFFFFFFFF);
  CHECK(irr_has(a, 0xE3));  // the error LVT fired
  CHECK(a.read(L::kEsr, 4) == 0);
  a.write(L::kEsr, 4, 0);
  CHECK(a.read(L::kEsr, 4) == L::kEsrIllegalRegister);
  CHECK(a.save().esr_pending == 0);
}

TEST_CASE("local_apic_timer_one_shot_counts_down_at_bus_clock_over_divisor") {
  struct Case { uint32_t divide_config; uint64_t divisor; };
  for (Case c : {Case{0xB, 1}, Case{0x0, 2}, Case{0x1, 4}, Case{0x2, 8}, Case{0x3, 16},
                 Case{0x8, 32}, Case{0x9, 64}, Case{0xA, 128}}) {
    CAPTURE(c.divisor);
    Clock clock(Clock::Mode::Deterministic);
    LocalApic a(0, clock);
    enable(a);
    a.write(L::kTimerDivide, 4, c.divide_config);
    CHECK(a.timer_tick_ns() == 10 * c.divisor);
    a.write(L::kLvtTimer, 4, 0x30);  // one-shot, vector 0x30
    a.write(L::kTimerInitial, 4, 1000);
    uint64_t period_ns = 1000 * 10 * c.divisor;
    CHECK(clock.next_deadline() == clock.now_ns() + period_ns);
    CHECK(a.read(L::kTimerCurrent, 4) == 1000);
    advance_ns(clock, period_ns / 2);
    CHECK(a.read(L::kTimerCurrent, 4) == 500);  // read mid-way
    CHECK_FALSE(irr_has(a, 0x30));
    advance_ns(clock, period_ns / 2 - 10);
    CHECK_FALSE(irr_has(a, 0x30));
    advance_ns(clock, 10);
    CHECK(irr_has(a, 0x30));
    CHECK(a.read(L::kTimerCurrent, 4) == 0);
    CHECK(clock.pending() == 0);  // one-shot: nothing more scheduled
    CHECK(a.acknowledge() == 0x30);
    a.write(L::kEoi, 4, 0);
    advance_ns(clock, 10 * period_ns);
    CHECK_FALSE(irr_has(a, 0x30));
    CHECK(a.read(L::kTimerInitial, 4) == 1000);
  }
}

TEST_CASE("local_apic_timer_periodic_reloads_and_schedules_only_the_next_expiry") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kTimerDivide, 4, 0x1);  // divide by 4: 40 ns per count
  a.write(L::kLvtTimer, 4, L::kLvtPeriodic | 0x40);
  a.write(L::kTimerInitial, 4, 250);  // 10 us period
  int fired = 0;
  for (int i = 0; i < 5; ++i) {
    CHECK(clock.pending() == 1);
    advance_ns(clock, 2'500);
    CHECK(a.read(L::kTimerCurrent, 4) == 250 - 2'500 / 40);
    advance_ns(clock, 7'500);
    if (irr_has(a, 0x40)) { ++fired; CHECK(a.acknowledge() == 0x40); a.eoi(); }
    CHECK(a.read(L::kTimerCurrent, 4) == 250);  // reloaded
  }
  CHECK(fired == 5);
  // Changing the divisor mid-period keeps the count and slows the rest of it.
  advance_ns(clock, 4'000);  // 100 counts gone
  CHECK(a.read(L::kTimerCurrent, 4) == 150);
  a.write(L::kTimerDivide, 4, 0x3);  // divide by 16: 160 ns per count
  CHECK(a.read(L::kTimerCurrent, 4) == 150);
  CHECK(clock.next_deadline() == clock.now_ns() + 150 * 160);
  // Writing 0 to the initial count stops it.
  a.write(L::kTimerInitial, 4, 0);
  CHECK(clock.pending() == 0);
  CHECK(a.read(L::kTimerCurrent, 4) == 0);
}

TEST_CASE("local_apic_masked_timer_counts_but_does_not_interrupt") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kTimerDivide, 4, 0xB);  // divide by 1: 10 ns per count
  a.write(L::kLvtTimer, 4, L::kLvtMasked | L::kLvtPeriodic | 0x50);
  a.write(L::kTimerInitial, 4, 100);
  advance_ns(clock, 1'000 * 3 + 250);
  CHECK_FALSE(irr_has(a, 0x50));
  CHECK(a.read(L::kTimerCurrent, 4) == 75);
  a.write(L::kLvtTimer, 4, L::kLvtPeriodic | 0x50);  // unmask: the next expiry interrupts
  CHECK(a.read(L::kTimerCurrent, 4) == 75);
  advance_ns(clock, 750);
  CHECK(irr_has(a, 0x50));
}

TEST_CASE("local_apic_timer_expiry_while_software_disabled_is_lost") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kTimerDivide, 4, 0xB);
  a.write(L::kLvtTimer, 4, 0x50);
  a.write(L::kTimerInitial, 4, 100);
  a.write(L::kSvr, 4, 0xFF);  // disable: masks the timer LVT
  advance_ns(clock, 2'000);
  CHECK_FALSE(irr_has(a, 0x50));
  CHECK(a.read(L::kTimerCurrent, 4) == 0);
}

TEST_CASE("local_apic_icr_sends_fixed_init_and_startup_ipis_with_their_fields") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(2, clock);
  enable(a);
  std::vector<ApicMessage> sent;
  a.set_sink([&](const ApicMessage& m) { sent.push_back(m); });
  a.write(L::kIcrHigh, 4, 0x01000000);
  a.write(L::kIcrLow, 4, 0x00004041);  // fixed, physical, assert, vector 0x41 to APIC 1
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].mode == DeliveryMode::Fixed);
  CHECK(sent[0].vector == 0x41);
  CHECK(sent[0].destination == 1);
  CHECK_FALSE(sent[0].logical);
  CHECK(sent[0].shorthand == DestShorthand::None);
  CHECK(sent[0].source_apic_id == 2);
  CHECK((a.read(L::kIcrLow, 4) & (1u << 12)) == 0);  // delivery status: idle at once
  CHECK(a.read(L::kIcrLow, 4) == 0x00004041);
  // The MP-spec AP start-up: INIT assert (level), INIT de-assert, then STARTUP twice.
  a.write(L::kIcrLow, 4, 0x000CC500);  // INIT, level, assert, all excluding self
  a.write(L::kIcrLow, 4, 0x000C8500);  // INIT level de-assert
  a.write(L::kIcrLow, 4, 0x000C4608);  // STARTUP vector 0x08 (0x8000)
  REQUIRE(sent.size() == 4);
  CHECK(sent[1].mode == DeliveryMode::Init);
  CHECK(sent[1].assert_level);
  CHECK(sent[1].level_triggered);
  CHECK(sent[1].shorthand == DestShorthand::AllExcludingSelf);
  CHECK(sent[2].mode == DeliveryMode::Init);
  CHECK_FALSE(sent[2].assert_level);
  CHECK(sent[3].mode == DeliveryMode::StartUp);
  CHECK(sent[3].vector == 0x08);
  // The router hands the broadcasts to every APIC: the sender ignores its own.
  LocalApic b(1, clock);
  for (const auto& m : sent) { a.accept(m); b.accept(m); }
  CHECK_FALSE(a.take_pending_init());
  CHECK(b.take_pending_init());
  uint8_t v = 0;
  CHECK(b.take_pending_sipi(v));
  CHECK(v == 0x08);
  CHECK_FALSE(a.take_pending_sipi(v));
  // Logical destination mode sets the flag.
  a.write(L::kIcrHigh, 4, 0x03000000);
  a.write(L::kIcrLow, 4, 0x00000850);
  REQUIRE(sent.size() == 5);
  CHECK(sent[4].logical);
  CHECK(sent[4].destination == 3);
}

TEST_CASE("local_apic_self_ipi_is_delivered_locally_without_the_bus") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  int sent = 0;
  a.set_sink([&](const ApicMessage&) { ++sent; });
  a.write(L::kIcrLow, 4, 0x00044077);  // self, fixed, vector 0x77
  CHECK(sent == 0);
  CHECK(irr_has(a, 0x77));
  CHECK(a.acknowledge() == 0x77);
  a.write(L::kIcrLow, 4, 0x00080090);  // all including self: goes to the bus
  CHECK(sent == 1);
}

TEST_CASE("local_apic_accepts_only_messages_addressed_to_it") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(5, clock);
  enable(a);
  a.accept(fixed(0x40, false, 4));
  CHECK_FALSE(irr_has(a, 0x40));
  a.accept(fixed(0x41, false, 5));
  CHECK(irr_has(a, 0x41));
  a.accept(fixed(0x42, false, 0xFF));  // physical broadcast
  CHECK(irr_has(a, 0x42));
  // Flat logical: LDR bit set.
  a.write(L::kLdr, 4, 0x04000000);
  CHECK(a.matches_destination(0x04, true));
  CHECK(a.matches_destination(0x0F, true));
  CHECK_FALSE(a.matches_destination(0x03, true));
  // Cluster logical: cluster 2, member bit 1.
  a.write(L::kDfr, 4, 0x0FFFFFFF);
  a.write(L::kLdr, 4, 0x22000000);
  CHECK(a.matches_destination(0x22, true));
  CHECK(a.matches_destination(0xF2, true));  // all clusters
  CHECK_FALSE(a.matches_destination(0x32, true));
  CHECK_FALSE(a.matches_destination(0x21, true));
}

TEST_CASE("local_apic_fresh_equals_reset") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic fresh(1, clock);
  LocalApic used(1, clock);
  enable(used);
  used.write(L::kTpr, 4, 0x20);
  used.write(L::kLvtTimer, 4, 0x30);
  used.write(L::kTimerInitial, 4, 1000);
  used.accept(fixed(0x55, true));
  used.write(L::kId, 4, 0x07000000);
  used.reset();
  CHECK(used.save() == fresh.save());
  CHECK(used.apic_id() == 1);
  CHECK(clock.pending() == 0);  // the timer was cancelled
}

TEST_CASE("local_apic_init_reset_keeps_the_apic_id_and_clears_the_rest") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(1, clock);
  enable(a);
  a.write(L::kId, 4, 0x06000000);
  a.write(L::kTimerInitial, 4, 1000);
  a.accept(fixed(0x40, false, 6));
  CHECK(irr_has(a, 0x40));
  a.init_reset();
  CHECK(a.apic_id() == 6);
  CHECK_FALSE(a.software_enabled());
  CHECK(a.read(L::kIrr + 0x20, 4) == 0);
  CHECK(a.read(L::kTimerInitial, 4) == 0);
  CHECK(clock.pending() == 0);
  a.reset();
  CHECK(a.apic_id() == 1);  // a full reset returns to the constructor's ID
}

TEST_CASE("local_apic_save_restore_round_trip_reschedules_the_timer") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  enable(a);
  a.write(L::kTpr, 4, 0x10);
  a.write(L::kTimerDivide, 4, 0xB);
  a.write(L::kLvtTimer, 4, L::kLvtPeriodic | 0x60);
  a.write(L::kTimerInitial, 4, 500);
  a.accept(fixed(0x70, true));
  CHECK(a.acknowledge() == 0x70);
  a.accept(fixed(0x33));
  advance_ns(clock, 1'230);
  LocalApic::State s = a.save();
  CHECK(a.save() == s);  // saving does not disturb

  LocalApic b(0, clock);
  b.restore(s);
  CHECK(b.save() == s);
  CHECK(b.save() == b.save());
  CHECK(b.read(L::kTimerCurrent, 4) == a.read(L::kTimerCurrent, 4));
  CHECK(b.read(L::kPpr, 4) == 0x70);
  CHECK(clock.pending() == 2);  // each instance has its next expiry on the Clock
  advance_ns(clock, 5'000 - 1'230);
  CHECK(irr_has(a, 0x60));
  CHECK(irr_has(b, 0x60));
  CHECK(a.save() == b.save());
  // Garbage is validated into something a guest could have produced.
  LocalApic::State g = s;
  g.timer_ref_ns = ~0ull;
  g.timer_ref_count = 0xFFFFFFFF;
  g.irr[0] = 0xFFFFFFFF;
  g.svr = 0xFFFFFFFF;
  b.restore(g);
  CHECK(b.save().timer_ref_ns <= clock.now_ns());
  CHECK(b.read(L::kTimerCurrent, 4) <= 500);
  CHECK(b.read(L::kIrr, 4) == 0xFFFF0000);
  CHECK(b.read(L::kSvr, 4) == 0x3FF);
}

TEST_CASE("local_apic_two_instances_time_independently") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock), b(1, clock);
  enable(a);
  enable(b);
  a.write(L::kTimerDivide, 4, 0xB);
  b.write(L::kTimerDivide, 4, 0xB);
  a.write(L::kLvtTimer, 4, 0x30);
  b.write(L::kLvtTimer, 4, 0x31);
  a.write(L::kTimerInitial, 4, 100);
  b.write(L::kTimerInitial, 4, 300);
  advance_ns(clock, 1'000);
  CHECK(irr_has(a, 0x30));
  CHECK_FALSE(irr_has(b, 0x31));
  advance_ns(clock, 2'000);
  CHECK(irr_has(b, 0x31));
  CHECK_FALSE(irr_has(a, 0x31));
}

TEST_CASE("local_apic_random_mmio_traffic_keeps_invariants") {
  Clock clock(Clock::Mode::Deterministic);
  LocalApic a(0, clock);
  std::vector<ApicMessage> sent;
  a.set_sink([&](const ApicMessage& m) { sent.push_back(m); });
  a.set_eoi_broadcast([](uint8_t v) { CHECK(v >= 16); });
  std::mt19937 rng(0xA91C);
  const uint32_t regs[] = {L::kTpr, L::kEoi, L::kSvr, L::kEsr, L::kIcrLow, L::kIcrHigh,
                           L::kLvtTimer, L::kLvtLint0, L::kLvtError, L::kTimerInitial,
                           L::kTimerDivide, L::kLdr, L::kDfr, L::kId};
  for (int i = 0; i < 20'000; ++i) {
    uint32_t r = rng();
    uint64_t off = (r & 1) ? regs[(r >> 1) % std::size(regs)] : (rng() & 0xFFF);
    unsigned width = 1u << ((r >> 8) % 3);
    uint32_t v = rng();
    if ((v & 0xF) == 0) v &= 0x3FF;  // small timer counts now and then
    switch ((r >> 12) % 8) {
      case 0: case 1: case 2: a.write(off, width, v); break;
      case 3: case 4: a.read(off, width); break;
      case 5: a.accept(fixed(uint8_t(v), v & 0x100, uint8_t(v >> 16))); break;
      case 6: if (a.interrupt_pending()) a.acknowledge(); break;
      default: advance_ns(clock, (v & 0xFFF) * 10); break;
    }
    CHECK((a.read(L::kIrr, 4) & 0xFFFF) == 0);
    CHECK((a.read(L::kIsr, 4) & 0xFFFF) == 0);
    uint32_t init = a.read(L::kTimerInitial, 4);
    CHECK(a.read(L::kTimerCurrent, 4) <= init);
    CHECK(clock.pending() <= 1);
    CHECK((a.read(L::kPpr, 4) & 0xF0) >= (a.read(L::kTpr, 4) & 0xF0));
  }
  for (const auto& m : sent) CHECK(m.source_apic_id <= 0x0F);  // the ID register was written too
  LocalApic b(0, clock);
  b.restore(a.save());
  CHECK(b.save() == a.save());
}
