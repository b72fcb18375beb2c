// i8042 keyboard controller with PS/2 keyboard and mouse, and port 0x92: controller commands,
// translation, keyboard and mouse command replies, IRQ1/IRQ12 transitions, A20 and reset
// outputs, reset/save/restore and random port traffic. Driven through ports 0x60/0x64 as a
// driver does.
#include "devices/i8042.h"
#include "devices/port92.h"

#include <doctest/doctest.h>

#include <random>
#include <vector>

using namespace vmlab::devices;
using vmlab::machine::IrqLine;

namespace {

constexpr uint64_t kData = 0, kCmd = 4;  // offsets in the 0x60-0x64 window

// Reads 0x60 while the status says a byte is there (bounded, so a bug cannot hang the test).
std::vector<uint8_t> drain(I8042& k) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 256 && (k.read(kCmd, 1) & I8042::kStOutFull); ++i)
    out.push_back(uint8_t(k.read(kData, 1)));
  return out;
}

void set_command_byte(I8042& k, uint8_t v) {
  k.write(kCmd, 1, 0x60);
  k.write(kData, 1, v);
}

using Bytes = std::vector<uint8_t>;

}  // namespace

TEST_CASE("i8042_self_test_and_interface_tests_reply_as_a_working_controller") {
  I8042 k(nullptr, nullptr);
  CHECK((k.read(kCmd, 1) & I8042::kStOutFull) == 0);
  k.write(kCmd, 1, 0xAA);
  CHECK((k.read(kCmd, 1) & (I8042::kStOutFull | I8042::kStAuxData)) == I8042::kStOutFull);
  CHECK(k.read(kData, 1) == 0x55);
  CHECK((k.read(kCmd, 1) & I8042::kStOutFull) == 0);
  k.write(kCmd, 1, 0xAB);
  CHECK(drain(k) == Bytes{0x00});
  k.write(kCmd, 1, 0xA9);
  CHECK(drain(k) == Bytes{0x00});
  CHECK((k.read(kCmd, 1) & I8042::kStCommand) != 0);  // last write went to 0x64
}

TEST_CASE("i8042_command_byte_round_trips_and_drives_the_system_flag") {
  I8042 k(nullptr, nullptr);
  k.write(kCmd, 1, 0x20);
  CHECK(drain(k) == Bytes{0x45});  // power-on value: as a BIOS leaves it
  set_command_byte(k, 0x63);
  CHECK((k.read(kCmd, 1) & I8042::kStCommand) == 0);  // data write
  CHECK((k.read(kCmd, 1) & I8042::kStSystem) == 0);
  k.write(kCmd, 1, 0x20);
  CHECK(drain(k) == Bytes{0x63});
  set_command_byte(k, 0x47);
  CHECK((k.read(kCmd, 1) & I8042::kStSystem) != 0);
  // Other RAM bytes are plain storage.
  k.write(kCmd, 1, 0x65);
  k.write(kData, 1, 0x9C);
  k.write(kCmd, 1, 0x25);
  CHECK(drain(k) == Bytes{0x9C});
  // AD/AE and A7/A8 are command-byte bits 4 and 5.
  k.write(kCmd, 1, 0xAD);
  k.write(kCmd, 1, 0xA7);
  k.write(kCmd, 1, 0x20);
  CHECK(drain(k) == Bytes{0x77});
  k.write(kCmd, 1, 0xAE);
  k.write(kCmd, 1, 0xA8);
  k.write(kCmd, 1, 0x20);
  CHECK(drain(k) == Bytes{0x47});
}

TEST_CASE("i8042_translation_off_passes_set_2_make_and_break_codes") {
  I8042 k(nullptr, nullptr);
  set_command_byte(k, 0x05);
  k.keyboard().key_down(0x1C);
  k.keyboard().key_up(0x1C);
  k.keyboard().key_down(0xE075);
  k.keyboard().key_up(0xE075);
  CHECK(drain(k) == Bytes{0x1C, 0xF0, 0x1C, 0xE0, 0x75, 0xE0, 0xF0, 0x75});
}

TEST_CASE("i8042_translation_on_turns_set_2_into_set_1_with_break_bit_7") {
  I8042 k(nullptr, nullptr);  // power-on command byte has translation on
  k.keyboard().key_down(0x1C);     // A
  k.keyboard().key_up(0x1C);
  k.keyboard().key_down(0xE075);   // up arrow
  k.keyboard().key_up(0xE075);
  k.keyboard().send_scancodes({0x76, 0x83, 0xF0, 0x83});  // Esc, F7 make/break
  CHECK(drain(k) == Bytes{0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8, 0x01, 0x41, 0xC1});
  CHECK(kSet2ToSet1[0x5A] == 0x1C);  // Enter
  CHECK(kSet2ToSet1[0x29] == 0x39);  // Space
  CHECK(kSet2ToSet1[0x07] == 0x58);  // F12
  CHECK(kSet2ToSet1[0xFA] == 0xFA);  // replies pass through
}

