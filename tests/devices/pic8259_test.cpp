// 8259A PIC pair: the ICW sequences real firmware and kernels use, masking, priority and
// nesting, EOI variants, auto-EOI, rotation, poll mode, special mask / fully nested modes,
// spurious IRQ7/IRQ15, edge vs level (ELCR), cascade, status reads, reset, save/restore and
// random port traffic.
#include "devices/pic8259.h"

#include <doctest/doctest.h>

#include <random>

using namespace vmlab::devices;
using vmlab::machine::IrqLine;

namespace {

// Offsets: 0 = command (0x20/0xA0), 1 = data (0x21/0xA1).
void init_chip(Pic8259& c, uint8_t icw1, uint8_t base, uint8_t icw3, uint8_t icw4) {
  c.write(0, 1, icw1);
  c.write(1, 1, base);
  if (!(icw1 & 0x02)) c.write(1, 1, icw3);
  if (icw1 & 0x01) c.write(1, 1, icw4);
}

// Linux arch/x86/kernel/i8259.c: ICW1 0x11, vectors 0x30/0x38, ICW3 0x04/0x02, ICW4 0x01.
void init_linux(PicPair& p) {
  init_chip(p.master(), 0x11, 0x30, 0x04, 0x01);
  init_chip(p.slave(), 0x11, 0x38, 0x02, 0x01);
  p.master().write(1, 1, 0x00);
  p.slave().write(1, 1, 0x00);
}

// PC BIOS: IRQ0-7 at INT 08h, IRQ8-15 at INT 70h.
void init_bios(PicPair& p) {
  init_chip(p.master(), 0x11, 0x08, 0x04, 0x01);
  init_chip(p.slave(), 0x11, 0x70, 0x02, 0x01);
  p.master().write(1, 1, 0x00);
  p.slave().write(1, 1, 0x00);
}

void eoi_master(PicPair& p) { p.master().write(0, 1, 0x20); }
void eoi_slave(PicPair& p) { p.slave().write(0, 1, 0x20); }
uint8_t read_isr(Pic8259& c) { c.write(0, 1, 0x0B); return uint8_t(c.read(0, 1)); }
uint8_t read_irr(Pic8259& c) { c.write(0, 1, 0x0A); return uint8_t(c.read(0, 1)); }

}  // namespace

TEST_CASE("pic8259_linux_init_delivers_vectors_0x30_and_0x38_plus_irq") {
  PicPair p;
  init_linux(p);
  p.set_irq(0, true);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x30);
  eoi_master(p);
  p.set_irq(11, true);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x3B);
  CHECK(read_isr(p.master()) == 0x04);  // IR2 in service for the cascade
  CHECK(read_isr(p.slave()) == 0x08);
  eoi_slave(p);
  eoi_master(p);
  CHECK(read_isr(p.master()) == 0);
  CHECK(read_isr(p.slave()) == 0);
}

TEST_CASE("pic8259_bios_init_delivers_int_08_and_int_70_vectors") {
  PicPair p;
  init_bios(p);
  p.set_irq(1, true);
  CHECK(p.acknowledge() == 0x09);
  eoi_master(p);
  p.set_irq(8, true);
  CHECK(p.acknowledge() == 0x70);
  eoi_slave(p);
  eoi_master(p);
  p.set_irq(14, true);
  CHECK(p.acknowledge() == 0x76);
}

TEST_CASE("pic8259_icw_sequence_steps_through_icw2_icw3_icw4_then_data_port_is_the_mask") {
  Pic8259 c;
  c.write(0, 1, 0x11);  // ICW1: edge, cascade, ICW4 needed
  CHECK(c.save().init_step == 2);
  c.write(1, 1, 0x47);  // ICW2: low 3 bits ignored in 8086 mode
  CHECK(c.save().vector_base == 0x40);
  CHECK(c.save().init_step == 3);
  c.write(1, 1, 0x04);
  CHECK(c.save().icw3 == 0x04);
  c.write(1, 1, 0x01);
  CHECK(c.save().init_step == 0);
  c.write(1, 1, 0xA5);  // OCW1
  CHECK(c.read(1, 1) == 0xA5);
  CHECK(c.save().vector_base == 0x40);  // not another ICW2
}

