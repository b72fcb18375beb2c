// The stdio back end: output to stdout, input from stdin (see char_backend.h). Input is set up
// on the first poll, so a back end nobody reads from (the debug console) never touches the
// terminal.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "devices/char_backend.h"
#include "devices/host_terminal.h"

namespace vmlab::devices {

namespace {
// Bytes read per poll at most, and how much may wait for a slow guest before we stop reading.
constexpr size_t kReadChunk = 256;
constexpr size_t kMaxPending = 4096;
}  // namespace

void StdioBackend::write(uint8_t byte) {
  std::fputc(byte, stdout);
  if (byte == '\n') std::fflush(stdout);
}

void StdioBackend::flush() { std::fflush(stdout); }

int StdioBackend::input_fd() const { return eof_ ? -1 : STDIN_FILENO; }

bool StdioBackend::poll_input() {
  bool any = drain_pending();
  std::fflush(stdout);  // a prompt without a newline ("login: ") must show before input comes
  if (eof_ || !attached() || pending_bytes() >= kMaxPending) return any;
  if (!started_) {
    started_ = true;
    host_terminal::enter_raw(signals_);
    // Non-blocking so a poll never waits. stdin's file status flags are shared with whoever
    // else holds the open file description (the shell); host_terminal's restore does not
    // touch them, so put O_NONBLOCK back off at exit.
    int fl = fcntl(STDIN_FILENO, F_GETFL);
    if (fl < 0) {
      eof_ = true;  // no stdin at all (closed): no input
      return any;
    }
    if (!(fl & O_NONBLOCK)) {
      fcntl(STDIN_FILENO, F_SETFL, fl | O_NONBLOCK);
      std::atexit([] {
        int f = fcntl(STDIN_FILENO, F_GETFL);
        if (f >= 0) fcntl(STDIN_FILENO, F_SETFL, f & ~O_NONBLOCK);
      });
    }
  }
  uint8_t buf[kReadChunk];
  ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
  if (n > 0) {
    push_input(buf, size_t(n));
    return true;
  }
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) eof_ = true;
  return any;
}

}  // namespace vmlab::devices
