// An interrupt controller for CPU tests: one request, pending until acknowledged, with a fixed
// vector; counts the acknowledgements.
//
//   FakeInterruptSource pic;
//   vcpu.intr = &pic;
//   pic.pending = true;   // the next instruction boundary with IF=1 takes `vector`
#pragma once
#include <cstdint>
#include "machine/irq.h"

namespace vmlab::cpu::test {

struct FakeInterruptSource : machine::InterruptSource {
  bool pending = false;
  uint8_t vector = 0x20;
  int acks = 0;
  bool intr_pending() const override { return pending; }
  uint8_t acknowledge() override {
    pending = false;
    ++acks;
    return vector;
  }
};

}  // namespace vmlab::cpu::test
