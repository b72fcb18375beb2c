// PS/2 keyboard command handling and host key input (see ps2_keyboard.h).
#include "devices/ps2_keyboard.h"

namespace vmlab::devices {

void Ps2Keyboard::reply(uint8_t b) {
  if (state_.out.push(b)) {
    state_.last_sent = b;
  } else {
    ++state_.dropped;
  }
}

void Ps2Keyboard::set_defaults() {
  state_.typematic = 0x2B;
  state_.scancode_set = 2;
}

void Ps2Keyboard::write(uint8_t byte) {
  // An argument byte for ED/F0/F3. A byte that is itself a command (>= 0xED) cancels the
  // pending command and runs instead, as keyboards do when a driver gives up mid-sequence.
  if (state_.pending_cmd != 0 && byte < 0xED) {
    uint8_t cmd = state_.pending_cmd;
    state_.pending_cmd = 0;
    switch (cmd) {
      case 0xED: state_.leds = byte & 0x07; reply(kAck); break;
      case 0xF3: state_.typematic = byte & 0x7F; reply(kAck); break;
      case 0xF0:
        reply(kAck);
        // 0 = "which set?"; 1 and 3 are acknowledged but not supported: stay in set 2.
        if (byte == 0) reply(state_.scancode_set);
        break;
      default: break;
    }
    notify();
    return;
  }
  state_.pending_cmd = 0;
  switch (byte) {
    case 0xFF:  // reset: the self-test (BAT) passes at once
      state_.out.clear();
      set_defaults();
      state_.leds = 0;
      state_.scanning = true;
      reply(kAck);
      reply(kBatOk);
      break;
    case 0xFE: reply(state_.last_sent); break;
    case 0xF6: set_defaults(); reply(kAck); break;
    case 0xF5:
      state_.scanning = false;
      set_defaults();
      state_.out.clear();
      reply(kAck);
      break;
    case 0xF4:
      state_.out.clear();  // enabling clears the keyboard's buffer
      state_.scanning = true;
      reply(kAck);
      break;
    case 0xF3: case 0xF0: case 0xED:
      reply(kAck);
      state_.pending_cmd = byte;
      break;
    case 0xF2: reply(kAck); reply(0xAB); reply(0x83); break;
    case 0xEE: reply(kEcho); break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA: case 0xFB: case 0xFC: case 0xFD:
      reply(kAck);  // set-3 key-type commands: meaningless in set 2, harmless to accept
      break;
    default: reply(kResend); break;
  }
  notify();
}

void Ps2Keyboard::send_scancodes(std::span<const uint8_t> bytes) {
  if (!state_.scanning || bytes.empty()) return;
  // A key's bytes go in whole or not at all: half a break code would leave the guest's key
  // state machine confused.
  if (state_.out.room() < bytes.size()) {
    state_.dropped += bytes.size();
    return;
  }
  for (uint8_t b : bytes) reply(b);
  notify();
}

void Ps2Keyboard::key_down(uint16_t code) {
  if (code > 0xFF) send_scancodes({uint8_t(code >> 8), uint8_t(code)});
  else send_scancodes({uint8_t(code)});
}

void Ps2Keyboard::key_up(uint16_t code) {
  if (code > 0xFF) send_scancodes({uint8_t(code >> 8), 0xF0, uint8_t(code)});
  else send_scancodes({0xF0, uint8_t(code)});
}

void Ps2Keyboard::restore(const State& s) {
  state_ = s;
  state_.out.sanitize();
  state_.leds &= 0x07;
  state_.typematic &= 0x7F;
  state_.scancode_set = 2;
  if (state_.pending_cmd != 0xED && state_.pending_cmd != 0xF0 && state_.pending_cmd != 0xF3)
    state_.pending_cmd = 0;
}

}  // namespace vmlab::devices
