// PCI configuration space: mechanism #1 through ports 0xCF8/0xCFC as a BIOS or kernel drives it,
// the generic type-0 header (read-only bits, BAR sizing, interrupt line, command/status), the
// i440FX host bridge, PIIX3 functions 0 and 1, PIRQ routing, reset control, save/restore.
#include <doctest/doctest.h>

#include <random>
#include <stdexcept>
#include <vector>

#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_device.h"
#include "devices/pci/pci_host.h"
#include "devices/pci/piix3.h"
#include "machine/io_bus.h"

using namespace vmlab::devices::pci;
using vmlab::machine::IoBus;

namespace {

uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg) {
  return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xFC);
}

struct Rig {
  I440fxHostBridge hb;
  Piix3Isa isa;
  Piix3Ide ide;
  PciBus bus;
  std::vector<bool> resets;
  PciHost host{bus, [this](bool hard) { resets.push_back(hard); }};
  IoBus io;
  Rig() {
    bus.add(0, 0, "i440fx", hb);
    bus.add(1, 0, "piix3-isa", isa);
    bus.add(1, 1, "piix3-ide", ide);
    io.add(0xCF8, 8, "pci-host", host);
  }
  uint32_t read(unsigned dev, unsigned fn, unsigned reg, unsigned width, unsigned busno = 0) {
    io.write(0xCF8, 4, cfg_addr(busno, dev, fn, reg));
    return io.read(0xCFC + (reg & 3), width);
  }
  void write(unsigned dev, unsigned fn, unsigned reg, unsigned width, uint32_t v, unsigned busno = 0) {
    io.write(0xCF8, 4, cfg_addr(busno, dev, fn, reg));
    io.write(0xCFC + (reg & 3), width, v);
  }
};

// A stand-in plug-in card with one memory BAR and one I/O BAR, interrupt pin INTA#.
PciDevice make_card() {
  PciDevice::Identity id;
  id.vendor = 0x10EC;
  id.device = 0x8029;
  id.class_code = 0x02;
  id.interrupt_pin = 1;
  PciDevice::BarSpecs bars{};
  bars[0] = PciBarSpec{0x1000, false};
  bars[1] = PciBarSpec{0x20, true};
  return PciDevice(id, bars);
}

}  // namespace

TEST_CASE("pci_config_address_reads_back_with_reserved_bits_zero") {
  Rig r;
  CHECK(r.io.read(0xCF8, 4) == 0);
  r.io.write(0xCF8, 4, 0x80000000u);
  CHECK(r.io.read(0xCF8, 4) == 0x80000000u);
  r.io.write(0xCF8, 4, 0xFFFFFFFFu);
  CHECK(r.io.read(0xCF8, 4) == 0x80FFFFFCu);  // bits 30-24 and 1-0 reserved
  r.io.write(0xCF8, 4, cfg_addr(0, 1, 1, 0x40));
  CHECK(r.io.read(0xCF8, 4) == 0x80000940u);
  CHECK(r.host.save().config_address == 0x80000940u);
}

TEST_CASE("pci_data_port_without_enable_bit_is_not_a_config_cycle") {
  Rig r;
  r.io.write(0xCF8, 4, cfg_addr(0, 0, 0, 0) & 0x7FFFFFFFu);  // 00:00.0 but disabled
  CHECK(r.io.read(0xCFC, 4) == 0xFFFFFFFFu);
  CHECK(r.io.read(0xCFE, 2) == 0xFFFFu);
  CHECK(r.io.read(0xCFD, 1) == 0xFFu);
  r.io.write(0xCF8, 4, 0x3C);  // interrupt line register, still disabled
  r.io.write(0xCFC, 1, 0x0B);
  CHECK(r.hb.interrupt_line() == 0);  // the write went nowhere
  r.io.write(0xCF8, 4, 0x8000003Cu);
  CHECK(r.io.read(0xCFC, 1) == 0);
}

