// MuxBackend: QEMU's Ctrl-A escapes on a line, and with `mon:` two front ends sharing it: the
// serial port (the MuxBackend itself) and the monitor (monitor_port()). Ctrl-A c moves the
// input focus between them; output from both always reaches the line.
//
//   Ctrl-A h  help       Ctrl-A x  quit (status 0)       Ctrl-A c  serial <-> monitor
//   Ctrl-A b  break      Ctrl-A Ctrl-A  a literal Ctrl-A  anything else after Ctrl-A: dropped
//
//   MuxBackend mux(std::make_unique<StdioBackend>(), /*with_monitor=*/true);
//   mux.attach(uart_rx, uart_can_rx);            // serial side, focused first
//   mux.monitor_port()->attach(monitor_rx);      // monitor side
//   mux.set_quit_handler([&] { machine.request_exit(0); });
#pragma once
#include <functional>
#include <memory>

#include "devices/char_backend.h"

namespace vmlab::devices {

class MuxBackend : public CharBackend {
 public:
  static constexpr uint8_t kEscape = 0x01;  // Ctrl-A

  MuxBackend(std::unique_ptr<CharBackend> line, bool with_monitor);
  MuxBackend(const MuxBackend&) = delete;
  MuxBackend& operator=(const MuxBackend&) = delete;

  void write(uint8_t byte) override { line_->write(byte); }
  void flush() override { line_->flush(); }
  // Polls the line (escapes are handled as bytes arrive), then delivers to both front ends.
  bool poll_input() override;
  int input_fd() const override { return line_->input_fd(); }
  bool input_possible() const override;
  CharBackend* monitor_port() override { return monitor_.get(); }
  void set_quit_handler(std::function<void()> fn) override { quit_ = std::move(fn); }

  bool monitor_focused() const { return monitor_focus_; }
  CharBackend& line() { return *line_; }
  // One byte from the line through the escape state machine (tests feed it directly).
  void on_line_byte(uint8_t b);

 private:
  class Port : public CharBackend {
   public:
    explicit Port(MuxBackend& mux) : mux_(mux) {}
    void write(uint8_t byte) override { mux_.line_->write(byte); }
    void flush() override { mux_.line_->flush(); }
    bool poll_input() override { return mux_.poll_input(); }
    int input_fd() const override { return mux_.input_fd(); }
    bool input_possible() const override { return mux_.input_possible(); }
   private:
    MuxBackend& mux_;
  };
  CharBackend& focused() { return monitor_focus_ ? static_cast<CharBackend&>(*monitor_) : *this; }
  void escape(uint8_t b);

  std::unique_ptr<CharBackend> line_;
  std::unique_ptr<Port> monitor_;  // null without `mon:`
  std::function<void()> quit_;
  bool got_escape_ = false;
  bool monitor_focus_ = false;
};

}  // namespace vmlab::devices
