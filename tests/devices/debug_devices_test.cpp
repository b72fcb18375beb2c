// isa-debug-exit and the port 0xE9 debug console.
#include "devices/debug_console.h"
#include "devices/debug_exit.h"

#include <doctest/doctest.h>

#include "machine/io_bus.h"

using namespace vmlab::devices;

TEST_CASE("debug_exit_requests_status_v_shifted_left_or_one") {
  uint32_t seen = 0;
  int calls = 0;
  DebugExit d([&](uint32_t s) { seen = s; ++calls; });
  CHECK(d.read(0, 1) == 0);
  CHECK_FALSE(d.save().requested);
  d.write(0, 1, 0x10);
  CHECK(calls == 1);
  CHECK(seen == 0x21);
  CHECK(d.save().requested);
  d.write(0, 4, 0);
  CHECK(seen == 1);  // never 0: a guest cannot fake a clean exit
  DebugExit e(nullptr);
  e.restore(d.save());
  CHECK(e.save() == d.save());
  d.reset();
  CHECK(d.save() == DebugExit::State{});
}

TEST_CASE("debug_exit_on_the_io_bus_sees_writes_at_any_of_its_ports") {
  uint32_t seen = 0;
  DebugExit d([&](uint32_t s) { seen = s; });
  vmlab::machine::IoBus io;
  io.add(0xF4, 4, "isa-debug-exit", d);
  io.write(0xF4, 4, 3);
  CHECK(seen == 7);
}

TEST_CASE("debug_console_writes_bytes_and_reads_back_e9") {
  BufferBackend out;
  DebugConsole c(out);
  vmlab::machine::IoBus io;
  io.add(0xE9, 1, "debugcon", c);
  CHECK(io.read(0xE9, 1) == 0xE9);
  io.write(0xE9, 1, 'o');
  io.write(0xE9, 1, 'k');
  io.write(0xE9, 2, 0x0A0A);  // the high byte goes to unclaimed port 0xEA
  CHECK(out.text == "ok\n");
  CHECK(*c.bytes_written() == 3);
  CHECK(io.stats().unclaimed_writes == 1);
  DebugConsole d(out);
  d.restore(c.save());
  CHECK(d.save() == c.save());
  c.reset();
  CHECK(c.save() == DebugConsole::State{});
}

TEST_CASE("char_backend_spec_parsing") {
  CHECK(open_char_backend("null") != nullptr);
  CHECK(open_char_backend("stdio") != nullptr);
  CHECK_THROWS_AS(open_char_backend("tcp:1234"), std::runtime_error);
  CHECK_THROWS_AS(open_char_backend("file:"), std::runtime_error);
  CHECK_THROWS_AS(open_char_backend("file:/nonexistent-dir/x"), std::runtime_error);
}
