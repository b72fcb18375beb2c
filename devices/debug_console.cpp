// Port 0xE9 debug console (see debug_console.h).
#include "devices/debug_console.h"

namespace vmlab::devices {

uint32_t DebugConsole::read(uint64_t, unsigned width) {
  // Every byte lane reads back 0xE9.
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) v |= uint32_t(kReadback) << (8 * i);
  return v;
}

void DebugConsole::write(uint64_t, unsigned width, uint32_t value) {
  // A wider OUT puts its low byte on the port; the other lanes go to ports 0xEA.. (unclaimed).
  (void)width;
  out_.write(uint8_t(value));
  ++state_.bytes_written;
}

}  // namespace vmlab::devices
