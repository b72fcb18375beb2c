#include <doctest/doctest.h>

#include "devices/fpu_error_latch.h"

using vmlab::devices::FpuErrorLatch;
using vmlab::machine::IrqLine;

TEST_CASE("fpu_error_latch_raises_irq13_on_ferr_and_port_f0_clears_it") {
  IrqLine irq13;
  int rises = 0;
  irq13.connect([&](bool l) { rises += l; });
  FpuErrorLatch latch(&irq13);
  CHECK_FALSE(irq13.level());
  latch.set_ferr(true);
  CHECK(irq13.level());
  CHECK(rises == 1);
  latch.set_ferr(true);  // still asserted: no new edge
  CHECK(rises == 1);
  latch.write(0, 1, 0);  // OUT 0xF0: the handler acknowledges
  CHECK_FALSE(irq13.level());
  latch.set_ferr(false);  // FNCLEX
  CHECK_FALSE(irq13.level());
  latch.set_ferr(true);  // the next error raises it again
  CHECK(irq13.level());
  CHECK(rises == 2);
  CHECK(latch.read(0, 1) == 0xFF);
}

TEST_CASE("fpu_error_latch_save_restore_and_reset") {
  IrqLine irq13;
  FpuErrorLatch a(&irq13);
  a.set_ferr(true);
  FpuErrorLatch b(&irq13);
  b.restore(a.save());
  CHECK(b.save() == a.save());
  b.reset();
  CHECK(b.save() == FpuErrorLatch::State{});
  CHECK_FALSE(irq13.level());
}
