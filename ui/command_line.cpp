// Command-line parsing (see command_line.h).
#include "ui/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <stdexcept>

namespace vmlab::ui {

namespace {

constexpr const char* kVersion = "vmlab 0.1.0 (interpreter; x86 i686-class PC)";

// QEMU's single-dash long options that vmlab understands, without the dash.
const std::vector<std::string> kQemuSpellings = {
    "kernel", "append", "initrd", "serial", "display", "nographic", "device",
    "no-reboot", "smp", "debugcon", "icount", "version", "help"};

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const CLI::App& app, const std::string& arg) {
  std::string name = arg.substr(arg.find_first_not_of('-'));
  name = name.substr(0, name.find('='));
  std::string best;
  size_t best_d = 3;  // only near misses
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& ln : o->get_lnames()) {
      size_t d = edit_distance(name, ln);
      if (d < best_d) { best_d = d; best = "--" + ln; }
    }
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", best);
}

}  // namespace

std::vector<std::string> translate_qemu_spellings(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    if (a.size() > 2 && a[0] == '-' && a[1] != '-') {
      std::string name = a.substr(1), rest;
      if (auto eq = name.find('='); eq != std::string::npos) { rest = name.substr(eq); name.resize(eq); }
      if (std::find(kQemuSpellings.begin(), kQemuSpellings.end(), name) != kQemuSpellings.end()) {
        out.push_back("--" + name + rest);
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

uint64_t parse_ram_size(const std::string& text) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
    throw std::invalid_argument(fmt::format("-m '{}': expected a size such as 256, 256M or 1G", text));
  size_t pos = 0;
  uint64_t n = 0;
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
    if (n > (1ull << 40)) throw std::invalid_argument(fmt::format("-m '{}': too large (at most 3G)", text));
    n = n * 10 + uint64_t(text[pos++] - '0');
  }
  std::string unit = text.substr(pos);
  uint64_t mul;
  if (unit.empty() || unit == "M" || unit == "m" || unit == "MB" || unit == "MiB") mul = 1ull << 20;
  else if (unit == "G" || unit == "g" || unit == "GB" || unit == "GiB") mul = 1ull << 30;
  else if (unit == "K" || unit == "k" || unit == "KB" || unit == "KiB") mul = 1ull << 10;
  else if (unit == "B" || unit == "b") mul = 1;
  else throw std::invalid_argument(fmt::format("-m '{}': unknown unit '{}' (use K, M or G)", text, unit));
  uint64_t bytes = n * mul;
  if (bytes < (1ull << 20) || bytes > (3ull << 30))
    throw std::invalid_argument(fmt::format("-m '{}': guest RAM must be between 1M and 3G", text));
  if (bytes % 4096)
    throw std::invalid_argument(fmt::format("-m '{}': guest RAM must be a multiple of 4 KiB", text));
  return bytes;
}

machine::DebugExitConfig parse_device(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts[0] != "isa-debug-exit")
    throw std::invalid_argument(fmt::format(
        "-device '{}': unknown device '{}' (vmlab has: isa-debug-exit)", text, parts[0]));
  machine::DebugExitConfig d;
  uint64_t base = d.iobase, size = d.iosize;
  for (size_t i = 1; i < parts.size(); ++i) {
    size_t eq = parts[i].find('=');
    std::string key = parts[i].substr(0, eq);
    std::string val = eq == std::string::npos ? "" : parts[i].substr(eq + 1);
    char* end = nullptr;
    errno = 0;
    uint64_t v = val.empty() ? 0 : std::strtoull(val.c_str(), &end, 0);
    if (val.empty() || *end || errno || val[0] == '-')
      throw std::invalid_argument(fmt::format("-device '{}': '{}' needs a number, e.g. {}=0xf4", text, parts[i], key));
    if (key == "iobase") base = v;
    else if (key == "iosize") size = v;
    else throw std::invalid_argument(fmt::format(
        "-device '{}': isa-debug-exit has no property '{}' (it has iobase and iosize)", text, key));
  }
  if (size == 0 || size > 4 || base > 0xFFFF || base + size > 0x10000)
    throw std::invalid_argument(fmt::format(
        "-device '{}': iobase+iosize must lie in the I/O space 0-0xffff, iosize 1-4", text));
  d.iobase = uint16_t(base);
  d.iosize = uint16_t(size);
  return d;
}

