// The `vmlab` command line: GNU-style long options plus the QEMU single-dash spellings of the
// same things, so a QEMU command line for a multiboot guest works unchanged:
//
//   vmlab -m 256M -kernel k.elf -append "x=1" -nographic -no-reboot
//         -device isa-debug-exit,iobase=0xf4,iosize=0x04 --stats
//
// CLI11 only knows `-x` and `--long`, so translate_qemu_spellings() first rewrites the QEMU
// single-dash long options (-kernel -> --kernel, ...) and then CLI11 parses the result.
#pragma once
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>
#include "machine/machine_config.h"

namespace vmlab::ui {

struct CommandLine {
  machine::MachineConfig machine;
  bool stats = false;          // --stats: table on stderr at exit
  std::string stats_json;      // --stats-json FILE
  std::string screendump_at_exit;  // --screendump-at-exit FILE: the screen as PNG/PPM at exit
  std::string gdb;             // -gdb tcp::PORT / -s (tcp::1234): the gdb stub (docs/gdb.md)
  bool start_paused = false;
  // -display: "sdl" (a window), "none", or "auto" = sdl when $DISPLAY or $WAYLAND_DISPLAY is
  // set and -nographic is not given (QEMU's default), else none.
  std::string display = "auto";   // -S: the guest waits for the debugger's `continue` (or monitor `cont`)
};

struct ParseResult {
  std::optional<CommandLine> cmd;  // empty: exit with `status` (help/version: 0; error: 2)
  int status = 0;
};

// Messages (help, version, errors) go to `out` / `err`.
ParseResult parse_command_line(int argc, const char* const* argv, std::FILE* out, std::FILE* err);

// "-kernel" -> "--kernel" etc.; everything else unchanged.
std::vector<std::string> translate_qemu_spellings(const std::vector<std::string>& args);

// QEMU -m forms: "256" (MiB), "256M", "1G", "524288K", "1073741824B"; std::invalid_argument
// with the reason when malformed, not a multiple of 4 KiB, or outside 1 MiB..3 GiB.
uint64_t parse_ram_size(const std::string& text);

// -serial (up to twice: COM1, COM2), -monitor and -nographic into `m`: checks every spec
// (devices/char_backend.h); returns an error message, or "" when all is well.
std::string apply_char_options(machine::MachineConfig& m, const std::vector<std::string>& serials,
                               const std::string& monitor, bool nographic);

// "-device isa-debug-exit,iobase=0xf4,iosize=0x04"; std::invalid_argument on anything else.
machine::DebugExitConfig parse_device(const std::string& text);

}  // namespace vmlab::ui