TEST_CASE("pci_identity_of_three_functions_reads_at_every_width_and_lane") {
  Rig r;
  // i440FX at 00:00.0
  CHECK(r.read(0, 0, 0x00, 4) == 0x12378086u);
  CHECK(r.read(0, 0, 0x00, 2) == 0x8086u);
  CHECK(r.read(0, 0, 0x02, 2) == 0x1237u);
  CHECK(r.read(0, 0, 0x01, 1) == 0x80u);  // 0xCFD
  CHECK(r.read(0, 0, 0x03, 1) == 0x12u);  // 0xCFF
  CHECK(((r.read(0, 0, 0x08, 4)) >> 8) == 0x060000u);
  CHECK(r.read(0, 0, 0x0A, 2) == 0x0600u);  // 0xCFE
  // PIIX3 ISA bridge at 00:01.0
  CHECK(r.read(1, 0, 0x00, 4) == 0x70008086u);
  CHECK(r.read(1, 0, 0x02, 2) == 0x7000u);
  CHECK(r.read(1, 0, 0x0A, 2) == 0x0601u);
  CHECK(r.read(1, 0, 0x0B, 1) == 0x06u);
  CHECK(r.read(1, 0, 0x09, 1) == 0x00u);  // 0xCFD: prog-if
  // PIIX3 IDE at 00:01.1
  CHECK(r.read(1, 1, 0x00, 4) == 0x70108086u);
  CHECK(((r.read(1, 1, 0x08, 4)) >> 8) == 0x010180u);
  CHECK(r.read(1, 1, 0x09, 1) == 0x80u);    // 0xCFD
  CHECK(r.read(1, 1, 0x0A, 2) == 0x0101u);  // 0xCFE
  CHECK(r.read(1, 1, 0x3D, 1) == 0x00u);    // legacy IRQ 14/15, no PCI pin
  // A word at 0xCFD is legal within the dword: bytes 1-2 of the register.
  CHECK(r.read(1, 1, 0x01, 2) == 0x1080u);
}

TEST_CASE("pci_config_access_to_a_missing_function_reads_all_ones_and_drops_writes") {
  Rig r;
  uint64_t aborts = r.bus.master_aborts();
  CHECK(r.read(2, 0, 0x00, 4) == 0xFFFFFFFFu);  // empty slot
  CHECK(r.read(0, 1, 0x00, 2) == 0xFFFFu);      // host bridge has no function 1
  CHECK(r.read(1, 2, 0x0E, 1) == 0xFFu);        // PIIX3 function 2 (USB) not modelled
  CHECK(r.read(31, 7, 0xFC, 4) == 0xFFFFFFFFu);
  CHECK(r.read(0, 0, 0x00, 4, 1) == 0xFFFFFFFFu);  // bus 1: no bridge, no cycle
  CHECK(r.read(1, 0, 0x00, 2, 255) == 0xFFFFu);
  CHECK(r.bus.master_aborts() == aborts + 4);  // the bus 1 and 255 cycles never reached bus 0
  // Writes to missing functions change nothing anywhere (not even the same offsets elsewhere).
  auto before = std::tuple(r.hb.save(), r.isa.save(), r.ide.save());
  r.write(2, 0, 0x3C, 1, 0x0A);
  r.write(0, 1, 0x04, 2, 0x0007);
  r.write(1, 0, 0x60, 4, 0x0B0A0908u, 1);  // PIRQ registers but on bus 1
  CHECK(std::tuple(r.hb.save(), r.isa.save(), r.ide.save()) == before);
  CHECK(r.bus.find(2, 0) == nullptr);
  CHECK(r.bus.find(1, 1) == &r.ide);
  CHECK(r.bus.name(1, 0) == "piix3-isa");
}

TEST_CASE("pci_header_type_marks_only_the_piix3_as_multifunction") {
  Rig r;
  CHECK(r.read(0, 0, 0x0E, 1) == 0x00u);
  CHECK(r.read(1, 0, 0x0E, 1) == 0x80u);
  CHECK((r.read(1, 0, 0x0C, 4) >> 16 & 0xFF) == 0x80u);  // as a dword from 0x0C
  CHECK(r.read(1, 1, 0x0E, 1) == 0x00u);
  r.write(1, 0, 0x0E, 1, 0x00);  // read-only
  CHECK(r.read(1, 0, 0x0E, 1) == 0x80u);
}

