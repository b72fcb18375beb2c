// The PC/AT's x87 error reporting (the "DOS-compatible" mode used when CR0.NE = 0): the CPU's
// FERR# output is latched by the chipset onto ISA IRQ 13, and a write of any value to port 0xF0
// clears the latch (and, on real hardware, asserts IGNNE# until FERR# goes away). Kernels that
// run with CR0.NE = 0 (old Linux, DOS) handle x87 errors this way; with CR0.NE = 1 the CPU
// raises #MF itself and FERR# is never asserted.
//
//   FpuErrorLatch latch(&isa_irq[13]);
//   vcpu.ferr = &ferr_line;  ferr_line.connect([&](bool l) { latch.set_ferr(l); });
//   io.add(0xF0, 1, "fpu-error", latch);
#pragma once
#include <cstdint>
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class FpuErrorLatch : public machine::BusDevice {
 public:
  struct State {
    bool ferr = false;     // the CPU's FERR# output
    bool latched = false;  // IRQ 13 asserted
    bool operator==(const State&) const = default;
  };

  explicit FpuErrorLatch(machine::IrqLine* irq13) : irq13_(irq13) {}

  // FERR# rising raises IRQ 13; it stays up until port 0xF0 is written.
  void set_ferr(bool level) {
    if (level && !state_.ferr) state_.latched = true;
    state_.ferr = level;
    update();
  }
  uint32_t read(uint64_t, unsigned width) override { return 0xFFFFFFFFu >> (32 - 8 * width); }
  void write(uint64_t, unsigned, uint32_t) override {
    state_.latched = false;
    update();
  }
  void reset() {
    state_ = State{};
    update();
  }
  State save() const { return state_; }
  void restore(const State& s) {
    state_ = s;
    update();
  }

 private:
  void update() {
    if (irq13_) irq13_->set(state_.latched);
  }
  State state_;
  machine::IrqLine* irq13_;
};

}  // namespace vmlab::devices
