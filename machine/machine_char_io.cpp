// Machine: the character back ends (serial ports, debug console, monitor line), host input
// polled between run slices, and the monitor's pause and step (see machine.h).
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <fmt/format.h>
#include <stdexcept>

#include "machine/machine.h"
#include "machine/setup_error.h"

namespace vmlab::machine {

namespace {
// Host input is looked at no more often than this: a syscall per run slice would cost
// measurable time, and 1 ms is far below what a person typing notices.
constexpr auto kInputPollInterval = std::chrono::milliseconds(1);

std::unique_ptr<devices::CharBackend> open_backend(const char* option, const std::string& spec) {
  try {
    return devices::open_char_backend(spec);
  } catch (const std::runtime_error& e) {
    throw SetupError(fmt::format("{}: {}", option, e.what()));
  }
}

devices::CharSpec parse(const char* option, const std::string& spec) {
  try {
    return devices::parse_char_spec(spec);
  } catch (const std::runtime_error& e) {
    throw SetupError(fmt::format("{}: {}", option, e.what()));
  }
}
}  // namespace

void Machine::open_char_backends() {
  // Check every spec before opening any (a tcp server without nowait blocks while opening).
  using Kind = devices::CharSpec::Kind;
  const devices::CharSpec s1 = parse("-serial", cfg_.serial);
  const devices::CharSpec s2 = parse("-serial (second, COM2)", cfg_.serial2);
  parse("-debugcon", cfg_.debugcon);
  auto reads_stdin = [](const devices::CharSpec& s) { return s.kind == Kind::Stdio && s.input; };
  int stdin_readers = reads_stdin(s1) + reads_stdin(s2);
  if (!cfg_.monitor.empty()) {
    const devices::CharSpec m = parse("-monitor", cfg_.monitor);
    if (m.mux)
      throw SetupError(fmt::format("-monitor {}: 'mon:' belongs in -serial (-serial mon:stdio); "
                                   "use -monitor stdio or -monitor tcp::PORT,server,nowait", cfg_.monitor));
    if (m.kind == Kind::Null || m.kind == Kind::File)
      throw SetupError(fmt::format("-monitor {}: the monitor needs input: use stdio or "
                                   "tcp::PORT,server,nowait", cfg_.monitor));
    if (s1.mux || s2.mux)
      throw SetupError(fmt::format("-monitor {} and -serial mon:...: only one monitor", cfg_.monitor));
    stdin_readers += reads_stdin(m);
  }
  if (s1.mux && s2.mux) throw SetupError("-serial mon:... given twice: only one monitor");
  if (stdin_readers > 1)
    throw SetupError("stdin can feed only one of -serial / -monitor; share the terminal with "
                     "-serial mon:stdio (Ctrl-A c switches) or put one on tcp::PORT,server,nowait");

  serial_out_ = open_backend("-serial", cfg_.serial);
  com2_out_ = open_backend("-serial (second, COM2)", cfg_.serial2);
  debugcon_out_ = open_backend("-debugcon", cfg_.debugcon);
  if (!cfg_.monitor.empty()) {
    monitor_out_ = open_backend("-monitor", cfg_.monitor);
    monitor_line_ = monitor_out_.get();
    host_inputs_.push_back(monitor_line_);
  } else if (devices::CharBackend* p = serial_out_->monitor_port()) {
    monitor_line_ = p;
  } else if (devices::CharBackend* p2 = com2_out_->monitor_port()) {
    monitor_line_ = p2;
  }
  auto quit = [this] {
    fmt::print(stderr, "vmlab: terminated by Ctrl-A x\n");
    request_exit(kExitOk);
  };
  for (devices::CharBackend* be : {serial_out_.get(), com2_out_.get(), monitor_out_.get()})
    if (be) be->set_quit_handler(quit);
}

void Machine::connect_serial_input() {
  auto connect = [this](devices::CharBackend& be, devices::SerialUart& uart) {
    be.attach([&uart](uint8_t b) { uart.receive_byte(b); }, [&uart] { return uart.can_receive(); },
              [&uart](devices::CharEvent e) {
                // A break arrives as a NUL byte with BI set, as a real line reports it.
                if (e == devices::CharEvent::Break) uart.receive_byte(0, devices::SerialUart::kLsrBreak);
              });
    if (be.input_possible()) host_inputs_.push_back(&be);  // null and file never have input
  };
  connect(*serial_out_, *com1_);
  connect(*com2_out_, *com2_);
}

bool Machine::service_host_input(bool now) {
  if (!host_inputs_.empty() || !host_pollers_.empty()) {
    auto t = std::chrono::steady_clock::now();
    if (now || t - last_input_poll_ >= kInputPollInterval) {
      last_input_poll_ = t;
      for (devices::CharBackend* be : host_inputs_) be->poll_input();
      for (auto& poll : host_pollers_) poll();
    }
  }
  if (!paused_.load()) return false;
  wait_host_input(10);
  return true;
}

bool Machine::wait_host_input(int timeout_ms) {
  std::vector<pollfd> fds;
  for (devices::CharBackend* be : host_inputs_) {
    int fd = be->input_fd();
    if (fd < 0 || be->pending_bytes() > 0) continue;  // held-back bytes wait for the guest
    if (std::none_of(fds.begin(), fds.end(), [fd](const pollfd& p) { return p.fd == fd; }))
      fds.push_back(pollfd{fd, POLLIN, 0});
  }
  if (fds.empty()) {
    usleep(useconds_t(timeout_ms) * 1000);
  } else {
    ::poll(fds.data(), fds.size(), timeout_ms);
  }
  bool any = false;
  last_input_poll_ = std::chrono::steady_clock::now();
  for (devices::CharBackend* be : host_inputs_) any |= be->poll_input();
  for (auto& poll : host_pollers_) poll();
  return any;
}

bool Machine::idle_wait_for_input(uint64_t deadline_ns) {
  if (host_inputs_.empty()) return false;
  if (clock_.mode() == Clock::Mode::Deterministic) {
    service_host_input();  // time jumps to the deadline; just keep input flowing
    return false;
  }
  uint64_t now = clock_.now_ns();
  if (deadline_ns <= now) return false;
  int ms = int(std::min<uint64_t>((deadline_ns - now) / 1'000'000, 10));
  return ms > 0 && wait_host_input(ms);
}

bool Machine::host_input_can_wake() const {
  if (debug_stop_) return true;  // a debugger can always come and stop or change the guest
  if (!host_pollers_.empty()) return true;  // the window: keys can still come
  if (monitor_line_ && monitor_line_->attached() && monitor_line_->input_possible()) return true;
  if (serial_out_ && serial_out_->input_possible() && com1_->rx_interrupt_enabled()) return true;
  if (com2_out_ && com2_out_->input_possible() && com2_->rx_interrupt_enabled()) return true;
  return false;
}

cpu::Exit Machine::step_cpu(unsigned i, uint64_t n) {
  CpuSlot& c = cpus_.at(i);
  // pause() raised the stop bit so running slices would end; a step must not end at once.
  c.vcpu->attention.fetch_and(~cpu::kAttnStop);
  cpu::Exit e = c.core->run(*c.vcpu, n);
  instructions_ += e.executed;
  clock_.advance_instructions(e.executed);
  clock_.run_due();
  if (paused_.load()) c.vcpu->attention.fetch_or(cpu::kAttnStop);
  return e;
}

}  // namespace vmlab::machine