TEST_CASE("i8042_keyboard_reset_echo_identify_and_unknown_commands") {
  I8042 k(nullptr, nullptr);
  set_command_byte(k, 0x05);  // untranslated
  k.write(kData, 1, 0xFF);
  CHECK(drain(k) == Bytes{0xFA, 0xAA});
  k.write(kData, 1, 0xEE);
  CHECK(drain(k) == Bytes{0xEE});
  k.write(kData, 1, 0xF2);
  CHECK(drain(k) == Bytes{0xFA, 0xAB, 0x83});
  k.write(kData, 1, 0x42);  // not a command
  CHECK(drain(k) == Bytes{0xFE});
  k.write(kData, 1, 0xF0);
  k.write(kData, 1, 0x00);  // get scancode set
  CHECK(drain(k) == Bytes{0xFA, 0xFA, 0x02});
  k.write(kData, 1, 0xF0);
  k.write(kData, 1, 0x01);  // set 1 requested: acknowledged, stays in set 2
  CHECK(drain(k) == Bytes{0xFA, 0xFA});
  CHECK(k.keyboard().save().scancode_set == 2);
  k.write(kData, 1, 0xF3);
  k.write(kData, 1, 0x20);
  CHECK(drain(k) == Bytes{0xFA, 0xFA});
  CHECK(k.keyboard().save().typematic == 0x20);
  // Translated, the identify bytes come out as Linux knows them: AB 41.
  set_command_byte(k, 0x45);
  k.write(kData, 1, 0xF2);
  CHECK(drain(k) == Bytes{0xFA, 0xAB, 0x41});
}

TEST_CASE("i8042_keyboard_led_command_takes_its_argument_in_a_second_write") {
  I8042 k(nullptr, nullptr);
  k.write(kData, 1, 0xED);
  CHECK(drain(k) == Bytes{0xFA});
  CHECK(k.keyboard().save().pending_cmd == 0xED);
  k.write(kData, 1, 0x07);
  CHECK(drain(k) == Bytes{0xFA});
  CHECK(k.keyboard().save().leds == 0x07);
  // A driver that gives up after ED and sends a new command gets that command run.
  k.write(kData, 1, 0xED);
  k.write(kData, 1, 0xEE);
  CHECK(drain(k) == Bytes{0xFA, 0xEE});
  CHECK(k.keyboard().save().leds == 0x07);
}

TEST_CASE("i8042_disabled_keyboard_sends_nothing") {
  I8042 k(nullptr, nullptr);
  set_command_byte(k, 0x05);
  k.write(kData, 1, 0xF5);
  CHECK(drain(k) == Bytes{0xFA});
  k.keyboard().key_down(0x1C);
  CHECK(drain(k).empty());
  k.write(kData, 1, 0xF4);
  CHECK(drain(k) == Bytes{0xFA});
  k.keyboard().key_down(0x1C);
  CHECK(drain(k) == Bytes{0x1C});
  // The controller's AD holds keyboard bytes back until AE.
  k.write(kCmd, 1, 0xAD);
  k.keyboard().key_down(0x1B);
  CHECK(drain(k).empty());
  k.write(kCmd, 1, 0xAE);
  CHECK(drain(k) == Bytes{0x1B});
}

TEST_CASE("i8042_irq1_follows_the_output_buffer_and_the_interrupt_enable_bit") {
  IrqLine irq1, irq12;
  int rises = 0;
  irq1.connect([&](bool level) { rises += level; });
  I8042 k(&irq1, &irq12);
  set_command_byte(k, 0x05);
  CHECK_FALSE(irq1.level());
  k.keyboard().key_down(0x1C);
  CHECK(irq1.level());
  CHECK(rises == 1);
  CHECK(k.read(kData, 1) == 0x1C);
  CHECK_FALSE(irq1.level());
  k.keyboard().key_up(0x1C);  // two bytes: one interrupt each
  CHECK(irq1.level());
  CHECK(k.read(kData, 1) == 0xF0);
  CHECK(irq1.level());
  CHECK(rises == 3);  // dropped and raised again for the second byte
  CHECK(k.read(kData, 1) == 0x1C);
  CHECK_FALSE(irq1.level());
  CHECK_FALSE(irq12.level());
  // Interrupt bit off: the byte waits in the buffer, no IRQ.
  set_command_byte(k, 0x04);
  k.keyboard().key_down(0x1C);
  CHECK((k.read(kCmd, 1) & I8042::kStOutFull) != 0);
  CHECK_FALSE(irq1.level());
  set_command_byte(k, 0x05);  // enabling it with a byte waiting raises the line
  CHECK(irq1.level());
  drain(k);
  CHECK_FALSE(irq1.level());
}

