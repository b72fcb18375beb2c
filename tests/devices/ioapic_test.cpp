// Intel 82093AA I/O APIC: indirect register access, redirection entries, edge and level delivery,
// Remote IRR and the EOI broadcast, polarity, masking, reset and save/restore, random traffic.
#include "devices/ioapic.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

using namespace vmlab::devices;

namespace {

// Drives the chip the way a driver does: select, then read/write the window.
struct Rig {
  std::vector<ApicMessage> sent;
  Ioapic io{[this](const ApicMessage& m) { sent.push_back(m); }};

  uint32_t reg(uint8_t index) { io.write(Ioapic::kRegSel, 4, index); return io.read(Ioapic::kWindow, 4); }
  void set_reg(uint8_t index, uint32_t v) { io.write(Ioapic::kRegSel, 4, index); io.write(Ioapic::kWindow, 4, v); }
  uint64_t entry(unsigned pin) {
    uint8_t r = uint8_t(0x10 + 2 * pin);
    return uint64_t(reg(r)) | (uint64_t(reg(uint8_t(r + 1))) << 32);
  }
  // Linux order: high dword (destination) first, then low dword (which may unmask).
  void set_entry(unsigned pin, uint64_t e) {
    uint8_t r = uint8_t(0x10 + 2 * pin);
    set_reg(uint8_t(r + 1), uint32_t(e >> 32));
    set_reg(r, uint32_t(e));
  }
};

constexpr uint64_t kLevel = Ioapic::kLevelTrigger, kLow = Ioapic::kPolarityLow, kMask = Ioapic::kMasked;

}  // namespace

TEST_CASE("ioapic_id_ver_arb_registers_read_as_the_datasheet_says") {
  Rig r;
  CHECK(r.reg(0x00) == 0);
  CHECK(r.reg(0x01) == 0x00170011);  // version 0x11, max redirection entry 23
  CHECK(r.reg(0x02) == 0);
  r.set_reg(0x00, 0xFFFFFFFF);
  CHECK(r.reg(0x00) == 0x0F000000);  // only bits 27:24 exist
  CHECK(r.reg(0x02) == 0x0F000000);  // arbitration ID loaded from the ID
  r.set_reg(0x01, 0);
  r.set_reg(0x02, 0);
  CHECK(r.reg(0x01) == 0x00170011);  // read-only
  CHECK(r.reg(0x02) == 0x0F000000);
  CHECK(r.io.read(Ioapic::kRegSel, 4) == 0x02);  // IOREGSEL reads back
  CHECK(r.reg(0x03) == 0);  // undefined index
  CHECK(r.reg(0x40) == 0);  // past the last entry
}

