// Port 0x92 (see port92.h).
#include "devices/port92.h"

namespace vmlab::devices {

uint32_t Port92::read(uint64_t, unsigned width) {
  uint32_t v = state_.value;
  return width >= 4 ? (v | 0xFFFFFF00u) : width == 2 ? (v | 0xFF00u) : v;  // one port only
}

void Port92::write(uint64_t, unsigned, uint32_t value) {
  uint8_t old = state_.value;
  uint8_t v = uint8_t(value);
  state_.value = uint8_t(v & ~kFastReset);
  if (((old ^ v) & kFastA20) && set_a20_) set_a20_(v & kFastA20);
  // Only a 0 -> 1 transition resets: bit 0 always reads 0, so any write of 1 is one.
  if ((v & kFastReset) && request_reset_) request_reset_();
}

}  // namespace vmlab::devices