TEST_CASE("i8042_mouse_commands_through_d4_reply_on_the_aux_channel_with_irq12") {
  IrqLine irq1, irq12;
  I8042 k(&irq1, &irq12);
  set_command_byte(k, 0x47);  // both interrupts on
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xFF);
  CHECK((k.read(kCmd, 1) & (I8042::kStOutFull | I8042::kStAuxData)) ==
        (I8042::kStOutFull | I8042::kStAuxData));
  CHECK(irq12.level());
  CHECK_FALSE(irq1.level());
  CHECK(drain(k) == Bytes{0xFA, 0xAA, 0x00});  // mouse bytes are never translated
  CHECK_FALSE(irq12.level());
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xF2);
  CHECK(drain(k) == Bytes{0xFA, 0x00});
  for (uint8_t rate : {200, 100, 80}) {  // IntelliMouse knock
    k.write(kCmd, 1, 0xD4);
    k.write(kData, 1, 0xF3);
    k.write(kCmd, 1, 0xD4);
    k.write(kData, 1, rate);
  }
  CHECK(drain(k) == Bytes{0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA});
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xF2);
  CHECK(drain(k) == Bytes{0xFA, 0x03});
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xE9);  // status: stream, reporting off, scaling 1:1, res 2, rate 80
  CHECK(drain(k) == Bytes{0xFA, 0x00, 0x02, 80});
  // D3 puts a byte in the buffer as if from the mouse; D2 as if from the keyboard.
  k.write(kCmd, 1, 0xD3);
  k.write(kData, 1, 0x5A);
  CHECK(irq12.level());
  CHECK(drain(k) == Bytes{0x5A});
  k.write(kCmd, 1, 0xD2);
  k.write(kData, 1, 0x5B);
  CHECK(irq1.level());
  CHECK((k.read(kCmd, 1) & I8042::kStAuxData) == 0);
  CHECK(drain(k) == Bytes{0x5B});
}

TEST_CASE("i8042_mouse_packets_carry_sign_and_overflow_bits") {
  I8042 k(nullptr, nullptr);
  k.mouse().move(5, 5, 0);  // reporting off: nothing
  CHECK(drain(k).empty());
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xF4);
  CHECK(drain(k) == Bytes{0xFA});
  k.mouse().move(5, -3, Ps2Mouse::kLeft);
  CHECK(drain(k) == Bytes{0x29, 0x05, 0xFD});
  k.mouse().move(-300, 400, Ps2Mouse::kRight | Ps2Mouse::kMiddle);
  CHECK(drain(k) == Bytes{0xDE, 0x00, 0xFF});  // X -256 overflow, Y 255 overflow
  k.mouse().move(-1, 0, 0);
  CHECK(drain(k) == Bytes{0x18, 0xFF, 0x00});
  // Remote mode: movement accumulates until EB.
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xF0);
  k.mouse().move(2, 0, 0);
  k.mouse().move(3, 1, 0);
  CHECK(drain(k) == Bytes{0xFA});
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xEB);
  CHECK(drain(k) == Bytes{0xFA, 0x08, 0x05, 0x01});
  // A disabled aux port (A7) holds mouse bytes back.
  k.write(kCmd, 1, 0xA7);
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xEA);
  CHECK(drain(k).empty());
  k.write(kCmd, 1, 0xA8);
  CHECK(drain(k) == Bytes{0xFA});
}

TEST_CASE("i8042_a20_and_reset_through_the_output_port_and_pulse_commands") {
  std::vector<bool> a20;
  int resets = 0;
  I8042 k(nullptr, nullptr, [&](bool on) { a20.push_back(on); }, [&] { ++resets; });
  k.write(kCmd, 1, 0xD0);
  uint8_t port = uint8_t(k.read(kData, 1));
  CHECK((port & I8042::kOutA20) != 0);
  CHECK((port & I8042::kOutReset) != 0);
  k.write(kCmd, 1, 0xD1);
  k.write(kData, 1, 0xDD);  // A20 off
  CHECK(a20 == std::vector<bool>{false});
  k.write(kCmd, 1, 0xD0);
  CHECK(drain(k) == Bytes{0xCD});
  k.write(kCmd, 1, 0xD1);
  k.write(kData, 1, 0xDF);  // A20 on
  CHECK(a20 == std::vector<bool>{false, true});
  CHECK(resets == 0);
  k.write(kCmd, 1, 0xD1);
  k.write(kData, 1, 0xDE);  // bit 0 low: reset
  CHECK(resets == 1);
  k.write(kCmd, 1, 0xFE);
  CHECK(resets == 2);
  k.write(kCmd, 1, 0xFF);  // pulses nothing
  CHECK(resets == 2);
  k.write(kCmd, 1, 0xDD);
  CHECK(a20.back() == false);
  k.write(kCmd, 1, 0xDF);
  CHECK(a20.back() == true);
}