TEST_CASE("ioapic_redirection_entries_are_masked_at_reset_and_round_trip_without_ro_bits") {
  Rig r;
  for (unsigned pin = 0; pin < Ioapic::kPins; ++pin) CHECK(r.entry(pin) == Ioapic::kMasked);
  r.set_entry(5, 0xFFFFFFFF'FFFFFFFFull);
  // Reserved 55:17 read 0; Delivery Status (12) and Remote IRR (14) cannot be written.
  CHECK(r.entry(5) == 0xFF000000'0001AFFFull);
  r.set_entry(5, 0xAB000000'00000931ull);
  CHECK(r.entry(5) == 0xAB000000'00000931ull);
  CHECK(r.entry(4) == Ioapic::kMasked);  // neighbours untouched
  CHECK(r.entry(6) == Ioapic::kMasked);
}

TEST_CASE("ioapic_accesses_other_than_aligned_dwords_read_all_ones_and_are_dropped") {
  Rig r;
  r.set_reg(0x10, 0x31);  // pin 0: vector 0x31, unmasked
  CHECK(r.io.read(0x00, 1) == 0xFFFFFFFF);
  CHECK(r.io.read(0x10, 2) == 0xFFFFFFFF);
  CHECK(r.io.read(0x04, 4) == 0xFFFFFFFF);
  CHECK(r.io.read(0x20, 4) == 0xFFFFFFFF);
  r.io.write(0x00, 1, 0x01);          // would select VER
  r.io.write(0x10, 2, 0xFFFF);        // would change pin 0
  r.io.write(0x14, 4, 0xFFFFFFFF);
  CHECK(r.io.read(0x00, 4) == 0x10);
  CHECK(r.io.read(0x10, 4) == 0x31);
  CHECK(r.io.bad_accesses() == 7);
  r.io.write(0x00, 4, 0x1234);        // IOREGSEL keeps bits 7:0
  CHECK(r.io.read(0x00, 4) == 0x34);
}

TEST_CASE("ioapic_edge_pin_sends_one_message_per_asserting_edge") {
  Rig r;
  r.set_entry(2, 0x30);  // edge, active high, fixed, physical dest 0, unmasked
  r.io.set_irq(2, true);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].vector == 0x30);
  CHECK(r.sent[0].source_pin == 2);
  CHECK_FALSE(r.sent[0].level_triggered);
  r.io.set_irq(2, true);   // no new edge
  CHECK(r.sent.size() == 1);
  r.io.set_irq(2, false);  // falling edge: nothing
  CHECK(r.sent.size() == 1);
  r.io.set_irq(2, true);
  CHECK(r.sent.size() == 2);
  CHECK((r.entry(2) & Ioapic::kRemoteIrr) == 0);
  r.io.end_of_interrupt(0x30);  // an EOI for an edge vector changes nothing
  CHECK(r.sent.size() == 2);
}

TEST_CASE("ioapic_level_triggered_remote_irr_blocks_until_eoi_and_redelivers_if_still_asserted") {
  Rig r;
  r.set_entry(11, kLevel | 0x41);
  r.io.set_irq(11, true);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].level_triggered);
  CHECK(r.sent[0].source_pin == 11);
  CHECK((r.entry(11) & Ioapic::kRemoteIrr) != 0);
  r.io.set_irq(11, false);
  r.io.set_irq(11, true);  // re-asserted while Remote IRR is set: held
  CHECK(r.sent.size() == 1);
  r.io.end_of_interrupt(0x42);  // another vector: no effect
  CHECK((r.entry(11) & Ioapic::kRemoteIrr) != 0);
  r.io.end_of_interrupt(0x41);  // still asserted: delivered again, Remote IRR set again
  CHECK(r.sent.size() == 2);
  CHECK((r.entry(11) & Ioapic::kRemoteIrr) != 0);
  r.io.set_irq(11, false);      // the handler quietened the device
  r.io.end_of_interrupt(0x41);
  CHECK(r.sent.size() == 2);
  CHECK((r.entry(11) & Ioapic::kRemoteIrr) == 0);
}

TEST_CASE("ioapic_eoi_clears_every_level_pin_with_that_vector") {
  Rig r;
  r.set_entry(16, kLevel | kLow | 0x50);
  r.set_entry(17, kLevel | kLow | 0x50);  // shared vector (PCI INTx)
  r.io.set_irq(16, false);
  r.io.set_irq(17, false);
  CHECK(r.sent.size() == 2);
  r.io.set_irq(16, true);
  r.io.end_of_interrupt(0x50);
  CHECK(r.sent.size() == 3);  // only pin 17 still asserted
  CHECK(r.sent.back().source_pin == 17);
  CHECK((r.entry(16) & Ioapic::kRemoteIrr) == 0);
}

TEST_CASE("ioapic_switching_a_level_entry_to_edge_clears_a_stuck_remote_irr") {
  // Linux's __eoi_ioapic_pin for version 0x11 chips: edge, then back to level.
  Rig r;
  r.set_entry(9, kLevel | 0x60);
  r.io.set_irq(9, true);
  CHECK((r.entry(9) & Ioapic::kRemoteIrr) != 0);
  r.set_entry(9, kMask | 0x60);           // masked edge
  CHECK((r.entry(9) & Ioapic::kRemoteIrr) == 0);
  r.set_entry(9, kMask | kLevel | 0x60);  // masked level
  CHECK(r.sent.size() == 1);
  r.set_entry(9, kLevel | 0x60);          // unmasked, still asserted: delivered
  CHECK(r.sent.size() == 2);
}

