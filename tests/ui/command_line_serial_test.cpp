// -serial (once or twice), -monitor and -nographic on the command line.
#include "ui/command_line.h"

#include <doctest/doctest.h>

using namespace vmlab;
using ui::apply_char_options;

namespace {
machine::MachineConfig apply(std::vector<std::string> serials, std::string monitor, bool nographic,
                             std::string* error = nullptr) {
  machine::MachineConfig m;
  std::string e = apply_char_options(m, serials, monitor, nographic);
  if (error) *error = e;
  else CHECK(e == "");
  return m;
}

ui::ParseResult parse(std::vector<const char*> args) {
  args.insert(args.begin(), "vmlab");
  std::FILE* null = std::fopen("/dev/null", "w");
  ui::ParseResult r = ui::parse_command_line(int(args.size()), args.data(), null, null);
  std::fclose(null);
  return r;
}
}  // namespace

TEST_CASE("command_line_serial_defaults_and_two_ports") {
  machine::MachineConfig d = apply({}, "", false);
  CHECK(d.serial == "stdio");
  CHECK(d.serial2 == "null");
  CHECK(d.monitor.empty());
  machine::MachineConfig two = apply({"file:a.log", "tcp::4444,server,nowait"}, "", false);
  CHECK(two.serial == "file:a.log");
  CHECK(two.serial2 == "tcp::4444,server,nowait");
  std::string e;
  apply({"null", "null", "null"}, "", false, &e);
  CHECK(e.find("two serial ports") != std::string::npos);
  apply({"tcp:1"}, "", false, &e);
  CHECK(e.find("-serial: character device 'tcp:1'") != std::string::npos);
  apply({}, "pty", false, &e);
  CHECK(e.find("-monitor: character device 'pty'") != std::string::npos);
}

TEST_CASE("command_line_nographic_puts_serial_and_monitor_on_stdio_as_qemu") {
  CHECK(apply({}, "", true).serial == "mon:stdio");
  machine::MachineConfig s = apply({"file:x"}, "", true);
  CHECK(s.serial == "file:x");
  CHECK(s.monitor == "stdio");
  machine::MachineConfig m = apply({}, "tcp::5555,server,nowait", true);
  CHECK(m.serial == "stdio");
  CHECK(m.monitor == "tcp::5555,server,nowait");
  // A -serial already on stdio keeps stdin: no monitor there.
  CHECK(apply({"stdio"}, "", true).monitor.empty());
  CHECK(apply({"mon:stdio"}, "", true).monitor.empty());
  CHECK(apply({}, "none", true).monitor.empty());
  CHECK(apply({}, "none", false).monitor.empty());
}

TEST_CASE("command_line_monitor_stdio_alone_leaves_com1_output_on_stdout") {
  machine::MachineConfig m = apply({}, "stdio", false);
  CHECK(m.monitor == "stdio");
  CHECK(m.serial == "stdio,input=off");
  CHECK(apply({"stdio"}, "stdio", false).serial == "stdio");  // explicit: the machine refuses it
  CHECK(apply({}, "tcp::5555,server,nowait", false).serial == "stdio");
}

TEST_CASE("command_line_serial_and_monitor_options_parse_in_both_spellings") {
  ui::ParseResult r = parse({"-serial", "null", "-serial", "file:/tmp/c2", "-monitor", "stdio"});
  REQUIRE(r.cmd);
  CHECK(r.cmd->machine.serial == "null");
  CHECK(r.cmd->machine.serial2 == "file:/tmp/c2");
  CHECK(r.cmd->machine.monitor == "stdio");
  ui::ParseResult n = parse({"--nographic"});
  REQUIRE(n.cmd);
  CHECK(n.cmd->machine.serial == "mon:stdio");
  ui::ParseResult bad = parse({"-serial", "tcp::4444"});
  CHECK_FALSE(bad.cmd);
  CHECK(bad.status == 2);
}