TEST_CASE("pci_io_bar_sizing_and_assignment_as_a_bios_does_it") {
  Rig r;
  std::vector<std::pair<int, BarMapping>> events;
  r.ide.on_bar_change([&](int bar, const BarMapping& m) { events.push_back({bar, m}); });
  const unsigned bar4 = 0x20;
  CHECK(r.read(1, 1, bar4, 4) == 0x00000001u);  // I/O BAR, unassigned
  uint32_t saved = r.read(1, 1, bar4, 4);
  r.write(1, 1, bar4, 4, 0xFFFFFFFFu);
  uint32_t probe = r.read(1, 1, bar4, 4);
  CHECK(probe == 0xFFFFFFF1u);
  CHECK(~(probe & ~3u) + 1 == 16u);  // the size a driver computes
  r.write(1, 1, bar4, 4, saved);
  CHECK(events.empty());  // I/O decode is off: no mapping ever went live
  r.write(1, 1, bar4, 4, 0xC001);
  CHECK(r.read(1, 1, bar4, 4) == 0xC001u);
  r.write(1, 1, bar4, 4, 0xC00F);  // low bits below the size are hard-wired zero
  CHECK(r.read(1, 1, bar4, 4) == 0xC001u);
  r.write(1, 1, 0x04, 2, kCmdIo | kCmdBusMaster);
  REQUIRE(events.size() == 1);
  CHECK(events[0].first == 4);
  CHECK(events[0].second == BarMapping{true, true, 0xC000, 16});
  CHECK(r.ide.bar(4) == BarMapping{true, true, 0xC000, 16});
  // Moving the BAR with decode on reports the new place; writing the same value reports nothing.
  r.write(1, 1, bar4 + 1, 1, 0xD0);  // byte write to the high lane (0xCFD)
  REQUIRE(events.size() == 2);
  CHECK(events[1].second.base == 0xD000u);
  r.write(1, 1, bar4, 4, 0xD001);
  CHECK(events.size() == 2);
  // Other IDE BARs are not implemented: they stay zero under a sizing probe.
  for (unsigned b = 0x10; b < 0x20; b += 4) {
    r.write(1, 1, b, 4, 0xFFFFFFFFu);
    CHECK(r.read(1, 1, b, 4) == 0u);
  }
  r.write(1, 1, 0x24, 4, 0xFFFFFFFFu);
  CHECK(r.read(1, 1, 0x24, 4) == 0u);
}

TEST_CASE("pci_memory_bar_sizing_and_decode_enable") {
  PciDevice card = make_card();
  PciBus bus;
  bus.add(3, 0, "card", card);
  PciHost host(bus);
  std::vector<std::pair<int, BarMapping>> events;
  card.on_bar_change([&](int bar, const BarMapping& m) { events.push_back({bar, m}); });
  host.write(0, 4, cfg_addr(0, 3, 0, 0x10));
  CHECK(host.read(4, 4) == 0u);  // memory, 32-bit, not prefetchable
  host.write(4, 4, 0xFFFFFFFFu);
  CHECK(host.read(4, 4) == 0xFFFFF000u);
  host.write(4, 4, 0xFEBF0000u);
  host.write(0, 4, cfg_addr(0, 3, 0, 0x14));
  host.write(4, 4, 0xFFFFFFFFu);
  CHECK(host.read(4, 4) == 0xFFFFFFE1u);
  host.write(4, 4, 0x6100);
  CHECK(events.empty());
  host.write(0, 4, cfg_addr(0, 3, 0, 0x04));
  host.write(4, 2, kCmdMemory);
  REQUIRE(events.size() == 1);
  CHECK(events[0] == std::pair<int, BarMapping>{0, BarMapping{false, true, 0xFEBF0000u, 0x1000}});
  host.write(4, 2, kCmdMemory | kCmdIo);
  REQUIRE(events.size() == 2);
  CHECK(events[1] == std::pair<int, BarMapping>{1, BarMapping{true, true, 0x6100, 0x20}});
  host.write(4, 2, 0);  // a driver disabling decode before sizing
  CHECK(events.size() == 4);
  CHECK_FALSE(card.bar(0).enabled);
  CHECK_FALSE(card.bar(1).enabled);
}