TEST_CASE("ioapic_active_low_pins_assert_on_a_low_level") {
  Rig r;
  r.set_entry(3, kLow | 0x33);  // edge, active low
  r.io.set_irq(3, true);        // idle high
  CHECK(r.sent.empty());
  r.io.set_irq(3, false);       // asserting (falling) edge
  CHECK(r.sent.size() == 1);
  r.io.set_irq(3, true);
  CHECK(r.sent.size() == 1);
  r.set_entry(20, kLevel | kLow | 0x34);  // pin 20 input is low since reset: asserted at unmask
  CHECK(r.sent.size() == 2);
  CHECK(r.sent.back().vector == 0x34);
}

TEST_CASE("ioapic_masked_level_pin_is_delivered_on_unmask_but_masked_edges_are_lost") {
  Rig r;
  r.set_entry(7, kMask | kLevel | 0x47);
  r.set_entry(8, kMask | 0x48);
  r.io.set_irq(7, true);
  r.io.set_irq(8, true);
  CHECK(r.sent.empty());
  r.set_entry(8, 0x48);  // unmask the edge pin: the edge was lost
  CHECK(r.sent.empty());
  r.set_entry(7, kLevel | 0x47);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].vector == 0x47);
  // Masking a level pin with Remote IRR set keeps it set until EOI.
  r.set_entry(7, kMask | kLevel | 0x47);
  CHECK((r.entry(7) & Ioapic::kRemoteIrr) != 0);
  r.io.end_of_interrupt(0x47);
  CHECK(r.sent.size() == 1);  // masked: not re-sent
  r.set_entry(7, kLevel | 0x47);
  CHECK(r.sent.size() == 2);
}

TEST_CASE("ioapic_message_carries_destination_vector_and_modes") {
  Rig r;
  // Vector 0x99, lowest priority, logical destination mask 0x0F.
  r.set_entry(1, (0x0Full << 56) | Ioapic::kDestLogical | (1u << 8) | 0x99);
  r.io.set_irq(1, true);
  REQUIRE(r.sent.size() == 1);
  CHECK(r.sent[0].vector == 0x99);
  CHECK(r.sent[0].mode == DeliveryMode::LowestPriority);
  CHECK(r.sent[0].logical);
  CHECK(r.sent[0].destination == 0x0F);
  CHECK(r.sent[0].assert_level);
  r.set_entry(0, (0x03ull << 56) | (7u << 8));  // ExtINT from the 8259 (virtual wire)
  r.io.set_irq(0, true);
  REQUIRE(r.sent.size() == 2);
  CHECK(r.sent[1].mode == DeliveryMode::ExtInt);
  CHECK_FALSE(r.sent[1].logical);
  CHECK(r.sent[1].destination == 0x03);
  r.set_entry(4, (4u << 8) | kLevel);  // NMI, level: the local APIC never EOIs it
  r.io.set_irq(4, true);
  CHECK(r.sent.size() == 3);
  CHECK(r.sent[2].mode == DeliveryMode::Nmi);
  CHECK((r.entry(4) & Ioapic::kRemoteIrr) == 0);
  r.set_entry(5, 3u << 8);  // reserved mode: dropped and counted
  r.io.set_irq(5, true);
  CHECK(r.sent.size() == 3);
  CHECK(r.io.dropped_messages() == 1);
}

TEST_CASE("ioapic_ignores_pins_past_23") {
  Rig r;
  r.io.set_irq(24, true);
  r.io.set_irq(1000, true);
  CHECK(r.io.save().pin_levels == 0);
}

