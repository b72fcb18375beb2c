// The firmware's command-line options: -bios FILE and -boot c|d (QEMU spellings and the GNU
// ones), and the errors for boot devices vmlab does not have.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ui/command_line.h"

using namespace vmlab::ui;

namespace {
struct Parsed {
  ParseResult r;
  std::string err;
};
Parsed parse_args(std::vector<const char*> args) {
  args.insert(args.begin(), "vmlab");
  char* ebuf = nullptr;
  size_t elen = 0;
  std::FILE* o = std::fopen("/dev/null", "w");
  std::FILE* e = open_memstream(&ebuf, &elen);
  Parsed p{parse_command_line(int(args.size()), args.data(), o, e), ""};
  std::fclose(o);
  std::fclose(e);
  p.err.assign(ebuf, elen);
  std::free(ebuf);
  return p;
}
}  // namespace

TEST_CASE("bios_and_boot_options_in_qemu_and_gnu_spellings") {
  Parsed p = parse_args({"-bios", "/x/bios.bin", "-boot", "d"});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.bios == "/x/bios.bin");
  CHECK(p.r.cmd->machine.boot_device == 'd');
  p = parse_args({"--bios=/y.bin", "--boot", "c"});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.bios == "/y.bin");
  CHECK(p.r.cmd->machine.boot_device == 'c');
  p = parse_args({"-boot", "order=dc,menu=off"});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.boot_device == 'd');
  p = parse_args({});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.bios.empty());       // the built-in BIOS
  CHECK(p.r.cmd->machine.boot_device == 'c');
}

TEST_CASE("boot_from_a_floppy_or_the_network_is_an_error_naming_the_option") {
  for (const char* dev : {"a", "n", "order=", "x"}) {
    Parsed p = parse_args({"-boot", dev});
    CHECK_FALSE(p.r.cmd);
    CHECK(p.r.status == 2);
    CHECK(p.err.find("-boot") != std::string::npos);
  }
}