TEST_CASE("pci_read_only_fields_stay_read_only_under_whole_dword_writes") {
  Rig r;
  PciDevice card = make_card();
  for (PciDevice* d : {static_cast<PciDevice*>(&r.hb), static_cast<PciDevice*>(&r.isa),
                       static_cast<PciDevice*>(&r.ide), &card}) {
    uint32_t id = d->config_read(0x00, 4), cls = d->config_read(0x08, 4);
    uint32_t hdr = d->config_read(0x0C, 4), pin = d->config_read(0x3D, 1);
    d->config_write(0x00, 4, 0xFFFFFFFFu);
    d->config_write(0x08, 4, 0x00000000u);
    d->config_write(0x0C, 4, 0xFFFFFFFFu);
    d->config_write(0x3C, 4, 0xFFFFFFFFu);
    d->config_write(0x30, 4, 0xFFFFFFFFu);  // no expansion ROM
    d->config_write(0x34, 1, 0xFF);          // no capability list
    CHECK(d->config_read(0x00, 4) == id);
    CHECK(d->config_read(0x08, 4) == cls);
    CHECK(d->config_read(0x0C, 4) == hdr);
    CHECK(d->config_read(0x3D, 1) == pin);
    CHECK(d->config_read(0x30, 4) == 0u);
    CHECK(d->config_read(0x34, 1) == 0u);
  }
  CHECK(card.config_read(0x3D, 1) == 1u);  // INTA#
}

TEST_CASE("pci_interrupt_line_is_writable_and_the_pin_is_not") {
  Rig r;
  PciDevice card = make_card();
  PciBus bus;
  bus.add(5, 0, "card", card);
  PciHost host(bus);
  host.write(0, 4, cfg_addr(0, 5, 0, 0x3C));
  CHECK(host.read(4, 2) == 0x0100u);  // line 0, pin INTA#
  host.write(4, 2, 0x040B);            // a word write: line 11 and an attempt at pin 4
  CHECK(host.read(4, 1) == 0x0Bu);
  CHECK(host.read(5, 1) == 0x01u);     // 0xCFD: the pin did not change
  CHECK(card.interrupt_line() == 0x0B);
  r.write(1, 1, 0x3C, 1, 0x0E);
  CHECK(r.read(1, 1, 0x3C, 1) == 0x0Eu);
}

