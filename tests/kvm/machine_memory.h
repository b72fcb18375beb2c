// Reading a guest's results out of a Machine's physical memory, for the KVM machine tests.
//
//   CHECK(test::read32(machine, 0x3000) == 42);
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>

#include "machine/machine.h"

namespace vmlab::test {

inline uint32_t read32(machine::Machine& m, uint64_t pa) {
  uint8_t b[4] = {};
  REQUIRE(m.memory().read_phys(pa, b));
  uint32_t v;
  std::memcpy(&v, b, 4);
  return v;
}

}  // namespace vmlab::test
