// GuestMemory: size rules, RAM/ROM/hole boundaries, bitmaps, the code-write listener, A20.
#include "machine/guest_memory.h"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

using vmlab::machine::GuestMemory;

TEST_CASE("guest_memory_rejects_sizes_outside_1MiB_to_3GiB_or_not_page_multiples") {
  CHECK_THROWS_AS(GuestMemory(0), std::invalid_argument);
  CHECK_THROWS_AS(GuestMemory((1 << 20) - 4096), std::invalid_argument);
  CHECK_THROWS_AS(GuestMemory((2 << 20) + 1), std::invalid_argument);
  CHECK_THROWS_AS(GuestMemory((3ull << 30) + 4096), std::invalid_argument);
  GuestMemory big(3ull << 30);  // reserved, not touched
  CHECK(big.ram_size() == (3ull << 30));
}

TEST_CASE("guest_memory_ram_ptr_refuses_hole_and_beyond_ram") {
  GuestMemory m(2 << 20);
  CHECK(m.ram_ptr(0, 4) == m.ram_base());
  CHECK(m.ram_ptr(0x9FFFC, 4) != nullptr);
  CHECK(m.ram_ptr(0x9FFFE, 4) == nullptr);    // runs into the hole
  CHECK(m.ram_ptr(0xB8000, 2) == nullptr);
  CHECK(m.ram_ptr(0x100000, 4) != nullptr);
  CHECK(m.ram_ptr((2 << 20) - 4, 4) != nullptr);
  CHECK(m.ram_ptr((2 << 20) - 2, 4) == nullptr);
  CHECK(m.ram_ptr(~0ull - 1, 4) == nullptr);  // wraps
  CHECK(m.ram_ptr(0x1000, 0) == nullptr);
}

TEST_CASE("guest_memory_rom_is_readable_not_writable_and_overlaps_are_rejected") {
  GuestMemory m(2 << 20);
  std::vector<uint8_t> bios(0x10000, 0xEA);
  bios[0xFFF0] = 0x12;
  m.add_rom(0xFFFF0000u, bios, "bios");
  m.add_rom(0xF0000, bios, "bios-low");
  CHECK(*m.readable_ptr(0xFFFFFFF0u, 1) == 0x12);
  CHECK(*m.readable_ptr(0xFFFF0u, 1) == 0x12);
  CHECK(m.ram_ptr(0xFFFF0, 1) == nullptr);
  CHECK_FALSE(m.write_phys(0xFFFF0, std::vector<uint8_t>{1}));
  CHECK(*m.readable_ptr(0xFFFF0u, 1) == 0x12);
  CHECK_THROWS_AS(m.add_rom(0xFFFF8000u, bios, "dup"), std::invalid_argument);
  CHECK_THROWS_AS(m.add_rom(0x1000, bios, "over-ram"), std::invalid_argument);
  CHECK_THROWS_AS(m.add_rom(0xFFFFF000u, bios, "past-4g"), std::invalid_argument);
  // read_phys crosses from RAM below the hole into nothing: fails; within ROM: works.
  std::vector<uint8_t> out(16);
  CHECK(m.read_phys(0xFFFF0, out));
  CHECK(out[0] == 0x12);
  CHECK_FALSE(m.read_phys(0x9FFF8, out));
  CHECK_FALSE(m.read_phys((2 << 20) - 8, out));
}

TEST_CASE("guest_memory_write_phys_then_read_phys_round_trips_and_marks_dirty") {
  GuestMemory m(4 << 20);
  std::vector<uint8_t> in{1, 2, 3, 4, 5};
  CHECK_FALSE(m.test_and_clear_dirty(0x100));
  CHECK(m.write_phys(0x100FFE, in));  // crosses pages 0x100 and 0x101
  std::vector<uint8_t> out(5);
  CHECK(m.read_phys(0x100FFE, out));
  CHECK(out == in);
  CHECK(m.test_and_clear_dirty(0x100));
  CHECK(m.test_and_clear_dirty(0x101));
  CHECK_FALSE(m.test_and_clear_dirty(0x100));
  CHECK_FALSE(m.test_and_clear_dirty(0x102));
  CHECK_FALSE(m.test_and_clear_dirty(1ull << 40));
  CHECK_FALSE(m.write_phys((4 << 20) - 2, in));
}

TEST_CASE("guest_memory_write_to_code_page_calls_listener_once_per_page") {
  GuestMemory m(2 << 20);
  std::vector<uint64_t> seen;
  m.set_code_write_listener([&](uint64_t page) { seen.push_back(page); m.clear_code(page); });
  m.mark_code(0x10);
  CHECK(m.is_code(0x10));
  m.note_write(0x10FFC, 8);  // pages 0x10 and 0x11; only 0x10 is code
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == 0x10);
  CHECK_FALSE(m.is_code(0x10));
  m.note_write(0x10000, 4);
  CHECK(seen.size() == 1);
  m.note_write(0, 0);  // empty writes are nothing, not a sweep of every page
  m.mark_code(1ull << 40);  // out of range: ignored
  CHECK_FALSE(m.is_code(1ull << 40));
}

TEST_CASE("guest_memory_a20_mask_clears_bit_20_when_off") {
  GuestMemory m(2 << 20);
  CHECK(m.a20());
  m.set_a20(false);
  CHECK_FALSE(m.a20());
  CHECK((0x10FFEFull & m.a20_mask()) == 0x0FFEF);
  m.set_a20(true);
  CHECK((0x10FFEFull & m.a20_mask()) == 0x10FFEF);
}
