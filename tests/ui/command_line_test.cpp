// The command line: QEMU spellings, -m forms, -device parsing, errors with exit status 2.
#include "tests/ui/parse_capture.h"
#include "ui/command_line.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <stdexcept>

using namespace vmlab::ui;

namespace {
using test::Parsed;
Parsed parse(std::vector<const char*> args) { return test::parse_captured(std::move(args)); }
}  // namespace

TEST_CASE("command_line_ram_size_accepts_qemu_forms") {
  CHECK(parse_ram_size("256") == 256ull << 20);
  CHECK(parse_ram_size("256M") == 256ull << 20);
  CHECK(parse_ram_size("1G") == 1ull << 30);
  CHECK(parse_ram_size("3g") == 3ull << 30);
  CHECK(parse_ram_size("2048K") == 2ull << 20);
  CHECK_THROWS_AS(parse_ram_size("0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_ram_size("4G"), std::invalid_argument);
  CHECK_THROWS_AS(parse_ram_size("lots"), std::invalid_argument);
  CHECK_THROWS_AS(parse_ram_size("12Q"), std::invalid_argument);
  CHECK_THROWS_AS(parse_ram_size("1048577B"), std::invalid_argument);
  CHECK_THROWS_AS(parse_ram_size("99999999999999999999999"), std::invalid_argument);
  CHECK_THROWS_AS(parse_ram_size(""), std::invalid_argument);
}

TEST_CASE("command_line_device_parses_isa_debug_exit") {
  auto d = parse_device("isa-debug-exit,iobase=0xf4,iosize=0x04");
  CHECK(d.iobase == 0xF4);
  CHECK(d.iosize == 4);
  d = parse_device("isa-debug-exit");
  CHECK(d.iobase == 0x501);
  CHECK(d.iosize == 2);
  CHECK_THROWS_AS(parse_device("e1000"), std::invalid_argument);
  CHECK_THROWS_AS(parse_device("isa-debug-exit,iobase=zz"), std::invalid_argument);
  CHECK_THROWS_AS(parse_device("isa-debug-exit,iobase="), std::invalid_argument);
  CHECK_THROWS_AS(parse_device("isa-debug-exit,colour=1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_device("isa-debug-exit,iobase=0xffff,iosize=4"), std::invalid_argument);
  CHECK_THROWS_AS(parse_device("isa-debug-exit,iosize=0"), std::invalid_argument);
}

TEST_CASE("command_line_translates_qemu_single_dash_spellings") {
  auto t = translate_qemu_spellings({"-kernel", "k", "-no-reboot", "-m", "64", "-append=x", "-q"});
  CHECK(t == std::vector<std::string>{"--kernel", "k", "--no-reboot", "-m", "64", "--append=x", "-q"});
}

TEST_CASE("command_line_qemu_command_line_fills_the_config") {
  auto p = parse({"-m", "256M", "-kernel", "k.elf", "-append", "console=ttyS0 quiet", "-initrd",
                  "a.bin x,b.bin", "-nographic", "-no-reboot", "-device",
                  "isa-debug-exit,iobase=0xf4,iosize=0x04", "-device", "isa-debug-exit",
                  "-serial", "file:out.log", "-smp", "1", "--stats", "--stats-json", "s.json",
                  "--deterministic", "--max-instructions", "1000"});
  REQUIRE(p.r.cmd);
  const auto& c = *p.r.cmd;
  CHECK(c.machine.ram_bytes == 256ull << 20);
  CHECK(c.machine.kernel == "k.elf");
  CHECK(c.machine.append == "console=ttyS0 quiet");
  CHECK(c.machine.initrd == "a.bin x,b.bin");
  CHECK(c.machine.no_reboot);
  REQUIRE(c.machine.debug_exits.size() == 2);
  CHECK(c.machine.debug_exits[0].iobase == 0xF4);
  CHECK(c.machine.debug_exits[1].iobase == 0x501);
  CHECK(c.machine.serial == "file:out.log");
  CHECK(c.stats);
  CHECK(c.stats_json == "s.json");
  CHECK(c.machine.deterministic);
  CHECK(c.machine.max_instructions == 1000);
}

TEST_CASE("command_line_defaults") {
  auto p = parse({});
  REQUIRE(p.r.cmd);
  CHECK(p.r.cmd->machine.ram_bytes == 128ull << 20);
  CHECK(p.r.cmd->machine.backend == "interp");
  CHECK(p.r.cmd->machine.mmu == "direct");
  CHECK(p.r.cmd->machine.serial == "stdio");
  CHECK_FALSE(p.r.cmd->machine.deterministic);
  CHECK(parse({"-icount", "shift=0"}).r.cmd->machine.deterministic);
  CHECK(p.r.cmd->machine.smp == 1);
  CHECK(parse({"-smp", "4"}).r.cmd->machine.smp == 4);
  CHECK(parse({"-smp", "cpus=2,cores=2"}).r.cmd->machine.smp == 2);
  CHECK(parse({"-s"}).r.cmd->gdb == "tcp::1234");
  CHECK(parse({"-gdb", "tcp::4321"}).r.cmd->gdb == "tcp::4321");
  CHECK(parse({"-S"}).r.cmd->start_paused);
  CHECK_FALSE(p.r.cmd->start_paused);
  CHECK(p.r.cmd->gdb.empty());
  CHECK(p.r.cmd->machine.tlb);
  CHECK(p.r.cmd->machine.interp_threaded);
  CHECK(p.r.cmd->machine.interp_flat_segments);
  auto off = parse({"--no-tlb", "--no-decode-cache", "--no-blocks", "--no-threaded", "--no-flat-segments"});
  REQUIRE(off.r.cmd);
  CHECK_FALSE(off.r.cmd->machine.tlb);
  CHECK_FALSE(off.r.cmd->machine.decode_cache);
  CHECK_FALSE(off.r.cmd->machine.interp_blocks);
  CHECK_FALSE(off.r.cmd->machine.interp_threaded);
  CHECK_FALSE(off.r.cmd->machine.interp_flat_segments);
}

TEST_CASE("command_line_errors_exit_2_and_say_what_to_do") {
  auto p = parse({"--frobnicate"});
  CHECK_FALSE(p.r.cmd);
  CHECK(p.r.status == 2);
  CHECK(p.err.find("unknown option '--frobnicate'") != std::string::npos);
  CHECK(p.err.find("--help") != std::string::npos);
  p = parse({"-kernal", "x"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("-kernal") != std::string::npos);
  p = parse({"--kernl", "x"});
  CHECK(p.err.find("did you mean --kernel") != std::string::npos);
  p = parse({"-m", "0"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("between 1M and 3G") != std::string::npos);
  p = parse({"-smp", "9"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("from 1 to 8") != std::string::npos);
  p = parse({"-smp", "cpus=2,frobs=3"});
  CHECK(p.err.find("frobs=3") != std::string::npos);
  p = parse({"-smp", "two"});
  CHECK(p.r.status == 2);
  p = parse({"-gdb", "unix:/tmp/x"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("tcp::PORT") != std::string::npos);
  p = parse({"-s", "-gdb", "tcp::9"});
  CHECK(p.r.status == 2);
  p = parse({"-display", "gtk"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("-display gtk: not implemented") != std::string::npos);
  CHECK(parse({"-display", "sdl"}).r.cmd->display == "sdl");
  CHECK(parse({"-display", "sdl,gl=off"}).r.cmd->display == "sdl");
  CHECK(parse({"-display", "none"}).r.cmd->display == "none");
  CHECK(parse({"-nographic"}).r.cmd->display == "none");
  CHECK(parse({}).r.cmd->display == "auto");
  p = parse({"disk.img"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("disk.img") != std::string::npos);
  p = parse({"--max-instructions", "many"});
  CHECK(p.r.status == 2);
  p = parse({"--max-instructions", "0"});
  CHECK(p.r.status == 2);
  p = parse({"-kernel"});  // missing value
  CHECK(p.r.status == 2);
  // bt's settings without bt, and out of range
  p = parse({"--bt-hot-runs", "4"});
  CHECK(p.r.status == 2);
  CHECK(p.err.find("add --backend bt") != std::string::npos);
  CHECK(parse({"--bt-perf-map"}).r.status == 2);
  CHECK(parse({"--backend", "bt", "--bt-hot-runs", "0"}).r.status == 2);
  CHECK(parse({"--backend", "bt", "--bt-hot-runs", "4", "--bt-perf-map"}).r.cmd->machine.bt_hot_runs == 4);
}

TEST_CASE("command_line_help_and_version_exit_0") {
  auto p = parse({"--help"});
  CHECK_FALSE(p.r.cmd);
  CHECK(p.r.status == 0);
  CHECK(p.out.find("--kernel") != std::string::npos);
  p = parse({"-version"});
  CHECK(p.r.status == 0);
  CHECK(p.out.find("vmlab") == 0);
}
