// Command-line parsing (see command_line.h).
#include "ui/command_line.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fmt/format.h>
#include <stdexcept>

#include "devices/char_backend.h"
#include "machine/core_factory.h"
#include "ui/drive_options.h"

namespace vmlab::ui {

namespace {

constexpr const char* kVersion = "vmlab 0.1.0 (interpreter; x86 i686-class PC)";

// QEMU's single-dash long options that vmlab understands, without the dash.
const std::vector<std::string> kQemuSpellings = {
    "kernel", "append", "initrd", "serial", "display", "nographic", "device",
    "no-reboot", "smp", "debugcon", "icount", "version", "help", "monitor", "bios", "boot",
    "hda", "hdb", "hdc", "hdd", "cdrom", "drive", "snapshot", "gdb", "enable-kvm", "accel"};

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
  size_t best_d = std::min<size_t>(3, name.size() / 3 + 1);  // near misses only: -usb is not -hdb
  for (const CLI::Option* o : app.get_options()) {
    for (const std::string& ln : o->get_lnames()) {
      size_t d = edit_distance(name, ln);
      if (d < best_d) { best_d = d; best = "--" + ln; }
    }
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", best);
}

}  // namespace

std::string apply_char_options(machine::MachineConfig& m, const std::vector<std::string>& serials,
                               const std::string& monitor, bool nographic) {
  if (serials.size() > 2)
    return fmt::format("-serial given {} times: vmlab has two serial ports (COM1, COM2)", serials.size());
  for (const std::string& s : serials) {
    try {
      devices::parse_char_spec(s);
    } catch (const std::runtime_error& e) {
      return fmt::format("-serial: {}", e.what());
    }
  }
  bool monitor_off = monitor == "none" || monitor == "null";
  if (!monitor.empty() && !monitor_off) {
    try {
      devices::parse_char_spec(monitor);
    } catch (const std::runtime_error& e) {
      return fmt::format("-monitor: {}", e.what());
    }
  }
  if (serials.size() >= 1) m.serial = serials[0];
  if (serials.size() >= 2) m.serial2 = serials[1];
  m.monitor = monitor_off ? "" : monitor;
  // QEMU's -nographic: with neither -serial nor -monitor, both share stdio (mon:stdio, Ctrl-A c);
  // otherwise whichever was not given goes to stdio - unlike QEMU, not the monitor when a
  // -serial already reads stdio (QEMU refuses that combination).
  if (nographic) {
    auto reads_stdin = [](const std::string& spec) {
      return spec.find("stdio") != std::string::npos;
    };
    if (serials.empty() && monitor.empty()) m.serial = "mon:stdio";
    else if (monitor.empty() && std::none_of(serials.begin(), serials.end(), reads_stdin))
      m.monitor = "stdio";
  }
  // -monitor stdio alone: stdin is the monitor's; COM1 keeps its output on stdout (QEMU would
  // put COM1 on a virtual console vmlab does not have).
  if (serials.empty() && m.serial == "stdio" && m.monitor.rfind("stdio", 0) == 0)
    m.serial = "stdio,input=off";
  return "";
}

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
  std::string memory, display = "auto", smp = "1", icount;
  std::vector<std::string> devices;
  std::vector<std::string> drive_specs;  // -drive, in order
  std::string hd[4], cdrom;
  bool snapshot = false;
  bool nographic = false, version = false;

