// vmlab entry point: parse the command line, build the machine, boot the kernel, run, report.
// Exit statuses are listed in docs/usage.md.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>

#include "firmware/multiboot_loader.h"
#include "machine/core_factory.h"
#include "machine/machine.h"
#include "machine/setup_error.h"
#include "ui/command_line.h"

using namespace vmlab;

namespace {

// The one machine a signal may stop; set while it runs. Only atomics are touched from the
// handler (Machine::request_stop_from_signal is async-signal-safe).
std::atomic<machine::Machine*> g_running{nullptr};
std::atomic<int> g_signals{0};

extern "C" void on_stop_signal(int sig) {
  // The first signal asks the machine to stop cleanly (flush, stats); a second one means the
  // user is not waiting any more.
  if (g_signals.fetch_add(1) > 0) _exit(128 + sig);
  if (machine::Machine* m = g_running.load()) m->request_stop_from_signal(sig);
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Without -kernel: the bundled demo guest built next to the binary.
std::string default_kernel() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path demo = exe.parent_path() / "guests" / "demo" / "demo.elf";
  if (!ec && std::filesystem::exists(demo, ec)) return demo.string();
  throw machine::SetupError(fmt::format(
      "no -kernel given and the bundled demo guest is not at {}; build it (bash scripts/do.sh "
      "boot, or cmake --build build, which needs gcc-multilib) or pass -kernel FILE",
      demo.string()));
}

int run(const ui::CommandLine& cmd) {
  machine::MachineConfig cfg = cmd.machine;
  // Cheap checks first (technique, MMU mode, devices, back ends), then the files.
  machine::Machine m(cfg, machine::make_execution_core(cfg));
  if (cfg.kernel.empty()) cfg.kernel = default_kernel();
  std::vector<uint8_t> kernel = firmware::read_image_file(cfg.kernel, "kernel");
  firmware::MultibootParams params{cfg.kernel, cfg.append, {}};
  for (const std::string& spec : firmware::split_module_list(cfg.initrd)) {
    std::string path = spec.substr(0, spec.find(' '));
    if (path.empty()) throw machine::SetupError("-initrd: empty module name");
    params.modules.push_back({spec, firmware::read_image_file(path, "module")});
  }
  m.set_boot([&](machine::Machine& mm) {
    firmware::load_multiboot(mm.memory(), mm.vcpu().s, kernel, params);
  });
  m.reset();

  g_running.store(&m);
  install_signal_handlers();
  machine::RunResult r = m.run();
  g_running.store(nullptr);

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
