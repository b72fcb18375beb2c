// Port 0x61, system control port B (see port61.h).
#include "devices/port61.h"

namespace vmlab::devices {

uint32_t Port61::read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    if (offset + i != 0) { v |= 0xFFu << (8 * i); continue; }  // not ours on a wide access
    uint8_t b = state_.control;
    if ((clock_.now_ns() / kRefreshHalfPeriodNs) & 1) b |= kRefresh;
    if (pit_.out(2)) b |= kOut2;
    v |= b;
  }
  return v;
}

void Port61::write(uint64_t offset, unsigned width, uint32_t value) {
  if (offset != 0 || width == 0) return;
  state_.control = uint8_t(value) & kWritable;
  apply();
}

}  // namespace vmlab::devices
