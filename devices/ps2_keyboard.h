// A PS/2 (MF II) keyboard as the i8042 sees it: it takes command bytes from the controller and
// puts replies and scancodes into its own byte queue, which the controller drains into its
// output buffer. It speaks scancode set 2 only; the controller translates to set 1 when its
// command byte asks for it (see i8042.h).
//
//   Ps2Keyboard kbd;                       // normally owned by I8042: i8042.keyboard()
//   kbd.key_down(0x1C);  kbd.key_up(0x1C); // 'A' make (1C) and break (F0 1C)
//   kbd.key_down(0xE075);                  // extended key: up arrow (E0 75)
//   kbd.send_scancodes({0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77});  // Pause, raw bytes
//
// Commands (from the IBM PS/2 keyboard technical reference): FF reset (FA AA), FE resend,
// F6 defaults, F5 disable + defaults, F4 enable, F3 typematic (FA, byte, FA), F2 identify
// (FA AB 83), F0 scancode set (FA, byte, FA; byte 0 = "get" -> FA 02), EE echo (EE),
// ED LEDs (FA, byte, FA). Set-3-only commands F7-FD are acknowledged and ignored. Anything else
// answers FE. Requests to switch to set 1 or 3 are acknowledged and the keyboard stays in set 2.
// Typematic rate/delay is stored only: the host generates auto-repeat by calling key_down again.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include "devices/ps2_byte_queue.h"

namespace vmlab::devices {

class Ps2Keyboard {
 public:
  static constexpr uint8_t kAck = 0xFA, kResend = 0xFE, kBatOk = 0xAA, kEcho = 0xEE;

  struct State {
    Ps2ByteQueue out;            // bytes waiting for the controller
    bool scanning = true;        // F4/F5: keys are reported (on after the power-on BAT)
    uint8_t pending_cmd = 0;     // ED/F0/F3 waiting for their argument byte, else 0
    uint8_t leds = 0;            // bit 0 scroll, 1 num, 2 caps lock
    uint8_t typematic = 0x2B;    // default 10.9 cps, 500 ms delay
    uint8_t scancode_set = 2;    // always 2 (see header comment)
    uint8_t last_sent = 0;       // for FE (resend)
    uint64_t dropped = 0;        // bytes lost to a full queue
    bool operator==(const State&) const = default;
  };

  // Called whenever bytes were added to the queue (the controller refills its buffer).
  void set_data_ready(std::function<void()> fn) { data_ready_ = std::move(fn); }

  // A byte the controller sends to the keyboard (guest write to port 0x60).
  void write(uint8_t byte);
  // Host side. A code above 0xFF is an E0-prefixed key (0xE075 = up arrow).
  void key_down(uint16_t code);
  void key_up(uint16_t code);
  void send_scancodes(std::span<const uint8_t> bytes);  // raw set-2 bytes, queued as one unit
  void send_scancodes(std::initializer_list<uint8_t> bytes) {
    send_scancodes(std::span<const uint8_t>(bytes.begin(), bytes.size()));
  }

  bool has_data() const { return !state_.out.empty(); }
  uint8_t pop() { return state_.out.pop(); }

  void reset() { state_ = State{}; }
  const State& save() const { return state_; }
  void restore(const State& s);

 private:
  void reply(uint8_t b);
  void set_defaults();
  void notify() { if (data_ready_) data_ready_(); }

  State state_;
  std::function<void()> data_ready_;
};

}  // namespace vmlab::devices
