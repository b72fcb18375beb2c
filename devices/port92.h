// Port 0x92, "system control port A" (PS/2 and every later chipset): the fast A20 gate and a
// fast CPU reset that bypass the slow 8042.
//
//   Port92 port92([&](bool on) { a20.set_port92(on); }, [&] { machine.request_reset(); });
//   io.add(0x92, 1, "port92", port92);
//
// Bits: 0 write 1 = reset the CPU (reads 0), 1 = A20 enabled, 3 = CMOS password lock (stored),
// 6-7 = disk activity LEDs (stored). The machine should OR this A20 output with the 8042's, as
// chipsets do. Power-on value 0 (A20 off here; the 8042 output port has it on).
#pragma once
#include <cstdint>
#include <functional>
#include "machine/io_bus.h"

namespace vmlab::devices {

class Port92 : public machine::BusDevice {
 public:
  static constexpr uint8_t kFastReset = 0x01, kFastA20 = 0x02;

  struct State {
    uint8_t value = 0;  // as last written, bit 0 always 0
    bool operator==(const State&) const = default;
  };

  explicit Port92(std::function<void(bool)> set_a20 = {}, std::function<void()> request_reset = {})
      : set_a20_(std::move(set_a20)), request_reset_(std::move(request_reset)) {}
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; announce_a20(); }
  State save() const { return state_; }
  void restore(const State& s) { state_ = s; state_.value &= uint8_t(~kFastReset); announce_a20(); }

 private:
  void announce_a20() { if (set_a20_) set_a20_(state_.value & kFastA20); }

  State state_;
  std::function<void(bool)> set_a20_;
  std::function<void()> request_reset_;
};

}  // namespace vmlab::devices