TEST_CASE("pic8259_single_mode_skips_icw3_and_no_icw4_skips_icw4") {
  Pic8259 c;
  c.write(0, 1, 0x13);  // single, ICW4
  c.write(1, 1, 0x50);
  CHECK(c.save().init_step == 4);
  c.write(1, 1, 0x01);
  CHECK(c.save().init_step == 0);
  c.write(0, 1, 0x12);  // single, no ICW4
  c.write(1, 1, 0x60);
  CHECK(c.save().init_step == 0);
  c.write(1, 1, 0xFF);
  CHECK(c.read(1, 1) == 0xFF);
  CHECK(c.unsupported_setups() == 1);  // MCS-80 mode is reported, vectors stay 8086-style
  c.write(1, 1, 0x00);
  c.set_input(3, true);
  CHECK(c.acknowledge_irq() == 3);
  CHECK(c.vector_base() == 0x60);
}

TEST_CASE("pic8259_icw1_clears_mask_isr_and_requires_a_fresh_edge") {
  PicPair p;
  init_linux(p);
  p.master().write(1, 1, 0x0F);
  p.set_irq(4, true);
  CHECK(p.acknowledge() == 0x34);
  CHECK(read_isr(p.master()) == 0x10);
  p.master().write(0, 1, 0x0B);  // select ISR, then re-init: status select goes back to IRR
  init_chip(p.master(), 0x11, 0x30, 0x04, 0x01);
  CHECK(p.master().read(1, 1) == 0x00);
  CHECK(p.master().read(0, 1) == 0x00);  // IRR (edge latch reset), not ISR
  CHECK(read_isr(p.master()) == 0x00);
  CHECK_FALSE(p.intr_pending());  // line 4 still high but no new edge
  p.set_irq(4, false);
  p.set_irq(4, true);
  CHECK(p.acknowledge() == 0x34);
}

TEST_CASE("pic8259_masked_irq_stays_in_irr_and_is_delivered_when_unmasked") {
  PicPair p;
  init_linux(p);
  p.master().write(1, 1, 0x08);  // mask IRQ3
  p.set_irq(3, true);
  CHECK_FALSE(p.intr_pending());
  CHECK(read_irr(p.master()) == 0x08);
  p.master().write(1, 1, 0x00);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x33);
}

TEST_CASE("pic8259_masking_master_irq2_blocks_the_whole_slave") {
  PicPair p;
  init_linux(p);
  p.master().write(1, 1, 0x04);
  p.set_irq(12, true);
  CHECK_FALSE(p.intr_pending());
  CHECK(read_irr(p.slave()) == 0x10);
  p.master().write(1, 1, 0x00);
  CHECK(p.acknowledge() == 0x3C);
}

TEST_CASE("pic8259_priority_order_is_0_1_slave_3_to_7") {
  PicPair p;
  init_linux(p);
  for (unsigned l : {7u, 5u, 3u, 9u, 1u, 0u}) p.set_irq(l, true);
  std::vector<uint8_t> got;
  while (p.intr_pending()) {
    got.push_back(p.acknowledge());
    if (got.back() >= 0x38) eoi_slave(p);
    eoi_master(p);
  }
  CHECK(got == std::vector<uint8_t>{0x30, 0x31, 0x39, 0x33, 0x35, 0x37});
}

TEST_CASE("pic8259_higher_priority_preempts_in_service_lower_but_not_the_reverse") {
  PicPair p;
  init_linux(p);
  p.set_irq(5, true);
  CHECK(p.acknowledge() == 0x35);
  p.set_irq(6, true);  // lower: held off while 5 is in service
  CHECK_FALSE(p.intr_pending());
  p.set_irq(1, true);  // higher: nests
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x31);
  CHECK(read_isr(p.master()) == 0x22);
  eoi_master(p);  // non-specific EOI clears the highest (IRQ1)
  CHECK(read_isr(p.master()) == 0x20);
  CHECK_FALSE(p.intr_pending());
  eoi_master(p);
  CHECK(p.acknowledge() == 0x36);
}

