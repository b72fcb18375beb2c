// Ctrl-A escapes and serial/monitor multiplexing on one line (see char_backend_mux.h).
#include "devices/char_backend_mux.h"

namespace vmlab::devices {

namespace {
// Input a front end has not taken yet; past this the line is not read (back-pressure).
constexpr size_t kMaxQueued = 4096;

constexpr const char* kHelp =
    "\r\n"
    "C-a h    print this help\r\n"
    "C-a x    exit vmlab (status 0)\r\n"
    "C-a b    send a break to the serial port\r\n"
    "C-a c    switch between the serial console and the monitor (-serial mon:stdio)\r\n"
    "C-a C-a  send C-a to the guest\r\n";
}  // namespace

MuxBackend::MuxBackend(std::unique_ptr<CharBackend> line, bool with_monitor)
    : line_(std::move(line)) {
  if (with_monitor) monitor_ = std::make_unique<Port>(*this);
  line_->attach([this](uint8_t b) { on_line_byte(b); },
                [this] { return focused().pending_bytes() < kMaxQueued; },
                [this](CharEvent e) { focused().report(e); });
}

void MuxBackend::on_line_byte(uint8_t b) {
  if (got_escape_) {
    got_escape_ = false;
    if (b != kEscape) {
      escape(b);
      return;
    }
  } else if (b == kEscape) {
    got_escape_ = true;
    return;
  }
  focused().push_input(&b, 1);
}

void MuxBackend::escape(uint8_t b) {
  switch (b) {
    case 'h': case 'H': case '?':
      line_->write_text(kHelp);
      line_->flush();
      break;
    case 'x': case 'X':
      line_->flush();
      if (quit_) quit_();
      break;
    case 'b': case 'B':
      if (!monitor_focus_) report(CharEvent::Break);
      break;
    case 'c': case 'C':
      if (!monitor_) {
        line_->write_text("\r\nvmlab: no monitor on this line (use -serial mon:stdio)\r\n");
        line_->flush();
        break;
      }
      monitor_focus_ = !monitor_focus_;
      if (monitor_focus_) monitor_->report(CharEvent::Opened);  // the monitor prints its prompt
      break;
    default:
      break;  // as QEMU: an unknown escape is dropped
  }
}

bool MuxBackend::poll_input() {
  bool any = line_->poll_input();
  any |= drain_pending();
  if (monitor_) any |= monitor_->drain_pending();
  return any;
}

bool MuxBackend::input_possible() const {
  return line_->input_possible() || has_pending() || (monitor_ && monitor_->has_pending());
}

}  // namespace vmlab::devices
