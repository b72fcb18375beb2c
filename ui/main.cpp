// vmlab entry point: parse the command line, build the machine, boot the kernel, run, report.
// Exit statuses are listed in docs/usage.md.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fmt/format.h>

#include "devices/vga/image_file.h"
#include "firmware/bios_loader.h"
#include "firmware/linux_loader.h"
#include "firmware/multiboot_loader.h"
#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"
#include "ui/gdb/gdb_session.h"
#include "ui/sdl_window.h"
#include "ui/command_line.h"
#include "ui/monitor.h"
#include "devices/host_terminal.h"

using namespace vmlab;

namespace {

// The one machine a signal may stop; set while it runs. Only atomics are touched from the
// handler (Machine::request_stop_from_signal is async-signal-safe).
std::atomic<machine::Machine*> g_running{nullptr};
std::atomic<int> g_signals{0};

extern "C" void on_stop_signal(int sig) {
  // The first signal asks the machine to stop cleanly (flush, stats); a second one means the
  // user is not waiting any more.
  if (g_signals.fetch_add(1) > 0) {
    devices::host_terminal::restore();  // _exit skips atexit: put the terminal back first
    _exit(128 + sig);
  }
  if (machine::Machine* m = g_running.load()) m->request_stop_from_signal(sig);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// No guest given at all: the bundled teaching kernel (guests/kernel) built next to the binary.
std::string default_kernel() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path k = exe.parent_path() / "guests" / "kernel" / "kernel.elf";
  if (!ec && std::filesystem::exists(k, ec)) return k.string();
  throw machine::SetupError(fmt::format(
      "no guest given (-kernel, -hda, -cdrom or -bios) and the bundled kernel is not at {}; "
      "build it (target `kernel`, needs gcc-multilib) or pass -kernel FILE", k.string()));
}

int run(const ui::CommandLine& cmd) {
  machine::MachineConfig cfg = cmd.machine;
  // Cheap checks first (technique, MMU mode, devices, back ends), then the files.
  machine::Machine m(cfg, machine::make_execution_core(cfg));
  if (cfg.kernel.empty() && cfg.drives.empty() && cfg.bios.empty()) cfg.kernel = default_kernel();
  std::vector<uint8_t> kernel;
  firmware::MultibootParams params{cfg.kernel, cfg.append, {}};
  if (cfg.kernel.empty()) {
    // No -kernel: boot like a PC, through the BIOS (vmlab's own, or -bios FILE).
    firmware::setup_bios_boot(m, firmware::read_bios_image(
                                     cfg.bios.empty() ? firmware::builtin_bios_path() : cfg.bios));
  } else if (kernel = firmware::read_image_file(cfg.kernel, "kernel"); firmware::is_linux_bzimage(kernel)) {
    // A Linux bzImage: loaded by vmlab, entered by the BIOS after POST (docs/firmware.md).
    std::vector<uint8_t> initrd;
    if (!cfg.initrd.empty()) initrd = firmware::read_image_file(cfg.initrd, "initrd");
    firmware::setup_linux_boot(m, firmware::read_bios_image(
                                      cfg.bios.empty() ? firmware::builtin_bios_path() : cfg.bios),
                               kernel, std::move(initrd), cfg.append);
  } else {
    for (const std::string& spec : firmware::split_module_list(cfg.initrd)) {
      std::string path = spec.substr(0, spec.find(' '));
      if (path.empty()) throw machine::SetupError("-initrd: empty module name");
      params.modules.push_back({spec, firmware::read_image_file(path, "module")});
    }
    // Loaded by vmlab on every reset, with the MP/ACPI tables and E820 map a BIOS boot gives.
    firmware::setup_multiboot_boot(m, std::move(kernel), std::move(params));
  }
  m.reset();
  // The monitor (docs/monitor.md) on -monitor SPEC or the mon: half of -serial. A dedicated
  // stdio monitor greets at once; mon: greets on Ctrl-A c, a TCP one when a client connects.
  std::optional<ui::Monitor> monitor;
  if (devices::CharBackend* line = m.monitor_backend())
    monitor.emplace(m, *line, cfg.monitor.rfind("stdio", 0) == 0);

  // The gdb stub (docs/gdb.md): -S waits for gdb's continue (or the monitor's cont).
  // The window (-display sdl, or by default when there is a display to open it on).
  std::unique_ptr<ui::SdlWindow> window;
  const bool have_display = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  if (cmd.display == "sdl" || (cmd.display == "auto" && have_display)) {
    window = std::make_unique<ui::SdlWindow>(m);
    ui::SdlWindow* w = window.get();
    m.add_host_poller([w] { w->poll(); });
  }
  std::optional<ui::gdb::GdbSession> gdb;
  if (!cmd.gdb.empty()) gdb.emplace(m, cmd.gdb);
  if (cmd.start_paused) m.pause();

  g_running.store(&m);
  install_signal_handlers();
  machine::RunResult r = m.run();
  g_running.store(nullptr);
  if (gdb) gdb->stub().report_exit(r.status);

  std::fflush(stdout);
  if (!r.message.empty()) fmt::print(stderr, "vmlab: {}\n", r.message);
  if (cmd.stats) {
    fmt::print(stderr, "vmlab statistics (backend {}, mmu {}, {} clock):\n{}", m.core().name(),
               cfg.mmu, cfg.deterministic ? "deterministic" : "real-time", m.stats().table());
  }
  if (!cmd.stats_json.empty()) {
    std::string error;
    if (!m.stats().write_json(cmd.stats_json, error)) fmt::print(stderr, "vmlab: {}\n", error);
  }
  if (!cmd.screendump_at_exit.empty()) {  // what the VGA shows as the run ends (tests look at it)
    devices::vga::RgbImage screen;
    devices::vga::render(m.vga(), screen);
    std::string error = devices::vga::write_image_file(screen, cmd.screendump_at_exit);
    if (!error.empty()) fmt::print(stderr, "vmlab: {}\n", error);
  }
  return r.status;
}

}  // namespace

int main(int argc, char** argv) {
  ui::ParseResult p = ui::parse_command_line(argc, argv, stdout, stderr);
  if (!p.cmd) return p.status;
  try {
    return run(*p.cmd);
  } catch (const machine::SetupError& e) {
    fmt::print(stderr, "vmlab: {}\n", e.what());
    return machine::kExitSetup;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "vmlab: {}\n", e.what());
    return machine::kExitSetup;
  } catch (const std::exception& e) {
    fmt::print(stderr, "vmlab: internal error: {}\n", e.what());
    return machine::kExitInternal;
  }
}
