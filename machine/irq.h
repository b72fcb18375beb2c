// IrqLine: a wire from a device to an interrupt controller. A device raises or lowers it and
// knows nothing of who listens; the machine wires lines to the PIC/IOAPIC (or KVM's irqchip).
//
//   IrqLine line;                      // unconnected: raising it does nothing
//   line.connect([&](bool level) { pic.set_irq(4, level); });
//   line.raise(); line.lower(); line.pulse();
//
// InterruptSource: the CPU's INTR pin as the execution core sees it.
#pragma once
#include <cstdint>
#include <functional>

namespace vmlab::machine {

class IrqLine {
 public:
  void connect(std::function<void(bool)> sink) { sink_ = std::move(sink); }
  void set(bool level) { if (level != level_) { level_ = level; if (sink_) sink_(level); } }
  void raise() { set(true); }
  void lower() { set(false); }
  void pulse() { raise(); lower(); }  // edge-triggered sources
  bool level() const { return level_; }
 private:
  std::function<void(bool)> sink_;
  bool level_ = false;
};

class InterruptSource {
 public:
  virtual ~InterruptSource() = default;
  virtual bool intr_pending() const = 0;   // INTR asserted
  virtual uint8_t acknowledge() = 0;       // INTA cycle: the vector to deliver
};

}  // namespace vmlab::machine