TEST_CASE("ioapic_fresh_equals_reset") {
  Rig r;
  Ioapic fresh;
  r.set_reg(0x00, 0x05000000);
  r.set_entry(3, kLevel | 0x23);
  r.io.set_irq(3, true);
  r.io.write(Ioapic::kRegSel, 4, 0x17);
  r.io.reset();
  Ioapic::State expected = fresh.save();
  expected.pin_levels = 1u << 3;  // the wire is still driven
  CHECK(r.io.save() == expected);
  CHECK(r.entry(3) == Ioapic::kMasked);
  r.io.set_irq(3, false);
  r.io.write(Ioapic::kRegSel, 4, 0);  // entry() above moved IOREGSEL
  CHECK(r.io.save() == fresh.save());
}

TEST_CASE("ioapic_save_restore_round_trip_is_byte_identical") {
  Rig a;
  a.set_reg(0x00, 0x0A000000);
  a.set_entry(10, (0x02ull << 56) | kLevel | 0x3A);
  a.set_entry(12, kLow | 0x3C);
  a.io.set_irq(10, true);
  a.io.write(Ioapic::kRegSel, 4, 0x25);
  Ioapic::State s = a.io.save();
  Rig b;
  b.io.restore(s);
  Ioapic::State s2 = b.io.save();
  CHECK(std::memcmp(&s, &s2, sizeof s) == 0);
  CHECK(b.entry(10) == a.entry(10));
  CHECK(b.reg(0x00) == 0x0A000000);
  b.io.end_of_interrupt(0x3A);  // the restored chip continues where the first left off
  CHECK(b.sent.size() == 1);
  // Restore validates: bits the chip cannot hold are dropped.
  unsigned char ones[sizeof(Ioapic::State)];
  std::memset(ones, 0xFF, sizeof ones);
  Ioapic::State junk;
  std::memcpy(static_cast<void*>(&junk), ones, sizeof junk);
  b.io.restore(junk);
  Ioapic::State v = b.io.save();
  CHECK(v.id == 0xF);
  CHECK(v.pin_levels == 0xFFFFFF);
  CHECK(v.redir[0] == 0xFF000000'0001AFFFull);  // mode 7 (ExtINT) has no Remote IRR
}

TEST_CASE("ioapic_random_register_traffic_keeps_invariants") {
  std::mt19937 rng(0x82093);
  Rig r;
  for (int i = 0; i < 20000; ++i) {
    uint32_t v = rng();
    switch (rng() % 6) {
      case 0: r.io.write(uint64_t(rng() % 0x20), 1u << (rng() % 3), v); break;
      case 1: r.io.read(uint64_t(rng() % 0x20), 1u << (rng() % 3)); break;
      case 2: r.set_reg(uint8_t(rng() % 0x44), v); break;
      case 3: r.io.set_irq(rng() % 26, v & 1); break;
      case 4: r.io.end_of_interrupt(uint8_t(v)); break;
      default: r.reg(uint8_t(rng() % 0x44)); break;
    }
    Ioapic::State s = r.io.save();
    for (uint64_t e : s.redir) {
      REQUIRE((e & ~(Ioapic::kWritableMask | Ioapic::kRemoteIrr)) == 0);
      if (e & Ioapic::kRemoteIrr) REQUIRE((e & Ioapic::kLevelTrigger) != 0);
    }
    REQUIRE(s.pin_levels < (1u << 24));
    REQUIRE(s.regsel < 0x100);
    REQUIRE(s.id < 16);
    REQUIRE(r.io.read(Ioapic::kRegSel, 4) == s.regsel);
  }
  for (const ApicMessage& m : r.sent) {
    CHECK(m.source_pin >= 0);
    CHECK(m.source_pin < 24);
  }
  CHECK(r.io.messages_sent() == r.sent.size());
  CHECK(r.sent.size() > 0);
}

TEST_CASE("ioapic_two_instances_work_side_by_side") {
  Rig a, b;
  b.set_reg(0x00, 0x09000000);
  a.set_entry(4, 0x24);
  b.set_entry(4, 0x54);
  a.io.set_irq(4, true);
  CHECK(a.sent.size() == 1);
  CHECK(b.sent.empty());
  CHECK(a.reg(0x00) == 0);
  CHECK(b.reg(0x00) == 0x09000000);
}
