// isa-debug-exit (see debug_exit.h).
#include "devices/debug_exit.h"

namespace vmlab::devices {

uint32_t DebugExit::read(uint64_t, unsigned) { return 0; }

void DebugExit::write(uint64_t, unsigned, uint32_t value) {
  // QEMU computes (val << 1) | 1 on the full written value; the host keeps the low 8 bits.
  state_.requested = true;
  state_.status = (value << 1) | 1;
  if (on_exit_) on_exit_(state_.status);
}

}  // namespace vmlab::devices
