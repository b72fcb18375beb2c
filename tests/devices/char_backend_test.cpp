// Character back ends: spec parsing (every spelling and the bad ones), input delivery with
// back-pressure, the Ctrl-A escapes and serial/monitor multiplexing, and the TCP server back end
// on a real loopback socket.
#include "devices/char_backend.h"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "devices/char_backend_mux.h"
#include "devices/char_backend_tcp.h"
#include "devices/serial_uart.h"

using namespace vmlab::devices;
using Kind = CharSpec::Kind;

namespace {

std::string parse_error(const std::string& spec) {
  try {
    parse_char_spec(spec);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// A line whose input the test writes (push_input) and whose output it reads.
struct FakeLine : BufferBackend {
  bool possible = true;
  bool input_possible() const override { return possible || has_pending(); }
};

int connect_loopback(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Polls `be` until `done` or about two seconds pass.
template <typename F> bool poll_until(CharBackend& be, F done) {
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < end) {
    be.poll_input();
    if (done()) return true;
    usleep(1000);
  }
  return false;
}

std::string read_some(int fd, size_t want) {
  std::string got;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (got.size() < want && std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  return got;
}

}  // namespace

TEST_CASE("char_spec_parses_every_spelling") {
  CHECK(parse_char_spec("stdio").kind == Kind::Stdio);
  CHECK(parse_char_spec("stdio").signals);
  CHECK_FALSE(parse_char_spec("stdio,signal=off").signals);
  CHECK(parse_char_spec("stdio,signal=on").signals);
  CHECK_FALSE(parse_char_spec("stdio,input=off").input);
  CHECK(parse_char_spec("stdio").input);
  StdioBackend out_only(true, /*input=*/false);
  CHECK_FALSE(out_only.input_possible());
  CHECK(out_only.input_fd() == -1);
  CHECK(parse_char_spec("null").kind == Kind::Null);
  CHECK(parse_char_spec("none").kind == Kind::Null);
  CharSpec f = parse_char_spec("file:/tmp/serial.log");
  CHECK(f.kind == Kind::File);
  CHECK(f.path == "/tmp/serial.log");
  CHECK(parse_char_spec("file:a:b,c").path == "a:b,c");  // a path is taken as it is

  CharSpec t = parse_char_spec("tcp::4444,server,nowait");
  CHECK(t.kind == Kind::Tcp);
  CHECK(t.host.empty());
  CHECK(t.port == 4444);
  CHECK_FALSE(t.wait);
  CharSpec w = parse_char_spec("tcp::4444,server");
  CHECK(w.wait);
  CharSpec h = parse_char_spec("tcp:127.0.0.1:5555,server,nowait");
  CHECK(h.host == "127.0.0.1");
  CHECK(h.port == 5555);
  CHECK_FALSE(parse_char_spec("tcp:localhost:1,server=on,wait=off").wait);
  CHECK(parse_char_spec("tcp:[::1]:7,server,wait=on,nodelay").host == "::1");

  CharSpec m = parse_char_spec("mon:stdio");
  CHECK(m.mux);
  CHECK(m.kind == Kind::Stdio);
  CharSpec mt = parse_char_spec("mon:tcp::4444,server,nowait");
  CHECK(mt.mux);
  CHECK(mt.kind == Kind::Tcp);
  CHECK_FALSE(parse_char_spec("stdio").mux);
}

TEST_CASE("char_spec_rejects_bad_specs_naming_the_spec") {
  struct Bad { const char* spec; const char* says; };
  for (Bad b : {Bad{"", "empty back end"},
                Bad{"serial0", "unknown back end 'serial0'"},
                Bad{"pty", "unknown back end 'pty'"},
                Bad{"tcp:1234", "expected tcp:[HOST]:PORT"},
                Bad{"tcp::4444", "only server mode"},
                Bad{"tcp::99999,server", "not a TCP port"},
                Bad{"tcp::,server", "not a TCP port"},
                Bad{"tcp::12ab,server", "not a TCP port"},
                Bad{"tcp::4444,server,telnet", "'telnet' is not implemented"},
                Bad{"tcp::4444,server,bogus", "unknown option 'bogus'"},
                Bad{"tcp::4444,server=maybe", "must be on or off"},
                Bad{"file:", "needs a path"},
                Bad{"stdio,echo=on", "unknown stdio option"},
                Bad{"stdio,signal=2", "must be on or off"},
                Bad{"mon:", "needs a back end"},
                Bad{"mon:mon:stdio", "given twice"},
                Bad{"mon:null", "needs a back end with input"},
                Bad{"mon:file:x", "no input for the monitor"},
                Bad{"mon:stdio,input=off", "drop input=off"}}) {
    CAPTURE(b.spec);
    std::string e = parse_error(b.spec);
    CHECK(e.find(std::string("'") + b.spec + "'") != std::string::npos);
    CHECK(e.find(b.says) != std::string::npos);
  }
  CHECK_THROWS_AS(open_char_backend("tcp:1234"), std::runtime_error);
}

TEST_CASE("char_backend_holds_input_back_while_the_receiver_is_full") {
  BufferBackend be;
  std::string got;
  size_t room = 2;
  be.attach([&](uint8_t b) { got += char(b); --room; }, [&] { return room > 0; });
  const uint8_t data[] = {'a', 'b', 'c', 'd', 'e'};
  be.push_input(data, sizeof data);
  CHECK(got == "ab");
  CHECK(be.pending_bytes() == 3);
  CHECK_FALSE(be.drain_pending());
  room = 10;
  CHECK(be.poll_input());
  CHECK(got == "abcde");
  CHECK_FALSE(be.has_pending());
}

TEST_CASE("char_backend_input_waits_for_a_receiver_to_attach") {
  BufferBackend be;
  const uint8_t data[] = {'x'};
  be.push_input(data, 1);
  CHECK(be.pending_bytes() == 1);
  std::string got;
  be.attach([&](uint8_t b) { got += char(b); });
  be.poll_input();
  CHECK(got == "x");
}

TEST_CASE("mux_ctrl_a_escapes_quit_help_literal_and_unknown") {
  auto line_owner = std::make_unique<FakeLine>();
  FakeLine& line = *line_owner;
  MuxBackend mux(std::move(line_owner), /*with_monitor=*/false);
  std::string serial;
  mux.attach([&](uint8_t b) { serial += char(b); });
  int quits = 0;
  mux.set_quit_handler([&] { ++quits; });
  auto type = [&](std::string s) {
    line.push_input(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    mux.poll_input();
  };
  type("ab");
  CHECK(serial == "ab");
  type("\x01\x01");  // Ctrl-A Ctrl-A: one literal Ctrl-A to the guest
  CHECK(serial == "ab\x01");
  type("\x01z");  // unknown escape: dropped, as QEMU
  CHECK(serial == "ab\x01");
  type("\x01h");
  CHECK(line.text.find("C-a x") != std::string::npos);
  CHECK(serial == "ab\x01");
  type("\x01" "c");  // no monitor here: says so, input stays with the serial port
  CHECK(line.text.find("no monitor") != std::string::npos);
  CHECK_FALSE(mux.monitor_focused());
  CHECK(quits == 0);
  type("\x01");  // an escape split across two reads still works
  type("x");
  CHECK(quits == 1);
  CHECK(serial == "ab\x01");
  CHECK(mux.monitor_port() == nullptr);
}

TEST_CASE("mux_ctrl_a_c_switches_input_between_serial_and_monitor") {
  auto line_owner = std::make_unique<FakeLine>();
  FakeLine& line = *line_owner;
  MuxBackend mux(std::move(line_owner), /*with_monitor=*/true);
  REQUIRE(mux.monitor_port() != nullptr);
  std::string serial, monitor;
  int opened = 0;
  mux.attach([&](uint8_t b) { serial += char(b); });
  mux.monitor_port()->attach([&](uint8_t b) { monitor += char(b); }, {},
                             [&](CharEvent e) { opened += e == CharEvent::Opened; });
  auto type = [&](std::string s) {
    line.push_input(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    mux.poll_input();
  };
  type("ls\r");
  CHECK(serial == "ls\r");
  type("\x01" "cinfo\r");
  CHECK(mux.monitor_focused());
  CHECK(opened == 1);  // the monitor greets when it gets the focus
  CHECK(monitor == "info\r");
  CHECK(serial == "ls\r");
  type("\x01\x01");  // Ctrl-A Ctrl-A goes to whoever has the focus
  CHECK(monitor == "info\r\x01");
  type("\x01" "cx");
  CHECK_FALSE(mux.monitor_focused());
  CHECK(serial == "ls\rx");
  // Output from both sides reaches the line.
  mux.write('S');
  mux.monitor_port()->write('M');
  CHECK(line.text == "SM");
}

TEST_CASE("mux_ctrl_a_b_sends_a_break_that_a_uart_reports_as_lsr_bi") {
  auto line_owner = std::make_unique<FakeLine>();
  FakeLine& line = *line_owner;
  MuxBackend mux(std::move(line_owner), false);
  BufferBackend out;
  SerialUart uart(out, nullptr);
  mux.attach([&](uint8_t b) { uart.receive_byte(b); }, [&] { return uart.can_receive(); },
             [&](CharEvent e) {
               if (e == CharEvent::Break) uart.receive_byte(0, SerialUart::kLsrBreak);
             });
  const uint8_t esc[] = {0x01, 'b'};
  line.push_input(esc, 2);
  mux.poll_input();
  CHECK((uart.read(5, 1) & (SerialUart::kLsrBreak | SerialUart::kLsrDataReady)) ==
        (SerialUart::kLsrBreak | SerialUart::kLsrDataReady));
  CHECK(uart.read(0, 1) == 0);
}

TEST_CASE("mux_input_possible_follows_the_line") {
  auto line_owner = std::make_unique<FakeLine>();
  FakeLine& line = *line_owner;
  MuxBackend mux(std::move(line_owner), false);
  mux.attach([](uint8_t) {}, [] { return false; });  // a guest that never reads
  const uint8_t data[] = {'a'};
  line.push_input(data, 1);
  mux.poll_input();
  line.possible = false;
  CHECK(mux.input_possible());  // the held-back byte can still be delivered
}

TEST_CASE("tcp_backend_passes_bytes_both_ways_on_a_loopback_socket") {
  auto be = TcpServerBackend::open("127.0.0.1", 0, /*wait=*/false);
  REQUIRE(be->local_port() != 0);
  BufferBackend out;
  SerialUart uart(out, nullptr);  // the guest's COM1; the test reads RBR as a driver would
  int opened = 0, closed = 0;
  be->attach([&](uint8_t b) { uart.receive_byte(b); }, [&] { return uart.can_receive(); },
             [&](CharEvent e) {
               opened += e == CharEvent::Opened;
               closed += e == CharEvent::Closed;
             });
  be->write('0');  // nobody connected: discarded
  CHECK_FALSE(be->connected());
  CHECK(be->input_possible());

  int c = connect_loopback(be->local_port());
  REQUIRE(poll_until(*be, [&] { return be->connected(); }));
  CHECK(opened == 1);
  CHECK(be->input_fd() >= 0);
  REQUIRE(send(c, "hello", 5, 0) == 5);
  // 16450 mode: one byte at a time; the rest waits in the back end (no overrun).
  std::string guest;
  REQUIRE(poll_until(*be, [&] {
    while (uart.read(5, 1) & SerialUart::kLsrDataReady) guest += char(uart.read(0, 1));
    return guest.size() == 5;
  }));
  CHECK(guest == "hello");
  CHECK((uart.read(5, 1) & SerialUart::kLsrOverrun) == 0);

  be->write_text("guest says hi\n");
  CHECK(read_some(c, 14) == "guest says hi\n");
  be->write_text("prompt> ");  // no newline: goes out at the next poll
  be->poll_input();
  CHECK(read_some(c, 8) == "prompt> ");

  close(c);
  REQUIRE(poll_until(*be, [&] { return !be->connected(); }));
  CHECK(closed == 1);
  be->write_text("into the void\n");  // discarded, not an error

  int c2 = connect_loopback(be->local_port());  // a new client is accepted
  REQUIRE(poll_until(*be, [&] { return be->connected(); }));
  CHECK(opened == 2);
  close(c2);
}

TEST_CASE("tcp_backend_without_nowait_waits_for_the_first_client") {
  // Bind a free port first, then have a client connect before open(): accept() must find it.
  auto probe = TcpServerBackend::open("127.0.0.1", 0, false);
  uint16_t port = probe->local_port();
  probe.reset();
  // A client connecting while open() waits: run the connect from a forked child.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (int i = 0; i < 200; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
        char buf[8];
        (void)!read(fd, buf, sizeof buf);  // hold the connection until the parent writes
        _exit(0);
      }
      close(fd);
      usleep(10'000);
    }
    _exit(1);
  }
  auto be = TcpServerBackend::open("127.0.0.1", port, /*wait=*/true);
  CHECK(be->connected());
  be->write_text("x\n");
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("tcp_backend_reports_a_port_it_cannot_bind") {
  auto a = TcpServerBackend::open("127.0.0.1", 0, false);
  std::string spec = "tcp:127.0.0.1:" + std::to_string(a->local_port()) + ",server,nowait";
  try {
    open_char_backend(spec);
    FAIL("binding a port in use must fail");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("cannot listen") != std::string::npos);
  }
  CHECK_THROWS_AS(open_char_backend("tcp:no-such-host.invalid:1,server,nowait"), std::runtime_error);
}
