// CharBackend: the host end of a character device (serial port, debug console, monitor).
// Devices hold a CharBackend& and never know whether it is the terminal, a file, a TCP socket or
// nothing. Output is write(); input is pulled by the machine's run loop (no threads): it calls
// poll_input() between run slices, which reads what the host has ready without blocking and
// hands it to the attached receiver as long as the receiver has room (back-pressure: the rest
// waits in the back end, so a slow guest loses nothing).
//
//   auto be = open_char_backend("tcp::4444,server,nowait");   // see parse_char_spec()
//   be->attach([&](uint8_t b) { uart.receive_byte(b); }, [&] { return uart.can_receive(); });
//   be->write('A');
//   be->poll_input();            // the run loop, every ~1 ms of host time
//
// Back ends: stdio (char_backend_stdio.cpp), null and file (char_backend.cpp), tcp
// (char_backend_tcp.cpp), mon:SPEC / Ctrl-A escapes (char_backend_mux.cpp).
#pragma once
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vmlab::devices {

// Things that happen on a line besides bytes.
enum class CharEvent : uint8_t {
  Opened,  // a client connected (tcp), or the monitor got the focus (mux): print a banner
  Closed,  // the client went away
  Break,   // a break condition (Ctrl-A b on the mux): a UART reports it as LSR.BI
};

class CharBackend {
 public:
  using Receiver = std::function<void(uint8_t)>;
  using CanReceive = std::function<bool()>;
  using EventHandler = std::function<void(CharEvent)>;

  virtual ~CharBackend() = default;
  virtual void write(uint8_t byte) = 0;
  virtual void flush() {}
  void write_text(std::string_view s) {
    for (char c : s) write(uint8_t(c));
  }

  // The device side of input. `can_receive` empty = always ready.
  void attach(Receiver receive, CanReceive can_receive = {}, EventHandler events = {});
  bool attached() const { return bool(receive_); }

  // Reads what the host has ready, without blocking, and delivers it. Returns true when a byte
  // was delivered or an event reported.
  virtual bool poll_input() { return drain_pending(); }
  // A file descriptor that becomes readable when input is ready (for an idle wait), or -1.
  virtual int input_fd() const { return -1; }
  // Whether more input can still arrive (false: stdin at end of file, null, file). A halted
  // guest whose only wake-up source is input that can never come is stopped.
  virtual bool input_possible() const { return has_pending(); }
  // The monitor's half of a `mon:` back end, nullptr for every other back end.
  virtual CharBackend* monitor_port() { return nullptr; }
  // Ctrl-A x on a back end with escapes (stdio, mon:): the machine stops with status 0.
  virtual void set_quit_handler(std::function<void()>) {}

  // Bytes received from the host; what the receiver cannot take yet is kept, in order.
  void push_input(const uint8_t* data, size_t n);
  // Delivers kept bytes while the receiver has room; true if any went.
  bool drain_pending();
  bool has_pending() const { return !pending_.empty(); }
  size_t pending_bytes() const { return pending_.size(); }
  void report(CharEvent e) {
    if (events_) events_(e);
  }

 private:
  Receiver receive_;
  CanReceive can_receive_;
  EventHandler events_;
  std::deque<uint8_t> pending_;
};

// Output to the process's stdout (flushed at every newline and at each poll, so prompts without
// a newline appear too). Input from stdin once something attaches and polls: raw terminal mode
// when stdin is a terminal (restored at exit and on fatal signals: host_terminal.h), plain bytes
// when it is a pipe or file. `signals`: keep Ctrl-C / Ctrl-Z as signals in raw mode.
class StdioBackend : public CharBackend {
 public:
  explicit StdioBackend(bool signals = true, bool input = true) : signals_(signals), eof_(!input) {}
  void write(uint8_t byte) override;
  void flush() override;
  bool poll_input() override;
  int input_fd() const override;
  bool input_possible() const override { return !eof_ || has_pending(); }
 private:
  bool signals_;
  bool started_ = false;  // stdin set up (non-blocking, raw) on the first poll
  bool eof_ = false;
};

class NullBackend : public CharBackend {
 public:
  void write(uint8_t) override {}
};

class FileBackend : public CharBackend {
 public:
  explicit FileBackend(std::FILE* f) : f_(f) {}
  ~FileBackend() override;
  void write(uint8_t byte) override;
  void flush() override;
 private:
  std::FILE* f_;
};

// Collects output in memory (tests); input is injected with push_input().
class BufferBackend : public CharBackend {
 public:
  void write(uint8_t byte) override { text += char(byte); }
  std::string text;
};

// A parsed -serial / -monitor / -debugcon specification.
struct CharSpec {
  enum class Kind : uint8_t { Stdio, Null, File, Tcp };
  Kind kind = Kind::Null;
  bool mux = false;         // "mon:" prefix: the monitor shares the line (Ctrl-A c)
  std::string path;         // File
  std::string host;         // Tcp: "" = every interface
  uint16_t port = 0;        // Tcp: 0 = any free port (tests)
  bool wait = true;         // Tcp server: wait for a client before the guest starts
  bool signals = true;      // Stdio: "signal=off" passes Ctrl-C to the guest
  bool input = true;        // Stdio: "input=off" (vmlab's): output only, stdin left alone
};

// Spellings (QEMU's): stdio[,signal=on|off][,input=off (vmlab's)], null, none, file:PATH, tcp:[HOST]:PORT,server
// [,nowait|,wait=off|,wait=on][,nodelay], mon:SPEC. Throws std::runtime_error naming the spec
// and what is wrong.
CharSpec parse_char_spec(const std::string& spec);

// Opens a back end: parse_char_spec() plus the host resources (file created, socket listening,
// and without nowait a client accepted). Throws std::runtime_error on any failure. A "stdio"
// spec comes wrapped in a MuxBackend so the Ctrl-A escapes work (without a monitor port).
std::unique_ptr<CharBackend> open_char_backend(const std::string& spec);
std::unique_ptr<CharBackend> open_char_backend(const CharSpec& spec);

}  // namespace vmlab::devices
