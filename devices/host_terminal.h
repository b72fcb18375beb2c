// The host terminal behind stdin: raw mode for interactive serial input, and restoring it on
// every way out (normal exit, fatal signal, crash). The saved settings are process-wide because
// the terminal is: one copy per process, written before raw mode starts, read by the
// async-signal-safe restore.
//
//   host_terminal::enter_raw(/*signals=*/true);   // stdin must be a terminal
//   ...
//   host_terminal::restore();                      // also called from atexit and signal paths
#pragma once

namespace vmlab::devices::host_terminal {

// Puts the terminal on stdin into raw mode (no echo, no line editing, no CR->NL, 8-bit) keeping
// output processing (NL -> CR NL) and, when `signals`, Ctrl-C/Ctrl-Z as signals. Does nothing
// and returns false when stdin is not a terminal or we are not its foreground process. The
// first call installs an atexit hook and SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL handlers that
// restore the terminal, then let the signal do what it would have done.
bool enter_raw(bool signals);
// Back to the settings saved by enter_raw(); async-signal-safe, idempotent.
void restore();
bool is_raw();

}  // namespace vmlab::devices::host_terminal
