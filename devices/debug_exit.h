// isa-debug-exit (QEMU's test device): a write of V to its port asks the machine to exit with
// status (V << 1) | 1, so a test guest can report pass/fail and no status from it is ever 0.
//
//   DebugExit dev([&](int status) { machine.request_exit(status); });
//   io.add(0xF4, 4, "isa-debug-exit", dev);     // -device isa-debug-exit,iobase=0xf4,iosize=0x04
#pragma once
#include <cstdint>
#include <functional>
#include "machine/io_bus.h"

namespace vmlab::devices {

class DebugExit : public machine::BusDevice {
 public:
  struct State {
    bool requested = false;  // the guest has written: the machine is exiting
    uint32_t status = 0;     // (V << 1) | 1 of the last write
    bool operator==(const State&) const = default;
  };

  explicit DebugExit(std::function<void(uint32_t status)> on_exit) : on_exit_(std::move(on_exit)) {}
  uint32_t read(uint64_t offset, unsigned width) override;  // reads 0, as QEMU's does
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; }
  State save() const { return state_; }
  void restore(const State& s) { state_ = s; }

 private:
  State state_;
  std::function<void(uint32_t)> on_exit_;
};

}  // namespace vmlab::devices