TEST_CASE("pic8259_specific_eoi_clears_only_the_named_level") {
  PicPair p;
  init_linux(p);
  p.set_irq(6, true);
  p.acknowledge();
  p.set_irq(3, true);
  p.acknowledge();
  CHECK(read_isr(p.master()) == 0x48);
  p.master().write(0, 1, 0x66);  // specific EOI IR6
  CHECK(read_isr(p.master()) == 0x08);
  p.master().write(0, 1, 0x62);  // specific EOI of a level not in service: no effect
  CHECK(read_isr(p.master()) == 0x08);
  p.master().write(0, 1, 0x40);  // OCW2 no-op
  CHECK(read_isr(p.master()) == 0x08);
}

TEST_CASE("pic8259_auto_eoi_sets_no_isr_bit") {
  PicPair p;
  init_chip(p.master(), 0x11, 0x30, 0x04, 0x03);  // ICW4: 8086 + AEOI
  init_chip(p.slave(), 0x11, 0x38, 0x02, 0x01);
  p.set_irq(5, true);
  CHECK(p.acknowledge() == 0x35);
  CHECK(read_isr(p.master()) == 0);
  p.set_irq(6, true);  // lower level is not held off
  CHECK(p.acknowledge() == 0x36);
  p.set_irq(10, true);  // slave without AEOI: master IR2 clears itself, slave's IR2 in service
  CHECK(p.acknowledge() == 0x3A);
  CHECK(read_isr(p.master()) == 0);
  CHECK(read_isr(p.slave()) == 0x04);
}

TEST_CASE("pic8259_rotate_in_auto_eoi_mode_makes_the_served_level_lowest") {
  Pic8259 c;
  init_chip(c, 0x13, 0x40, 0, 0x03);
  c.write(0, 1, 0x80);  // set rotate in AEOI
  for (unsigned l : {2u, 5u}) c.set_input(l, true);
  CHECK(c.acknowledge_irq() == 2);
  CHECK(c.save().lowest_priority == 2);
  c.set_input(2, false);
  c.set_input(2, true);
  CHECK(c.acknowledge_irq() == 5);  // 2 is now lowest, 5 beats it
  CHECK(c.acknowledge_irq() == 2);
  c.write(0, 1, 0x00);  // clear rotate in AEOI
  c.set_input(0, true);
  CHECK(c.acknowledge_irq() == 0);
  CHECK(c.save().lowest_priority == 2);
}

TEST_CASE("pic8259_rotate_on_non_specific_eoi_gives_round_robin_among_equal_devices") {
  Pic8259 c;
  init_chip(c, 0x13, 0x40, 0, 0x01);
  std::vector<int> order;
  for (int round = 0; round < 2; ++round) {
    for (unsigned l : {1u, 4u, 6u}) { c.set_input(l, false); c.set_input(l, true); }
    for (int i = 0; i < 3; ++i) {
      order.push_back(c.acknowledge_irq());
      c.write(0, 1, 0xA0);  // rotate on non-specific EOI
      if (round == 0 && i == 0) CHECK(c.save().lowest_priority == 1);
    }
  }
  CHECK(order == std::vector<int>{1, 4, 6, 1, 4, 6});
  CHECK(c.save().lowest_priority == 6);
  c.set_input(0, false); c.set_input(0, true);
  c.set_input(7, false); c.set_input(7, true);
  CHECK(c.acknowledge_irq() == 7);  // after 6 lowest, 7 is highest
}

TEST_CASE("pic8259_set_priority_and_rotate_on_specific_eoi") {
  Pic8259 c;
  init_chip(c, 0x13, 0x40, 0, 0x01);
  c.write(0, 1, 0xC4);  // IR4 lowest: IR5 highest
  c.set_input(3, true);
  c.set_input(5, true);
  CHECK(c.acknowledge_irq() == 5);
  CHECK_FALSE(c.int_output());  // 3 ranks below 5 now
  c.write(0, 1, 0xE5);  // rotate on specific EOI 5: 5 lowest
  CHECK(c.save().isr == 0);
  CHECK(c.save().lowest_priority == 5);
  CHECK(c.acknowledge_irq() == 3);
}