TEST_CASE("pci_pirq_route_registers_and_the_routing_accessor") {
  Rig r;
  CHECK(r.read(1, 0, 0x60, 4) == 0x80808080u);  // all disabled at reset
  for (unsigned p = 0; p < 4; ++p) CHECK_FALSE(r.isa.pirq_irq(p).has_value());
  // SeaBIOS-style programming: PIRQA-D -> 10, 10, 11, 11, one byte each.
  r.write(1, 0, 0x60, 1, 10);
  r.write(1, 0, 0x61, 1, 10);  // 0xCFD
  r.write(1, 0, 0x62, 2, 0x0B0B);  // 0xCFE, a word for C and D
  CHECK(r.read(1, 0, 0x60, 4) == 0x0B0B0A0Au);
  CHECK(r.isa.pirq_irq(0) == 10u);
  CHECK(r.isa.pirq_irq(3) == 11u);
  CHECK_FALSE(r.isa.pirq_irq(4).has_value());
  // Reserved bits 6-4 read zero; bit 7 disables again.
  r.write(1, 0, 0x62, 1, 0x75);
  CHECK(r.read(1, 0, 0x62, 1) == 0x05u);
  CHECK(r.isa.pirq_irq(2) == 5u);
  r.write(1, 0, 0x62, 1, 0x85);
  CHECK_FALSE(r.isa.pirq_irq(2).has_value());
  // Reserved IRQ numbers route nowhere.
  for (unsigned irq : {0u, 1u, 2u, 8u, 13u}) {
    r.write(1, 0, 0x63, 1, irq);
    CHECK_FALSE(r.isa.pirq_irq(3).has_value());
  }
  r.write(1, 0, 0x63, 1, 15);
  CHECK(r.isa.pirq_irq(3) == 15u);
  // Board swizzle: slot 1 INTA# -> PIRQA, slot 2 INTA# -> PIRQB, slot 3 INTD# -> PIRQB...
  CHECK(Piix3Isa::pirq_for(1, Piix3Isa::kIntA) == 0u);
  CHECK(Piix3Isa::pirq_for(2, Piix3Isa::kIntA) == 1u);
  CHECK(Piix3Isa::pirq_for(3, Piix3Isa::kIntD) == 1u);
  CHECK(Piix3Isa::pirq_for(0, Piix3Isa::kIntA) == 3u);
  CHECK(r.isa.isa_irq_for(1, Piix3Isa::kIntA) == 10u);   // PIRQA
  CHECK(r.isa.isa_irq_for(4, Piix3Isa::kIntA) == 15u);   // PIRQD
  CHECK_FALSE(r.isa.isa_irq_for(3, Piix3Isa::kIntA).has_value());  // PIRQC disabled
}

TEST_CASE("pci_command_register_keeps_only_implemented_bits") {
  Rig r;
  CHECK(r.read(0, 0, 0x04, 2) == 0x0006u);  // host bridge: memory + bus master, hard-wired
  CHECK(r.read(1, 0, 0x04, 2) == 0x0007u);  // ISA bridge
  CHECK(r.read(1, 1, 0x04, 2) == 0x0000u);  // IDE: off until the BIOS enables it
  r.write(0, 0, 0x04, 2, 0xFFFF);
  CHECK(r.read(0, 0, 0x04, 2) == 0x0146u);
  r.write(0, 0, 0x04, 2, 0x0000);
  CHECK(r.read(0, 0, 0x04, 2) == 0x0006u);
  r.write(1, 1, 0x04, 2, 0xFFFF);
  CHECK(r.read(1, 1, 0x04, 2) == 0x0005u);  // I/O + bus master only
  PciDevice card = make_card();
  card.config_write(0x04, 2, 0xFFFF);
  CHECK(card.command() == 0x0547u);
  // A dword write to 0x04 also hits status: its RO bits stay, and writing 1s to clear error
  // bits that are not set changes nothing.
  r.write(1, 1, 0x04, 4, 0xFFFF0001u);
  CHECK(r.read(1, 1, 0x04, 4) == 0x02800001u);
}

TEST_CASE("pci_status_error_bits_are_write_one_to_clear") {
  PciDevice card = make_card();
  PciDevice::State s = card.save();
  s.config[kStatus + 1] = 0xF9;  // as if every error had been signalled
  card.restore(s);
  CHECK(card.config_read(kStatus, 2) == 0xF900u);
  card.config_write(kStatus, 2, 0x0100);  // clear data parity only
  CHECK(card.config_read(kStatus, 2) == 0xF800u);
  card.config_write(kStatus, 2, 0x0000);  // writing 0 keeps them
  CHECK(card.config_read(kStatus, 2) == 0xF800u);
  card.config_write(kCommand, 4, 0xFFFF0000u);
  CHECK(card.config_read(kStatus, 2) == 0u);
}

