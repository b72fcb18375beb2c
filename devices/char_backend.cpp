// Character back ends: the input plumbing shared by all, null and file, and opening a spec
// (see char_backend.h).
#include "devices/char_backend.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

#include "devices/char_backend_mux.h"
#include "devices/char_backend_tcp.h"

namespace vmlab::devices {

void CharBackend::attach(Receiver receive, CanReceive can_receive, EventHandler events) {
  receive_ = std::move(receive);
  can_receive_ = std::move(can_receive);
  events_ = std::move(events);
}

void CharBackend::push_input(const uint8_t* data, size_t n) {
  pending_.insert(pending_.end(), data, data + n);
  drain_pending();
}

bool CharBackend::drain_pending() {
  if (!receive_) return false;
  bool any = false;
  while (!pending_.empty() && (!can_receive_ || can_receive_())) {
    uint8_t b = pending_.front();
    pending_.pop_front();
    receive_(b);
    any = true;
  }
  return any;
}

FileBackend::~FileBackend() {
  if (f_) std::fclose(f_);
}
// Line by line, so `tail -f` (and a test waiting for a line) sees output as the guest writes it.
void FileBackend::write(uint8_t byte) {
  std::fputc(byte, f_);
  if (byte == '\n') std::fflush(f_);
}
void FileBackend::flush() { std::fflush(f_); }

std::unique_ptr<CharBackend> open_char_backend(const CharSpec& spec) {
  std::unique_ptr<CharBackend> be;
  switch (spec.kind) {
    case CharSpec::Kind::Stdio:
      be = std::make_unique<StdioBackend>(spec.signals, spec.input);
      break;
    case CharSpec::Kind::Null:
      be = std::make_unique<NullBackend>();
      break;
    case CharSpec::Kind::File: {
      std::FILE* f = std::fopen(spec.path.c_str(), "w");
      if (!f)
        throw std::runtime_error(fmt::format("cannot create '{}' for serial output: {}", spec.path,
                                             std::strerror(errno)));
      be = std::make_unique<FileBackend>(f);
      break;
    }
    case CharSpec::Kind::Tcp:
      be = TcpServerBackend::open(spec.host, spec.port, spec.wait);
      break;
  }
  // The terminal gets QEMU's Ctrl-A escapes (x quits, h helps) even without a monitor.
  if (spec.mux || spec.kind == CharSpec::Kind::Stdio)
    return std::make_unique<MuxBackend>(std::move(be), spec.mux);
  return be;
}

std::unique_ptr<CharBackend> open_char_backend(const std::string& spec) {
  return open_char_backend(parse_char_spec(spec));
}

}  // namespace vmlab::devices
