// Debug console at port 0xE9 (Bochs "port e9 hack", QEMU -debugcon): every byte written goes
// straight to the back end; a read returns 0xE9 so a guest can detect the device.
//
//   DebugConsole con(stdout_backend);
//   io.add(0xE9, 1, "debugcon", con);
#pragma once
#include <cstdint>
#include "devices/char_backend.h"
#include "machine/io_bus.h"

namespace vmlab::devices {

class DebugConsole : public machine::BusDevice {
 public:
  struct State {
    uint64_t bytes_written = 0;  // for stats
    bool operator==(const State&) const = default;
  };
  static constexpr uint8_t kReadback = 0xE9;

  explicit DebugConsole(CharBackend& out) : out_(out) {}
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; }
  State save() const { return state_; }
  void restore(const State& s) { state_ = s; }
  const uint64_t* bytes_written() const { return &state_.bytes_written; }

 private:
  State state_;
  CharBackend& out_;
};

}  // namespace vmlab::devices