  CLI::App app{"vmlab: a full-system x86 PC emulator for teaching virtualization.\n"
               "QEMU single-dash spellings (-kernel, -append, -initrd, -serial, -display, -nographic,\n"
               "-device, -no-reboot, -smp, -debugcon, -icount, -monitor, -hda..-hdd, -cdrom, -drive,\n"
               "-snapshot, -bios, -boot, -gdb, -enable-kvm, -accel) are accepted too; -s and -S as\n"
               "in QEMU. Every option with an example: docs/cli.md.",
               "vmlab"};
  app.allow_extras();  // unknown options are reported by us, with a suggestion
  app.add_option("-m,--memory", memory, "guest RAM: 256 (MiB), 256M, 1G; 1M..3G (default 128M)");
  app.add_option("--kernel", m.kernel, "multiboot v1 kernel (ELF32 or a.out kludge) to boot");
  app.add_option("--append", m.append, "kernel command line");
  app.add_option("--initrd", m.initrd, "multiboot modules: \"file args,file2\"");
  std::string boot;
  app.add_option("--bios", m.bios, "BIOS image (64/128/256 KiB) instead of vmlab's own; used without -kernel");
  app.add_option("--boot", boot, "boot device: c (first hard disk, default) or d (CD-ROM); QEMU's order=c too");
  std::vector<std::string> serials;  // COM1, COM2
  std::string monitor;
  app.add_option("--serial", serials,
                 "COM1, given again COM2: stdio (default), null, file:PATH, "
                 "tcp:[HOST]:PORT,server[,nowait], mon:stdio")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--monitor", monitor, "monitor (docs/monitor.md): stdio, tcp::PORT,server,nowait, none");
  app.add_option("--debugcon", m.debugcon, "port 0xE9 debug console: stdio (default), null, file:PATH");
  app.add_option("--display", display, "sdl (a window; the default when a display exists) or none");
  app.add_flag("--nographic", nographic,
               "no display; serial and monitor share stdio (-serial mon:stdio, Ctrl-A c switches)");
  app.add_option("--device", devices, "isa-debug-exit[,iobase=N][,iosize=N]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  for (int i = 0; i < 4; ++i)
    app.add_option(fmt::format("--hd{}", char('a' + i)), hd[i],
                   fmt::format("raw disk image as IDE drive {} ({})", i,
                               i == 0 ? "primary master" : i == 1 ? "primary slave"
                               : i == 2 ? "secondary master" : "secondary slave"));
  app.add_option("--cdrom", cdrom, "ISO image in the ATAPI CD-ROM (IDE index 2)");
  app.add_option("--drive", drive_specs,
                 "file=F,index=N,media=disk|cdrom,format=raw[,if=ide][,readonly=on][,snapshot=on]")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--snapshot", snapshot, "disk writes go to a temporary overlay; images stay unchanged");
  bool gdb_default = false;
  app.add_option("--gdb", cmd.gdb, "gdb stub on tcp::PORT (docs/gdb.md)");
  app.add_flag("-s", gdb_default, "gdb stub on tcp::1234 (QEMU's -s)");
  app.add_flag("-S", cmd.start_paused, "start with the CPU stopped: wait for gdb's continue or the monitor's cont");
  app.add_flag("--no-reboot", m.no_reboot, "exit with status 3 on a triple fault instead of rebooting");
  app.add_option("--smp", smp, "number of CPUs, 1 to 8 (default 1); QEMU's cpus=N form too");
  app.add_option("--backend", m.backend,
                 "execution technique: interp (default), bt (binary translation) or kvm; trap is planned");
  bool enable_kvm = false;
  std::string accel;
  app.add_flag("--enable-kvm", enable_kvm, "QEMU spelling of --backend kvm");
  app.add_option("--accel", accel, "QEMU spelling: kvm (= --backend kvm) or tcg (= --backend interp)");
  app.add_option("--mmu", m.mmu, "MMU mode: direct (shadow, nested planned)");
  app.add_flag("--stats", cmd.stats, "print counters as a table on stderr at exit");
  app.add_option("--stats-json", cmd.stats_json, "write counters as JSON to FILE at exit");
  app.add_option("--screendump-at-exit", cmd.screendump_at_exit,
                 "write the VGA screen to FILE at exit: PNG if it ends in .png, else PPM");
  app.add_flag("--deterministic", m.deterministic,
               "virtual time from instructions retired (10 ns each): repeatable runs");
  app.add_option("--icount", icount, "QEMU spelling: any value turns on --deterministic");
  app.add_option("--max-instructions", m.max_instructions, "stop after N guest instructions");
  bool no_decode_cache = false, no_blocks = false, no_tlb = false, no_jump_cache = false;
  app.add_flag("--no-decode-cache", no_decode_cache, "speed-trick off switch: decode every instruction every time");
  app.add_flag("--no-blocks", no_blocks, "speed-trick off switch: interpret one instruction at a time");
  app.add_flag("--no-jump-cache", no_jump_cache,
               "speed-trick off switch: find every block through the fetch translation");
  bool no_chaining = false, no_branch_blocks = false, no_fast_handlers = false, no_threaded = false,
       no_flat_segments = false;
  app.add_flag("--no-chaining", no_chaining,
               "speed-trick off switch: blocks do not remember their successor blocks");
  app.add_flag("--no-branch-blocks", no_branch_blocks,
               "speed-trick off switch: blocks end at every conditional branch");
  app.add_flag("--no-fast-handlers", no_fast_handlers,
               "speed-trick off switch: only the general instruction handlers, no fast variants");
  app.add_flag("--no-threaded", no_threaded,
               "speed-trick off switch: the interpreter's loop calls every handler, no threaded blocks");
  app.add_flag("--no-flat-segments", no_flat_segments,
               "speed-trick off switch: threaded fast handlers check the segment even when it is flat");
  app.add_flag("--no-tlb", no_tlb, "speed-trick off switch: no software TLB, every access translates");
  app.add_option("--bt-hot-runs", m.bt_hot_runs,
                 "--backend bt: runs of a cached block before it becomes host code (default 16; 1 "
                 "translates every block at once, as the tests do)")
      ->check(CLI::Range(1u, 1000000u));
  app.add_flag("--bt-perf-map", m.bt_perf_map,
               "--backend bt: name each block's host code in /tmp/perf-<pid>.map for `perf report`");
  std::string kvm_threads = "on";
  app.add_option("--kvm-threads", kvm_threads,
                 "-smp N on --backend kvm: on (default) = one host thread per vCPU in one VM; off = "
                 "all vCPUs round-robin in one thread")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--kvm-irqchip", m.kvm_irqchip,
                 "--backend kvm: user (default) = vmlab's PIC/IOAPIC/local APICs, interrupts injected "
                 "by vmlab; kernel = KVM's in-kernel 8259s, IOAPIC and local APICs")
      ->check(CLI::IsMember({"user", "kernel"}));
  app.add_flag("--version", version, "print the version and exit");
  bool list_backends = false;
  app.add_flag("--list-backends", list_backends, "print the techniques --backend accepts, one a line, and exit");

