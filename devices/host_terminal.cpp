// Raw mode for the terminal on stdin, restored on every exit path (see host_terminal.h).
#include "devices/host_terminal.h"

#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>

namespace vmlab::devices::host_terminal {

namespace {
// Process-wide by nature (there is one terminal); see the header for why this is not per-device.
struct termios g_saved;
struct termios g_raw_settings;  // re-applied when a suspended vmlab (Ctrl-Z) is continued
std::atomic<bool> g_raw{false};
std::atomic<bool> g_hooks{false};

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGQUIT, SIGHUP};

extern "C" void restore_then_reraise(int sig) {
  restore();
  // SA_RESETHAND put the default action back: raising again ends the process as it would have.
  raise(sig);
}

// Ctrl-Z: the shell needs its terminal back while we are stopped; raw again on `fg`.
extern "C" void suspend_cooked(int) {
  bool was_raw = g_raw.load();
  restore();
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGTSTP, &dfl, nullptr);
  raise(SIGTSTP);  // stops here until SIGCONT
  struct sigaction again {};
  again.sa_handler = suspend_cooked;
  sigemptyset(&again.sa_mask);
  sigaction(SIGTSTP, &again, nullptr);
  // Continued in the background (`bg`): leave the terminal to the shell.
  if (was_raw && tcgetpgrp(STDIN_FILENO) == getpgrp() &&
      tcsetattr(STDIN_FILENO, TCSANOW, &g_raw_settings) == 0)
    g_raw.store(true);
}

void install_hooks() {
  if (g_hooks.exchange(true)) return;
  std::atexit([] { restore(); });
  for (int sig : kFatalSignals) {
    struct sigaction old {};
    sigaction(sig, nullptr, &old);
    if (old.sa_handler != SIG_DFL) continue;  // someone else handles it; leave theirs alone
    struct sigaction sa {};
    sa.sa_handler = restore_then_reraise;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaction(sig, &sa, nullptr);
  }
  struct sigaction old {};
  sigaction(SIGTSTP, nullptr, &old);
  if (old.sa_handler == SIG_DFL) {
    struct sigaction sa {};
    sa.sa_handler = suspend_cooked;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTSTP, &sa, nullptr);
  }
}
}  // namespace

bool enter_raw(bool signals) {
  if (g_raw.load()) return true;
  if (!isatty(STDIN_FILENO)) return false;
  // A background job that changes the terminal would be stopped with SIGTTOU.
  if (tcgetpgrp(STDIN_FILENO) != getpgrp()) return false;
  struct termios t;
  if (tcgetattr(STDIN_FILENO, &t) != 0) return false;
  g_saved = t;
  install_hooks();
  // As QEMU's stdio back end: no input translation or flow control, no echo, no line editing;
  // output keeps OPOST so the guest's "\n" still starts a new line.
  t.c_iflag &= ~tcflag_t(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  t.c_oflag |= OPOST;
  t.c_lflag &= ~tcflag_t(ECHO | ECHONL | ICANON | IEXTEN);
  if (!signals) t.c_lflag &= ~tcflag_t(ISIG);
  t.c_cflag &= ~tcflag_t(CSIZE | PARENB);
  t.c_cflag |= CS8;
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  g_raw_settings = t;
  g_raw.store(true);
  if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0) {
    g_raw.store(false);
    return false;
  }
  return true;
}

void restore() {
  if (!g_raw.exchange(false)) return;
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
}

bool is_raw() { return g_raw.load(); }

}  // namespace vmlab::devices::host_terminal
