// vmlab_fuzz: the random-code fuzz campaign as a program (ctest `fuzz_random_code`).
//
//   vmlab_fuzz [--seed N] [--pages 4000] [--budget 2000]     the campaign
//   vmlab_fuzz --seed N --mode pm32-cpl3 --page 17 -v        reproduce one page
//
// Exit 0 when every run ended as it may (exception, triple fault, HLT, budget) and nothing else
// was found; 1 with the problems listed; a watchdog ends a run that hangs (exit 3) and a crash
// handler names the run that crashed.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>
#include <unistd.h>

#include "tests/fuzz/random_code.h"

using namespace vmlab::fuzz;

namespace {

void write_str(const char* s) { ssize_t n = write(2, s, std::strlen(s)); (void)n; }

void on_fatal_signal(int sig) {
  write_str("\nvmlab_fuzz: host crash (signal ");
  write_str(sig == SIGSEGV ? "SIGSEGV" : sig == SIGABRT ? "SIGABRT" : sig == SIGFPE ? "SIGFPE"
                                                                                     : "other");
  write_str(") during ");
  write_str(current_run_context());
  write_str("\n");
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run pages of random code on the interpreter in every CPU mode"};
  FuzzConfig c;
  std::string mode;
  uint32_t page = 0;
  double watchdog_s = 60;
  app.add_option("--seed", c.seed, "random seed (printed; same seed, same runs)");
  app.add_option("--pages", c.pages, "pages in total, split across the modes (default 4000)");
  app.add_option("--budget", c.budget, "instructions per page (default 2000)");
  app.add_option("--repeat-every", c.repeat_every, "re-run every Nth page to check determinism");
  auto* mode_opt = app.add_option("--mode", mode, "only this mode: real16 pm32-cpl0 pm32-cpl3 "
                                                  "paging32 v86");
  auto* page_opt = app.add_option("--page", page, "only this page index");
  app.add_option("--watchdog", watchdog_s, "seconds one page may run before it counts as a hang");
  app.add_flag("-v,--verbose", c.verbose, "one line per run");
  CLI11_PARSE(app, argc, argv);
  if (*mode_opt) {
    FuzzMode m;
    if (!parse_mode(mode, m)) { fmt::print(stderr, "error: unknown mode '{}'\n", mode); return 2; }
    c.only_mode = m;
  }
  if (*page_opt) c.only_page = page;

  for (int sig : {SIGSEGV, SIGABRT, SIGFPE, SIGBUS, SIGILL}) std::signal(sig, on_fatal_signal);
  fmt::print("vmlab_fuzz: seed {}, {} pages, budget {} instructions per page\n", c.seed, c.pages,
             c.budget);
  std::fflush(stdout);

  // Watchdog: the context string changes with every run; if it stays the same too long, the
  // interpreter is hanging on that page.
  std::atomic<bool> done{false};
  std::thread dog([&] {
    std::string last;
    auto since = std::chrono::steady_clock::now();
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::string now = current_run_context();
      if (now != last) { last = now; since = std::chrono::steady_clock::now(); continue; }
      if (std::chrono::steady_clock::now() - since > std::chrono::duration<double>(watchdog_s)) {
        fmt::print(stderr, "\nvmlab_fuzz: HANG: one page ran more than {} s: {}\n", watchdog_s,
                   now);
        std::fflush(stderr);
        std::_Exit(3);
      }
    }
  });
  FuzzReport rep = run_fuzz(c);
  done = true;
  dog.join();

  fmt::print("{}", format_report(rep));
  uint64_t runs = 0;
  for (const ModeStats& s : rep.modes) runs += s.runs;
  // The plain closing line: runs that ended as allowed vs problems found.
  fmt::print("{} passed, {} failed\n", runs - std::min<uint64_t>(runs, rep.problems.size()),
             rep.problems.size());
  return rep.problems.empty() ? 0 : 1;
}