TEST_CASE("pic8259_poll_mode_returns_the_level_and_acknowledges_it") {
  Pic8259 c;
  init_chip(c, 0x13, 0x40, 0, 0x01);
  c.write(1, 1, 0xFF & ~0x48);
  c.set_input(6, true);
  c.set_input(3, true);
  c.write(0, 1, 0x0C);  // OCW3 poll
  CHECK(c.read(0, 1) == 0x83);
  CHECK(c.save().isr == 0x08);
  CHECK(c.read(0, 1) == 0x40);  // poll is one-shot: now a normal IRR read
  c.write(0, 1, 0x0C);
  CHECK(c.read(0, 1) == 0x00);  // 6 is held off by 3 in service: no request
  c.write(0, 1, 0x20);
  c.write(0, 1, 0x0C);
  CHECK(c.read(0, 1) == 0x86);
}

TEST_CASE("pic8259_spurious_irq7_when_a_level_request_goes_away_before_inta") {
  PicPair p;
  init_linux(p);
  p.elcr().write(0, 1, 0x20);  // IRQ5 level
  p.set_irq(5, true);
  REQUIRE(p.intr_pending());
  p.set_irq(5, false);
  CHECK_FALSE(p.intr_pending());
  CHECK(p.acknowledge() == 0x37);
  CHECK(read_isr(p.master()) == 0);
  CHECK(read_isr(p.slave()) == 0);
}

TEST_CASE("pic8259_spurious_irq7_when_the_request_is_masked_before_inta") {
  PicPair p;
  init_bios(p);
  p.set_irq(6, true);
  p.master().write(1, 1, 0x40);
  CHECK(p.acknowledge() == 0x0F);
  CHECK(read_isr(p.master()) == 0);
  CHECK(read_irr(p.master()) == 0x40);
}

TEST_CASE("pic8259_spurious_irq15_leaves_master_ir2_in_service") {
  PicPair p;
  init_linux(p);
  p.elcr().write(1, 1, 0x08);  // IRQ11 level
  p.set_irq(11, true);
  REQUIRE(p.intr_pending());
  p.set_irq(11, false);  // gone, but the master already latched IR2 (edge)
  CHECK(p.acknowledge() == 0x3F);
  CHECK(read_isr(p.slave()) == 0);
  CHECK(read_isr(p.master()) == 0x04);  // the handler must still EOI the master
  eoi_master(p);
  CHECK(read_isr(p.master()) == 0);
}

TEST_CASE("pic8259_edge_line_must_go_low_then_high_to_request_again") {
  PicPair p;
  init_linux(p);
  p.set_irq(4, true);
  CHECK(p.acknowledge() == 0x34);
  eoi_master(p);
  CHECK_FALSE(p.intr_pending());  // still high: no new request
  p.set_irq(4, true);
  CHECK_FALSE(p.intr_pending());
  p.set_irq(4, false);
  p.set_irq(4, true);
  CHECK(p.acknowledge() == 0x34);
}

TEST_CASE("pic8259_edge_request_latched_by_a_pulse_survives_the_line_falling") {
  PicPair p;
  init_linux(p);
  IrqLine line;
  line.connect([&](bool l) { p.set_irq(3, l); });
  line.pulse();
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x33);
}

TEST_CASE("pic8259_level_mode_via_elcr_requests_again_after_eoi_while_high") {
  PicPair p;
  init_linux(p);
  p.elcr().write(0, 2, 0x0820);  // IRQ5 and IRQ11 level
  CHECK(p.elcr().read(0, 2) == 0x0820);
  p.set_irq(5, true);
  CHECK(p.acknowledge() == 0x35);
  eoi_master(p);
  CHECK(p.acknowledge() == 0x35);  // still high: requests again
  eoi_master(p);
  p.set_irq(5, false);
  CHECK_FALSE(p.intr_pending());
  CHECK(read_irr(p.master()) == 0);
}

TEST_CASE("pic8259_ltim_in_icw1_makes_every_level_level_triggered") {
  Pic8259 c;
  init_chip(c, 0x1B, 0x40, 0, 0x01);  // LTIM, single, ICW4
  c.set_input(2, true);
  CHECK(c.acknowledge_irq() == 2);
  c.write(0, 1, 0x20);
  CHECK(c.acknowledge_irq() == 2);
  c.write(0, 1, 0x20);
  c.set_input(2, false);
  CHECK_FALSE(c.int_output());
}