TEST_CASE("port92_gates_a20_and_resets_on_bit_0") {
  std::vector<bool> a20;
  int resets = 0;
  Port92 p([&](bool on) { a20.push_back(on); }, [&] { ++resets; });
  CHECK(p.read(0, 1) == 0x00);
  p.write(0, 1, 0x02);
  CHECK(a20 == std::vector<bool>{true});
  CHECK(p.read(0, 1) == 0x02);
  p.write(0, 1, 0x03);
  CHECK(resets == 1);
  CHECK(p.read(0, 1) == 0x02);  // bit 0 reads 0
  CHECK(a20.size() == 1);       // A20 unchanged: no new notification
  p.write(0, 1, 0x00);
  CHECK(a20.back() == false);
  p.write(0, 1, 0x02);
  auto s = p.save();
  Port92 q;
  q.restore(s);
  CHECK(q.read(0, 1) == 0x02);
  p.reset();
  CHECK(p.save() == Port92::State{});
  CHECK(a20.back() == false);
}

TEST_CASE("i8042_fresh_equals_reset") {
  I8042 fresh(nullptr, nullptr);
  IrqLine irq1;
  I8042 k(&irq1, nullptr);
  set_command_byte(k, 0x03);
  k.write(kData, 1, 0xED);
  k.keyboard().key_down(0x1C);
  k.write(kCmd, 1, 0xD4);
  k.write(kData, 1, 0xF4);
  k.mouse().move(1, 1, 1);
  k.write(kCmd, 1, 0xD1);
  k.write(kData, 1, 0x01);
  k.reset();
  CHECK(k.save() == fresh.save());
  CHECK_FALSE(irq1.level());
}

TEST_CASE("i8042_save_restore_round_trips_buffer_and_queues") {
  IrqLine irq1a, irq1b;
  I8042 a(&irq1a, nullptr);
  set_command_byte(a, 0x05);
  a.write(kData, 1, 0xF2);  // FA AB 83
  a.keyboard().key_down(0x1C);
  a.write(kCmd, 1, 0xD4);
  a.write(kData, 1, 0xF4);
  a.mouse().move(3, 4, 0);
  a.write(kData, 1, 0xED);  // pending LED argument
  auto s = a.save();
  I8042 b(&irq1b, nullptr);
  b.restore(s);
  CHECK(b.save() == s);
  CHECK(irq1b.level() == irq1a.level());
  b.write(kData, 1, 0x02);
  a.write(kData, 1, 0x02);
  Bytes da = drain(a), db = drain(b);
  CHECK(da == db);
  CHECK(da == Bytes{0xFA, 0xAB, 0x83, 0x1C, 0xFA, 0xFA, 0xFA, 0x08, 0x03, 0x04});  // kbd first
  // Snapshot nonsense is clamped, not trusted.
  s.keyboard.out.count = 200;
  s.pending_cmd = 0x99;
  b.restore(s);
  CHECK(b.save().keyboard.out.count <= Ps2ByteQueue::kCapacity);
  CHECK(b.save().pending_cmd == 0);
}

TEST_CASE("i8042_random_port_traffic_never_crashes_and_keeps_queues_bounded") {
  std::mt19937 rng(8042);
  IrqLine irq1, irq12;
  int resets = 0;
  I8042 k(&irq1, &irq12, [](bool) {}, [&] { ++resets; });
  for (int i = 0; i < 50000; ++i) {
    unsigned op = rng() % 8;
    uint8_t v = uint8_t(rng());
    switch (op) {
      case 0: k.write(kData, 1, v); break;
      case 1: k.write(kCmd, 1, v); break;
      case 2: k.read(kData, 1); break;
      case 3: k.read(kCmd, 1); break;
      case 4: k.keyboard().key_down(uint16_t(rng() & 0xE0FF)); break;
      case 5: k.mouse().move(int(rng() % 2001) - 1000, int(rng() % 2001) - 1000, v); break;
      case 6: k.read(uint64_t(rng() % 5), 1 + rng() % 2); break;
      default: k.write(uint64_t(rng() % 5), 1, v); break;
    }
    auto s = k.save();
    REQUIRE(s.keyboard.out.count <= Ps2ByteQueue::kCapacity);
    REQUIRE(s.mouse.out.count <= Ps2ByteQueue::kCapacity);
    REQUIRE((!s.obf_aux || s.obf));
    REQUIRE(irq1.level() == (s.obf && !s.obf_aux && (s.ram[0] & I8042::kCbKbdInt)));
    REQUIRE(irq12.level() == (s.obf && s.obf_aux && (s.ram[0] & I8042::kCbAuxInt)));
  }
  CHECK(resets > 0);  // the traffic did reach the reset paths
}
