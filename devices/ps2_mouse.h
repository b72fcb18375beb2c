// A PS/2 mouse on the i8042's auxiliary port: commands from the controller (via command D4),
// replies and movement packets into its own byte queue, which the controller drains with the
// AUXB status bit set and IRQ12.
//
//   Ps2Mouse& m = i8042.mouse();
//   m.move(5, -3, Ps2Mouse::kLeft);   // dx right, dy UP (PS/2 convention), buttons now held
//
// Commands (IBM PS/2 mouse technical reference): FF reset (FA AA 00), FE resend, F6 defaults,
// F5/F4 disable/enable data reporting, F3 sample rate (FA, byte, FA), F2 get ID (FA id),
// F0 remote mode, EB read data (FA + packet), EA stream mode, E9 status (FA + 3 bytes),
// E8 resolution (FA, byte, FA), E7/E6 scaling 2:1 / 1:1. Setting the sample rate to 200, 100,
// 80 in a row turns on the IntelliMouse wheel protocol: ID 3 and 4-byte packets (4th = wheel).
// Wrap mode (EE/EC) is not modelled and answers FE; 2:1 scaling is stored but not applied.
// Packet byte 0: bit 0-2 left/right/middle, bit 3 always 1, bit 4/5 X/Y sign, bit 6/7 X/Y
// overflow; bytes 1-2: X and Y as 9-bit two's complement with the sign in byte 0. Deltas outside
// -256..255 are clamped and flagged as overflow.
#pragma once
#include <cstdint>
#include <functional>
#include "devices/ps2_byte_queue.h"

namespace vmlab::devices {

class Ps2Mouse {
 public:
  static constexpr uint8_t kLeft = 0x01, kRight = 0x02, kMiddle = 0x04;
  static constexpr uint8_t kAck = 0xFA, kResend = 0xFE;

  struct State {
    Ps2ByteQueue out;             // bytes waiting for the controller
    bool reporting = false;       // F4/F5 (off after reset)
    bool remote = false;          // F0 remote / EA stream mode
    bool scaling_2to1 = false;    // E7/E6
    uint8_t sample_rate = 100;    // samples per second
    uint8_t resolution = 2;       // 0-3 = 1, 2, 4, 8 counts/mm
    uint8_t pending_cmd = 0;      // F3/E8 waiting for their argument byte, else 0
    uint8_t id = 0;               // 0 = plain PS/2, 3 = IntelliMouse
    uint8_t rate_history[3] = {}; // last three sample rates set (for the IntelliMouse knock)
    uint8_t buttons = 0;          // buttons currently held
    int32_t acc_dx = 0, acc_dy = 0, acc_dz = 0;  // movement not yet reported (remote mode)
    uint8_t last_sent = 0;        // for FE (resend)
    uint64_t dropped = 0;         // bytes lost to a full queue
    bool operator==(const State&) const = default;
  };

  void set_data_ready(std::function<void()> fn) { data_ready_ = std::move(fn); }
  void write(uint8_t byte);  // a byte the controller forwards (guest: 64 <- D4, 60 <- byte)
  // Host movement. dz is the wheel (IntelliMouse only). Sends a packet at once in stream mode
  // with reporting on; in remote mode the movement accumulates until EB.
  void move(int dx, int dy, uint8_t buttons, int dz = 0);

  bool has_data() const { return !state_.out.empty(); }
  uint8_t pop() { return state_.out.pop(); }

  void reset() { state_ = State{}; }
  const State& save() const { return state_; }
  void restore(const State& s);

 private:
  void reply(uint8_t b);
  void set_defaults();
  void send_packet();
  void notify() { if (data_ready_) data_ready_(); }

  State state_;
  std::function<void()> data_ready_;
};

}  // namespace vmlab::devices