ParseResult parse_command_line(int argc, const char* const* argv, std::FILE* out, std::FILE* err) {
  std::vector<std::string> args(argv + 1, argv + argc);
  args = translate_qemu_spellings(args);

  CommandLine cmd;
  machine::MachineConfig& m = cmd.machine;
  std::string memory, display = "none", smp = "1", icount;
  std::vector<std::string> devices;
  bool nographic = false, version = false;

  CLI::App app{"vmlab: a full-system x86 PC emulator for teaching virtualization.\n"
               "QEMU single-dash spellings (-kernel, -append, -initrd, -serial, -display, -nographic,\n"
               "-device, -no-reboot, -smp, -debugcon, -icount) are accepted too. See docs/usage.md.",
               "vmlab"};
  app.allow_extras();  // unknown options are reported by us, with a suggestion
  app.add_option("-m,--memory", memory, "guest RAM: 256 (MiB), 256M, 1G; 1M..3G (default 128M)");
  app.add_option("--kernel", m.kernel, "multiboot v1 kernel (ELF32 or a.out kludge) to boot");
  app.add_option("--append", m.append, "kernel command line");
  app.add_option("--initrd", m.initrd, "multiboot modules: \"file args,file2\"");
  app.add_option("--serial", m.serial, "COM1 output: stdio (default), null, file:PATH");
  app.add_option("--debugcon", m.debugcon, "port 0xE9 debug console: stdio (default), null, file:PATH");
  app.add_option("--display", display, "none (the only display for now)");
  app.add_flag("--nographic", nographic, "no display; serial on stdio");
  app.add_option("--device", devices, "isa-debug-exit[,iobase=N][,iosize=N]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--no-reboot", m.no_reboot, "exit with status 3 on a triple fault instead of rebooting");
  app.add_option("--smp", smp, "number of CPUs (only 1 for now)");
  app.add_option("--backend", m.backend, "execution technique: interp (bt, trap, kvm planned)");
  app.add_option("--mmu", m.mmu, "MMU mode: direct (shadow, nested planned)");
  app.add_flag("--stats", cmd.stats, "print counters as a table on stderr at exit");
  app.add_option("--stats-json", cmd.stats_json, "write counters as JSON to FILE at exit");
  app.add_flag("--deterministic", m.deterministic,
               "virtual time from instructions retired (10 ns each): repeatable runs");
  app.add_option("--icount", icount, "QEMU spelling: any value turns on --deterministic");
  app.add_option("--max-instructions", m.max_instructions, "stop after N guest instructions");
  bool no_decode_cache = false, no_blocks = false, no_tlb = false, no_jump_cache = false;
  app.add_flag("--no-decode-cache", no_decode_cache, "speed-trick off switch: decode every instruction every time");
  app.add_flag("--no-blocks", no_blocks, "speed-trick off switch: interpret one instruction at a time");
  app.add_flag("--no-jump-cache", no_jump_cache,
               "speed-trick off switch: find every block through the fetch translation");
  app.add_flag("--no-tlb", no_tlb, "speed-trick off switch: no software TLB, every access translates");
  app.add_flag("--version", version, "print the version and exit");

  std::vector<const char*> cargv{argv[0]};
  for (const auto& a : args) cargv.push_back(a.c_str());
  try {
    app.parse(int(cargv.size()), cargv.data());
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), out);
    return {std::nullopt, 0};
  } catch (const CLI::ParseError& e) {
    fmt::print(err, "vmlab: {}\nRun 'vmlab --help' for the options.\n", e.what());
    return {std::nullopt, 2};
  }
  if (version) {
    fmt::print(out, "{}\n", kVersion);
    return {std::nullopt, 0};
  }
  auto fail = [&](const std::string& msg) {
    fmt::print(err, "vmlab: {}\nRun 'vmlab --help' for the options.\n", msg);
    return ParseResult{std::nullopt, 2};
  };
  for (const std::string& extra : app.remaining()) {
    if (!extra.empty() && extra[0] == '-' && extra.size() > 1)
      return fail(fmt::format("unknown option '{}'{}", extra, suggestion(app, extra)));
    return fail(fmt::format("unexpected argument '{}' (disk images are not supported yet; boot a "
                            "multiboot kernel with -kernel FILE)", extra));
  }
  try {
    if (!memory.empty()) m.ram_bytes = parse_ram_size(memory);
    for (const std::string& d : devices) m.debug_exits.push_back(parse_device(d));
  } catch (const std::invalid_argument& e) {
    return fail(e.what());
  }
  if (smp != "1" && smp != "cpus=1")
    return fail(fmt::format("-smp {}: more than one CPU is not implemented yet (use -smp 1)", smp));
  if (nographic) {
    display = "none";
    // QEMU's -nographic puts the serial port on stdio; vmlab's default already does.
  }
  if (display != "none")
    return fail(fmt::format("-display {}: not implemented yet (only -display none)", display));
  if (!icount.empty()) m.deterministic = true;
  m.decode_cache = !no_decode_cache;
  m.interp_blocks = !no_blocks;
  m.interp_jump_cache = !no_jump_cache;
  m.tlb = !no_tlb;
  if (m.max_instructions == 0 && app.count("--max-instructions"))
    return fail("--max-instructions 0: give a positive instruction count");
  return {cmd, 0};
}

}  // namespace vmlab::ui