TEST_CASE("pic8259_elcr_keeps_irq_0_1_2_8_13_edge_triggered") {
  PicPair p;
  p.elcr().write(0, 1, 0xFF);
  p.elcr().write(1, 1, 0xFF);
  CHECK(p.elcr().read(0, 1) == 0xF8);
  CHECK(p.elcr().read(1, 1) == 0xDE);
}

TEST_CASE("pic8259_slave_requests_nest_under_master_ir2_in_fully_nested_mode") {
  PicPair p;
  init_linux(p);
  p.set_irq(12, true);
  CHECK(p.acknowledge() == 0x3C);
  p.set_irq(9, true);  // higher on the slave, but master IR2 in service blocks it
  CHECK_FALSE(p.intr_pending());
  p.set_irq(1, true);  // a higher master level still preempts
  CHECK(p.acknowledge() == 0x31);
  eoi_master(p);
  eoi_slave(p);
  eoi_master(p);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x39);
}

TEST_CASE("pic8259_special_fully_nested_mode_lets_a_higher_slave_request_through") {
  PicPair p;
  init_chip(p.master(), 0x11, 0x30, 0x04, 0x11);  // SFNM
  init_chip(p.slave(), 0x11, 0x38, 0x02, 0x01);
  p.set_irq(12, true);
  CHECK(p.acknowledge() == 0x3C);
  p.set_irq(9, true);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x39);
  CHECK(read_isr(p.slave()) == 0x12);
  p.set_irq(13, true);  // lower on the slave: the slave itself holds it off
  CHECK_FALSE(p.intr_pending());
}

TEST_CASE("pic8259_two_slave_requests_are_both_delivered_through_the_cascade") {
  PicPair p;
  init_linux(p);
  p.set_irq(10, true);
  p.set_irq(14, true);
  CHECK(p.acknowledge() == 0x3A);
  eoi_slave(p);
  eoi_master(p);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x3E);
  eoi_slave(p);
  eoi_master(p);
  CHECK_FALSE(p.intr_pending());
}

TEST_CASE("pic8259_special_mask_mode_enables_lower_levels_while_one_is_in_service") {
  Pic8259 c;
  init_chip(c, 0x13, 0x40, 0, 0x01);
  c.set_input(3, true);
  CHECK(c.acknowledge_irq() == 3);
  c.set_input(6, true);
  CHECK_FALSE(c.int_output());
  c.write(1, 1, 0x08);  // mask own level
  c.write(0, 1, 0x68);  // OCW3: ESMM + SMM
  CHECK(c.save().special_mask);
  CHECK(c.acknowledge_irq() == 6);
  c.write(0, 1, 0x48);  // ESMM, SMM=0: back to normal
  CHECK_FALSE(c.save().special_mask);
  c.write(0, 1, 0x08);  // OCW3 without ESMM leaves SMM alone
  CHECK_FALSE(c.save().special_mask);
}

TEST_CASE("pic8259_int_output_line_follows_pending_requests") {
  IrqLine intr;
  int rises = 0;
  intr.connect([&](bool l) { rises += l; });
  PicPair p(&intr);
  init_linux(p);
  CHECK_FALSE(intr.level());
  p.set_irq(13, true);
  CHECK(intr.level());
  p.acknowledge();
  CHECK_FALSE(intr.level());
  CHECK(rises == 1);
}

TEST_CASE("pic8259_wide_access_reads_command_and_data_ports_as_byte_lanes") {
  Pic8259 c;
  init_chip(c, 0x13, 0x40, 0, 0x01);
  c.write(1, 1, 0x5A);
  c.set_input(1, true);
  CHECK(c.read(0, 2) == 0x5A02);
}

TEST_CASE("pic8259_fresh_equals_reset") {
  PicPair fresh, used;
  init_linux(used);
  used.elcr().write(0, 2, 0xFFFF);
  used.set_irq(5, true);
  used.acknowledge();
  used.master().write(0, 1, 0x0E);
  used.reset();
  CHECK(used.save() == fresh.save());
  CHECK_FALSE(used.intr_pending());
}

