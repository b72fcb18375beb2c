// Port 0x61, "system control port B" (PC/AT): channel-2 gate and speaker enable out, channel-2
// OUT and the DRAM-refresh toggle in. BIOSes delay by polling bit 4 (it flips every 15.085 us)
// and time loops by gating channel 2 and watching bit 5.
//
//   Port61 port61(clock, pit);
//   io.add(0x61, 1, "port61", port61);
//
// Bits (read / write):
//   0 channel-2 gate        1 speaker data enable   2-3 parity / IOCHK check disable (stored)
//   4 refresh toggle (r/o)  5 channel-2 OUT (r/o)   6-7 parity / IOCHK error (always 0 here)
// The refresh toggle is a function of virtual time: bit 4 = floor(now_ns / 15085) & 1.
#pragma once
#include <cstdint>
#include "devices/pit8254.h"
#include "machine/clock.h"
#include "machine/io_bus.h"

namespace vmlab::devices {

class Port61 : public machine::BusDevice {
 public:
  static constexpr uint64_t kRefreshHalfPeriodNs = 15085;
  static constexpr uint8_t kGate2 = 0x01, kSpeaker = 0x02, kWritable = 0x0F, kRefresh = 0x10,
                           kOut2 = 0x20;

  struct State {
    uint8_t control = 0;  // bits 0-3 as last written
    bool operator==(const State&) const = default;
  };

  Port61(machine::Clock& clock, Pit8254& pit) : clock_(clock), pit_(pit) { reset(); }
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; apply(); }
  State save() const { return state_; }
  void restore(const State& s) { state_.control = s.control & kWritable; apply(); }
  bool speaker_on() const { return (state_.control & (kGate2 | kSpeaker)) == (kGate2 | kSpeaker); }

 private:
  void apply() { pit_.set_gate(2, state_.control & kGate2); }

  State state_;
  machine::Clock& clock_;
  Pit8254& pit_;
};

}  // namespace vmlab::devices
