// Bus: overlap rejection, offsets, straddling accesses, unclaimed accesses and counters.
#include "machine/io_bus.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace vmlab::machine;

namespace {
// Answers reads with (offset + 0x10) per byte, records writes.
struct Recorder : BusDevice {
  struct Access { uint64_t offset; unsigned width; uint32_t value; };
  std::vector<Access> writes;
  unsigned reads = 0;
  uint32_t read(uint64_t offset, unsigned width) override {
    ++reads;
    uint32_t v = 0;
    for (unsigned i = 0; i < width; ++i) v |= uint32_t(0x10 + offset + i) << (8 * i);
    return v | (width < 4 ? 0xAB000000u : 0);  // junk above the width must be masked off
  }
  void write(uint64_t offset, unsigned width, uint32_t value) override {
    writes.push_back({offset, width, value});
  }
};
}  // namespace

TEST_CASE("bus_rejects_overlapping_regions_naming_both") {
  IoBus io;
  Recorder a, b;
  io.add(0x60, 1, "kbd-data", a);
  io.add(0x64, 1, "kbd-cmd", a);
  try {
    io.add(0x5F, 2, "bogus", b);
    FAIL("no throw");
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    CHECK(msg.find("bogus") != std::string::npos);
    CHECK(msg.find("kbd-data") != std::string::npos);
  }
  CHECK_THROWS_AS(io.add(0x64, 4, "x", b), std::invalid_argument);
  CHECK_THROWS_AS(io.add(0x10, 0, "empty", b), std::invalid_argument);
  io.add(0x61, 3, "fits-between", b);
  io.remove(0x61);
  CHECK_FALSE(io.claimed(0x61));
  CHECK(io.claimed(0x64));
}

TEST_CASE("bus_passes_offsets_and_masks_to_width") {
  IoBus io;
  Recorder dev;
  io.add(0x3F8, 8, "com1", dev);
  CHECK(io.read(0x3FA, 1) == 0x12);
  CHECK(io.read(0x3F8, 2) == 0x1110);
  CHECK(io.read(0x3F8, 4) == 0x13121110);
  io.write(0x3FB, 1, 0x1FF);
  REQUIRE(dev.writes.size() == 1);
  CHECK(dev.writes[0].offset == 3);
  CHECK(dev.writes[0].value == 0xFF);
}

TEST_CASE("bus_splits_straddling_accesses_into_bytes") {
  MmioBus mmio;
  Recorder a, b;
  mmio.add(0x1000, 4, "a", a);
  mmio.add(0x1004, 4, "b", b);
  // bytes 0x1002,0x1003 from a (offsets 2,3), 0x1004,0x1005 from b (offsets 0,1)
  CHECK(mmio.read(0x1002, 4) == 0x11101312u);
  mmio.write(0x1003, 2, 0xBEEF);
  REQUIRE(a.writes.size() == 1);
  REQUIRE(b.writes.size() == 1);
  CHECK(a.writes[0].offset == 3);
  CHECK(a.writes[0].value == 0xEF);
  CHECK(b.writes[0].offset == 0);
  CHECK(b.writes[0].value == 0xBE);
  // claimed + unclaimed: the unclaimed byte reads 0xFF and is counted
  CHECK(mmio.read(0x1007, 2) == 0xFF13);
  CHECK(mmio.stats().unclaimed_reads == 1);
}

TEST_CASE("bus_unclaimed_reads_all_ones_and_is_counted") {
  IoBus io;
  CHECK(io.read(0x80, 1) == 0xFF);
  CHECK(io.read(0x80, 2) == 0xFFFF);
  CHECK(io.read(0x80, 4) == 0xFFFFFFFFu);
  io.write(0x80, 1, 0x12);
  CHECK(io.stats().unclaimed_reads == 3);
  CHECK(io.stats().unclaimed_writes == 1);
  CHECK(io.address_counts().at(0x80).reads == 3);
  CHECK(io.address_counts().at(0x80).writes == 1);
}

TEST_CASE("bus_counts_accesses_per_region") {
  IoBus io;
  Recorder a, b;
  io.add(0x20, 2, "pic", a);
  io.add(0x40, 4, "pit", b);
  io.read(0x20, 1);
  io.write(0x21, 1, 0);
  io.write(0x43, 1, 0x34);
  auto counts = io.region_counts();
  REQUIRE(counts.size() == 2);
  CHECK(counts[0].first == "pic");
  CHECK(counts[0].second.reads == 1);
  CHECK(counts[0].second.writes == 1);
  CHECK(counts[1].first == "pit");
  CHECK(counts[1].second.writes == 1);
}

TEST_CASE("bus_address_counts_are_bounded") {
  MmioBus mmio;
  for (uint64_t a = 0; a < 10000; ++a) mmio.read(0xE0000000 + a * 4, 4);
  CHECK(mmio.address_counts().size() <= 4096);
  CHECK(mmio.stats().unclaimed_reads == 10000);
}
