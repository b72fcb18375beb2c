// PS/2 mouse command handling and packet generation (see ps2_mouse.h).
#include "devices/ps2_mouse.h"

#include <algorithm>

namespace vmlab::devices {

void Ps2Mouse::reply(uint8_t b) {
  if (state_.out.push(b)) {
    state_.last_sent = b;
  } else {
    ++state_.dropped;
  }
}

void Ps2Mouse::set_defaults() {
  state_.sample_rate = 100;
  state_.resolution = 2;
  state_.scaling_2to1 = false;
  state_.reporting = false;
  state_.remote = false;
  state_.acc_dx = state_.acc_dy = state_.acc_dz = 0;
}

void Ps2Mouse::write(uint8_t byte) {
  if (state_.pending_cmd != 0) {
    uint8_t cmd = state_.pending_cmd;
    state_.pending_cmd = 0;
    if (cmd == 0xF3) {
      state_.sample_rate = byte;
      state_.rate_history[0] = state_.rate_history[1];
      state_.rate_history[1] = state_.rate_history[2];
      state_.rate_history[2] = byte;
      if (state_.rate_history[0] == 200 && state_.rate_history[1] == 100 &&
          state_.rate_history[2] == 80)
        state_.id = 3;
    } else {  // E8
      state_.resolution = byte & 0x03;
    }
    reply(kAck);
    notify();
    return;
  }
  switch (byte) {
    case 0xFF:
      state_.out.clear();
      set_defaults();
      state_.id = 0;
      state_.rate_history[0] = state_.rate_history[1] = state_.rate_history[2] = 0;
      reply(kAck);
      reply(0xAA);
      reply(0x00);
      break;
    case 0xFE: reply(state_.last_sent); break;
    case 0xF6: set_defaults(); reply(kAck); break;
    case 0xF5: state_.reporting = false; state_.out.clear(); reply(kAck); break;
    case 0xF4: state_.reporting = true; reply(kAck); break;
    case 0xF3: case 0xE8: reply(kAck); state_.pending_cmd = byte; break;
    case 0xF2: reply(kAck); reply(state_.id); break;
    case 0xF0: state_.remote = true; reply(kAck); break;
    case 0xEA: state_.remote = false; reply(kAck); break;
    case 0xEB:
      reply(kAck);
      send_packet();
      break;
    case 0xE9: {
      // Status byte: bit 6 remote, 5 reporting, 4 scaling 2:1, 2 left, 1 middle, 0 right (note
      // the button order differs from the packet's).
      uint8_t b = uint8_t((state_.remote ? 0x40 : 0) | (state_.reporting ? 0x20 : 0) |
                          (state_.scaling_2to1 ? 0x10 : 0) | ((state_.buttons & kLeft) << 2) |
                          (state_.buttons & kMiddle ? 0x02 : 0) | ((state_.buttons & kRight) >> 1));
      reply(kAck);
      reply(b);
      reply(state_.resolution);
      reply(state_.sample_rate);
      break;
    }
    case 0xE7: state_.scaling_2to1 = true; reply(kAck); break;
    case 0xE6: state_.scaling_2to1 = false; reply(kAck); break;
    default: reply(kResend); break;
  }
  notify();
}

void Ps2Mouse::send_packet() {
  size_t len = state_.id == 3 ? 4 : 3;
  if (state_.out.room() < len) {  // a partial packet would desynchronise the guest driver
    state_.dropped += len;
    return;
  }
  int32_t dx = state_.acc_dx, dy = state_.acc_dy;
  bool ox = dx < -256 || dx > 255, oy = dy < -256 || dy > 255;
  dx = std::clamp(dx, -256, 255);
  dy = std::clamp(dy, -256, 255);
  uint8_t b0 = uint8_t(0x08 | (state_.buttons & 0x07) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0) |
                       (ox ? 0x40 : 0) | (oy ? 0x80 : 0));
  reply(b0);
  reply(uint8_t(uint32_t(dx) & 0xFF));
  reply(uint8_t(uint32_t(dy) & 0xFF));
  if (len == 4) reply(uint8_t(uint32_t(std::clamp(state_.acc_dz, -8, 7)) & 0xFF));
  state_.acc_dx = state_.acc_dy = state_.acc_dz = 0;
}

void Ps2Mouse::move(int dx, int dy, uint8_t buttons, int dz) {
  // Accumulate with saturation: a host flood of motion must not overflow an int.
  auto add = [](int32_t a, int b) {
    int64_t s = int64_t(a) + b;
    return int32_t(std::clamp<int64_t>(s, -65536, 65535));
  };
  state_.acc_dx = add(state_.acc_dx, dx);
  state_.acc_dy = add(state_.acc_dy, dy);
  state_.acc_dz = add(state_.acc_dz, dz);
  state_.buttons = buttons & 0x07;
  if (state_.remote || !state_.reporting) {
    if (!state_.reporting && !state_.remote) state_.acc_dx = state_.acc_dy = state_.acc_dz = 0;
    return;
  }
  send_packet();
  notify();
}

void Ps2Mouse::restore(const State& s) {
  state_ = s;
  state_.out.sanitize();
  state_.resolution &= 0x03;
  state_.buttons &= 0x07;
  if (state_.id != 3) state_.id = 0;
  if (state_.pending_cmd != 0xF3 && state_.pending_cmd != 0xE8) state_.pending_cmd = 0;
  state_.acc_dx = std::clamp(state_.acc_dx, -65536, 65535);
  state_.acc_dy = std::clamp(state_.acc_dy, -65536, 65535);
  state_.acc_dz = std::clamp(state_.acc_dz, -65536, 65535);
}

}  // namespace vmlab::devices