TEST_CASE("pic8259_save_restore_round_trip_continues_identically") {
  PicPair a;
  init_linux(a);
  a.elcr().write(1, 1, 0x08);
  a.set_irq(11, true);
  a.set_irq(6, true);
  a.set_irq(3, true);
  CHECK(a.acknowledge() == 0x3B);
  a.master().write(0, 1, 0x0B);
  auto s = a.save();
  PicPair b;
  b.restore(s);
  CHECK(b.save() == s);
  CHECK(b.intr_pending() == a.intr_pending());
  CHECK(b.master().read(0, 1) == a.master().read(0, 1));
  for (PicPair* p : {&a, &b}) { p->set_irq(1, true); }
  CHECK(a.acknowledge() == b.acknowledge());
  CHECK(a.save() == b.save());
}

TEST_CASE("pic8259_restore_validates_out_of_range_fields") {
  PicPair p;
  PicPair::State s;
  s.master.lowest_priority = 200;
  s.master.vector_base = 0x37;
  s.master.init_step = 9;
  s.master.elcr = 0xFF;
  s.slave.elcr = 0xFF;
  p.restore(s);
  auto r = p.save();
  CHECK(r.master.lowest_priority < 8);
  CHECK(r.master.vector_base == 0x30);
  CHECK(r.master.init_step == 0);
  CHECK(r.master.elcr == 0xF8);
  CHECK(r.slave.elcr == 0xDE);
}

TEST_CASE("pic8259_two_pairs_are_independent") {
  PicPair a, b;
  init_linux(a);
  init_bios(b);
  a.set_irq(4, true);
  CHECK(a.intr_pending());
  CHECK_FALSE(b.intr_pending());
  b.set_irq(4, true);
  CHECK(b.acknowledge() == 0x0C);
  CHECK(a.acknowledge() == 0x34);
}

TEST_CASE("pic8259_random_port_traffic_keeps_invariants") {
  std::mt19937 rng(8259);
  PicPair p;
  init_linux(p);
  for (int i = 0; i < 200000; ++i) {
    unsigned op = rng() % 8;
    uint8_t v = uint8_t(rng());
    switch (op) {
      case 0: p.master().write(rng() & 1, 1, v); break;
      case 1: p.slave().write(rng() & 1, 1, v); break;
      case 2: p.master().read(rng() & 1, 1 + rng() % 2); p.slave().read(rng() & 1, 1); break;
      case 3: p.elcr().write(rng() & 1, 1, v); break;
      case 4: case 5: p.set_irq(rng() % 18, rng() & 1); break;
      default:
        if (p.intr_pending()) {
          uint8_t vec = p.acknowledge();
          uint8_t mb = p.master().vector_base(), sb = p.slave().vector_base();
          CHECK(((vec & 0xF8) == mb || (vec & 0xF8) == sb));
        }
        break;
    }
    auto s = p.save();
    REQUIRE(s.master.lowest_priority < 8);
    REQUIRE((s.master.elcr & 0x07) == 0);
    REQUIRE((s.slave.elcr & 0x21) == 0);
    REQUIRE(p.intr_pending() == (p.master().pending_irq() != Pic8259::kNone));
    // Level IRs always mirror their input.
    if (!s.slave.ltim) REQUIRE((s.slave.irr & s.slave.elcr) == (s.slave.input & s.slave.elcr));
    if (i % 5000 == 0) {
      PicPair q;
      q.restore(s);
      REQUIRE(q.save() == s);
    }
  }
}

TEST_CASE("pic8259_slave_request_still_pending_after_inta_is_not_lost_by_the_edge_cascade") {
  PicPair p;
  init_chip(p.master(), 0x11, 0x30, 0x04, 0x01);
  init_chip(p.slave(), 0x11, 0x38, 0x02, 0x03);  // slave in auto-EOI: its INT stays high
  p.set_irq(10, true);
  p.set_irq(14, true);
  CHECK(p.acknowledge() == 0x3A);
  CHECK_FALSE(p.intr_pending());  // master IR2 in service
  eoi_master(p);
  REQUIRE(p.intr_pending());
  CHECK(p.acknowledge() == 0x3E);
}