  // A QEMU option vmlab lacks must be named as given: CLI11 would read -machine as -m achine
  // and -soundhw as -s plus -oundhw. Any single-dash word longer than two characters that is
  // not the value of an option before it is such an option.
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() <= 2 || a[0] != '-' || a[1] == '-') continue;
    if (i > 0 && args[i - 1].find('=') == std::string::npos) {
      const CLI::Option* prev = app.get_option_no_throw(args[i - 1]);
      if (prev && prev->get_items_expected_min() > 0) continue;  // e.g. -append -quiet
    }
    fmt::print(err, "vmlab: unknown option '{}'{}\nRun 'vmlab --help' for the options.\n", a,
               suggestion(app, a));
    return {std::nullopt, 2};
  }
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
  if (list_backends) {
    for (const std::string& b : machine::implemented_backends()) fmt::print(out, "{}\n", b);
    return {std::nullopt, 0};
  }
  auto fail = [&](const std::string& msg) {
    fmt::print(err, "vmlab: {}\nRun 'vmlab --help' for the options.\n", msg);
    return ParseResult{std::nullopt, 2};
  };
  for (const std::string& extra : app.remaining()) {
    if (!extra.empty() && extra[0] == '-' && extra.size() > 1)
      return fail(fmt::format("unknown option '{}'{}", extra, suggestion(app, extra)));
    return fail(fmt::format("unexpected argument '{}' (give a disk image with -hda FILE; boot a "
                            "multiboot kernel with -kernel FILE)", extra));
  }
  try {
    if (!memory.empty()) m.ram_bytes = parse_ram_size(memory);
    for (const std::string& d : devices) m.debug_exits.push_back(parse_device(d));
    std::vector<DriveOption> drive_opts;
    for (int i = 0; i < 4; ++i)
      if (app.count(fmt::format("--hd{}", char('a' + i)))) drive_opts.push_back({fmt::format("hd{}", char('a' + i)), hd[i]});
    if (app.count("--cdrom")) drive_opts.push_back({"cdrom", cdrom});
    for (const std::string& d : drive_specs) drive_opts.push_back({"drive", d});
    m.drives = collect_drives(drive_opts, snapshot);
  } catch (const std::invalid_argument& e) {
    return fail(e.what());
  }
  if (gdb_default) {
    if (!cmd.gdb.empty() && cmd.gdb != "tcp::1234")
      return fail(fmt::format("-s and -gdb {}: give one of them (-s is -gdb tcp::1234)", cmd.gdb));
    cmd.gdb = "tcp::1234";
  }
  if (!cmd.gdb.empty() && cmd.gdb.rfind("tcp:", 0) != 0)
    return fail(fmt::format("-gdb {}: use tcp::PORT (for example -gdb tcp::1234, or -s)", cmd.gdb));
  // -smp N or QEMU's -smp cpus=N[,...]: only the CPU count matters to this PC (no sockets,
  // cores or threads topology is modelled).
  {
    std::string n = smp;
    if (n.rfind("cpus=", 0) == 0) n = n.substr(5);
    if (auto comma = n.find(','); comma != std::string::npos) {
      const std::string rest = n.substr(comma + 1);
      n = n.substr(0, comma);
      if (!rest.empty() && rest.rfind("maxcpus=", 0) != 0 && rest.rfind("cores=", 0) != 0 &&
          rest.rfind("threads=", 0) != 0 && rest.rfind("sockets=", 0) != 0)
        return fail(fmt::format("-smp {}: unknown key in '{}' (use -smp N)", smp, rest));
    }
    char* end = nullptr;
    const unsigned long count = std::strtoul(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || count < 1 || count > 8)
      return fail(fmt::format("-smp {}: give a CPU count from 1 to 8", smp));
    m.smp = unsigned(count);
  }
  if (nographic) {
    display = "none";
  }
  if (auto r = apply_char_options(m, serials, monitor, nographic); !r.empty()) return fail(r);
  // QEMU's sub-options (-display sdl,gl=off) are accepted and ignored; the kind must be known.
  display = display.substr(0, display.find(','));
  if (display == "default") display = "auto";
  if (display != "none" && display != "sdl" && display != "auto")
    return fail(fmt::format("-display {}: not implemented (use -display sdl or -display none)", display));
  cmd.display = display;
  if (!boot.empty()) {
    // QEMU: -boot c, -boot d, -boot order=dc,menu=off...: the first device letter counts.
    std::string order = boot;
    if (auto eq = order.find("order="); eq != std::string::npos) order = order.substr(eq + 6);
    if (order.empty() || (order[0] != 'c' && order[0] != 'd'))
      return fail(fmt::format("-boot {}: vmlab boots from c (hard disk) or d (CD-ROM)", boot));
    m.boot_device = order[0];
  }
  // QEMU's accelerator choice names one of vmlab's techniques: KVM is KVM, and TCG (QEMU's
  // software CPU) corresponds to the interpreter.
  if (enable_kvm || !accel.empty()) {
    std::string want = "kvm";
    if (!accel.empty()) {
      const std::string kind = accel.substr(0, accel.find(','));
      if (kind == "tcg") want = "interp";
      else if (kind != "kvm")
        return fail(fmt::format("-accel {}: vmlab has kvm (--backend kvm) and tcg (--backend interp)", accel));
      if (enable_kvm && want != "kvm") return fail(fmt::format("-enable-kvm and -accel {}: give one", accel));
    }
    if (app.count("--backend") && m.backend != want)
      return fail(fmt::format("{} and --backend {}: give one of them",
                              enable_kvm ? "-enable-kvm" : "-accel " + accel, m.backend));
    m.backend = want;
  }
  if (!icount.empty()) m.deterministic = true;
  m.decode_cache = !no_decode_cache;
  m.interp_blocks = !no_blocks;
  m.interp_jump_cache = !no_jump_cache;
  m.interp_chaining = !no_chaining;
  m.interp_branch_blocks = !no_branch_blocks;
  m.interp_fast_handlers = !no_fast_handlers;
  m.interp_threaded = !no_threaded;
  m.interp_flat_segments = !no_flat_segments;
  m.tlb = !no_tlb;
  if ((app.count("--bt-hot-runs") || m.bt_perf_map) && m.backend != "bt")
    return fail(fmt::format("--bt-hot-runs and --bt-perf-map are --backend bt settings; add --backend "
                            "bt (now {})", m.backend));
  m.kvm_threads = kvm_threads == "on";
  if (m.kvm_irqchip == "kernel" && m.backend != "kvm")
    return fail(fmt::format("--kvm-irqchip kernel needs --backend kvm (the in-kernel irqchip is "
                            "KVM's); --backend {} always uses vmlab's interrupt controllers", m.backend));
  if (m.max_instructions == 0 && app.count("--max-instructions"))
    return fail("--max-instructions 0: give a positive instruction count");
  return {cmd, 0};
}

}  // namespace vmlab::ui