TEST_CASE("pci_byte_access_to_0xcf8_is_not_config_address_and_0xcf9_requests_reset") {
  Rig r;
  r.io.write(0xCF8, 4, cfg_addr(0, 1, 0, 0));
  r.io.write(0xCF8, 1, 0x00);
  r.io.write(0xCFA, 2, 0x0000);
  CHECK(r.io.read(0xCF8, 4) == cfg_addr(0, 1, 0, 0));  // untouched
  CHECK(r.io.read(0xCF8, 1) == 0xFFu);
  CHECK(r.io.read(0xCFA, 2) == 0xFFFFu);
  CHECK(r.io.read(0xCF9, 1) == 0x00u);
  r.io.write(0xCF9, 1, 0x02);  // select hard reset: no reset yet
  CHECK(r.resets.empty());
  CHECK(r.io.read(0xCF9, 1) == 0x02u);
  r.io.write(0xCF9, 1, 0x06);  // the classic "outb 0x06, 0xcf9"
  REQUIRE(r.resets.size() == 1);
  CHECK(r.resets[0] == true);
  CHECK(r.io.read(0xCF9, 1) == 0x02u);  // bit 2 does not read back
  r.io.write(0xCF9, 1, 0x04);  // soft reset
  REQUIRE(r.resets.size() == 2);
  CHECK(r.resets[1] == false);
  CHECK(r.host.reset_requests() == 2);
  CHECK(r.io.read(0xCF8, 4) == cfg_addr(0, 1, 0, 0));
  CHECK(r.read(1, 0, 0x00, 2) == 0x8086u);  // config still works afterwards
}

TEST_CASE("pci_fresh_devices_equal_reset_devices") {
  Rig r, fresh;
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    unsigned dev = rng() % 2, fn = rng() % 2, reg = rng() % 256, w = 1u << (rng() % 3);
    reg &= ~(w - 1);
    r.write(dev, fn, reg, w, rng());
  }
  r.io.write(0xCF9, 1, 0x02);
  r.hb.reset();
  r.isa.reset();
  r.ide.reset();
  r.host.reset();
  CHECK(r.hb.save() == fresh.hb.save());
  CHECK(r.isa.save() == fresh.isa.save());
  CHECK(r.ide.save() == fresh.ide.save());
  CHECK(r.host.save() == fresh.host.save());
  CHECK(r.isa.save().config[0x60] == 0x80);
  CHECK(r.hb.save().config[I440fxHostBridge::kSmram] == 0x02);
}

TEST_CASE("pci_save_restore_round_trip_gives_identical_bytes") {
  Rig a;
  a.write(1, 0, 0x60, 4, 0x0B0B0A0Au);
  a.write(1, 1, 0x20, 4, 0xC001);
  a.write(1, 1, 0x04, 2, 0x0005);
  a.write(1, 1, 0x40, 4, 0x80008000u);
  a.write(0, 0, 0x59, 4, 0x33333330u);
  a.write(1, 1, 0x3C, 1, 14);
  a.io.write(0xCF9, 1, 0x02);
  a.io.write(0xCF8, 4, cfg_addr(0, 1, 1, 0x08));
  Rig b;
  int moved = 0;
  b.ide.on_bar_change([&](int bar, const BarMapping& m) {
    CHECK(bar == 4);
    CHECK(m == BarMapping{true, true, 0xC000, 16});
    ++moved;
  });
  b.hb.restore(a.hb.save());
  b.isa.restore(a.isa.save());
  b.ide.restore(a.ide.save());
  b.host.restore(a.host.save());
  CHECK(moved == 1);  // the machine learns where the restored BAR lives
  CHECK(b.hb.save() == a.hb.save());
  CHECK(b.isa.save() == a.isa.save());
  CHECK(b.ide.save() == a.ide.save());
  CHECK(b.host.save() == a.host.save());
  // A second save of the restored devices gives the same bytes again.
  auto again = b.ide.save();
  b.ide.restore(again);
  CHECK(b.ide.save() == again);
  CHECK(moved == 1);
  CHECK(((b.io.read(0xCFC, 4)) >> 8) == 0x010180u);  // CONFIG_ADDRESS came along
  CHECK(b.isa.isa_irq_for(1, 0) == 10u);
  // Restore validates: read-only bytes come from the identity, not the snapshot.
  PciDevice::State bad = a.isa.save();
  bad.config[0x00] = 0x34;
  bad.config[0x0E] = 0x00;
  bad.config[0x62] = 0xFF;
  b.isa.restore(bad);
  CHECK(b.isa.config_read(0x00, 2) == 0x8086u);
  CHECK(b.isa.config_read(0x0E, 1) == 0x80u);
  CHECK(b.isa.config_read(0x62, 1) == 0x8Fu);
  PciHost::State hs{0xFFFFFFFFu, 0xFF};
  b.host.restore(hs);
  CHECK(b.host.save() == PciHost::State{0x80FFFFFCu, 0x02});
}

TEST_CASE("pci_bus_rejects_overlapping_or_out_of_range_registration") {
  PciBus bus;
  PciDevice a = make_card(), b = make_card();
  bus.add(3, 0, "a", a);
  CHECK_THROWS_AS(bus.add(3, 0, "b", b), std::invalid_argument);
  CHECK_THROWS_AS(bus.add(32, 0, "b", b), std::invalid_argument);
  CHECK_THROWS_AS(bus.add(3, 8, "b", b), std::invalid_argument);
  bus.add(3, 1, "b", b);
  CHECK(bus.find(3, 0) == &a);
  CHECK(bus.find(3, 1) == &b);
  CHECK(bus.read(3, 0, 0xFC, 8) == 0xFFFFFFFFu);  // malformed width: master abort, no crash
  CHECK(bus.read(3, 0, 0x100, 1) == 0xFFu);
  PciDevice::Identity id;
  PciDevice::BarSpecs bars{};
  bars[0] = PciBarSpec{24, false};
  CHECK_THROWS_AS(PciDevice(id, bars), std::invalid_argument);
  bars[0] = PciBarSpec{8, false};
  CHECK_THROWS_AS(PciDevice(id, bars), std::invalid_argument);
  bars[0] = PciBarSpec{2, true};
  CHECK_THROWS_AS(PciDevice(id, bars), std::invalid_argument);
}

TEST_CASE("pci_random_config_traffic_to_every_bdf_keeps_invariants") {
  Rig r;
  PciDevice card = make_card();
  r.bus.add(9, 3, "card", card);
  std::mt19937 rng(20261124);
  for (int i = 0; i < 200000; ++i) {
    unsigned port = 0xCF8 + rng() % 8, w = 1u << (rng() % 3);
    uint32_t v = rng();
    if (rng() % 4 == 0) {  // mostly well-formed addresses so cycles reach the functions
      v = cfg_addr(rng() % 3 == 0 ? rng() % 256 : 0, rng() % 32, rng() % 8, rng() % 256);
      port = 0xCF8;
      w = 4;
    }
    if (rng() % 2) r.io.write(port, w, v);
    else (void)r.io.read(port, w);
  }
  // Identities survive; reserved CONFIG_ADDRESS bits stay zero; PIRQ reserved bits zero.
  CHECK(r.read(0, 0, 0, 4) == 0x12378086u);
  CHECK(r.read(1, 0, 0, 4) == 0x70008086u);
  CHECK(r.read(1, 1, 0, 4) == 0x70108086u);
  CHECK(r.read(9, 3, 0, 4) == 0x802910ECu);
  CHECK(r.read(1, 0, 0x0E, 1) == 0x80u);
  CHECK((r.host.save().config_address & ~PciHost::kAddressMask) == 0u);
  for (unsigned p = 0; p < 4; ++p) CHECK((r.isa.save().config[0x60 + p] & 0x70) == 0);
  CHECK((r.read(1, 1, 0x20, 4) & 0xF) == 1u);
  CHECK((r.read(9, 3, 0x10, 4) & 0xFFF) == 0u);
  // Every BDF answers a dword read: either a function's vendor or all-ones.
  for (unsigned dev = 0; dev < 32; ++dev)
    for (unsigned fn = 0; fn < 8; ++fn) {
      uint32_t id = r.read(dev, fn, 0, 4);
      CHECK((r.bus.find(dev, fn) ? id != 0xFFFFFFFFu : id == 0xFFFFFFFFu));
    }
}
