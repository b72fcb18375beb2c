// TCP server back end (see char_backend_tcp.h).
#include "devices/char_backend_tcp.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace vmlab::devices {

namespace {
constexpr size_t kOutBatch = 4096;
// A client that stops reading must not stall the machine: output waits in memory up to this
// much, then new bytes are dropped (and counted) until the client reads again.
constexpr size_t kOutMax = 4u << 20;
constexpr size_t kMaxPending = 4096;

void set_nonblocking(int fd, bool on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}
}  // namespace

std::unique_ptr<TcpServerBackend> TcpServerBackend::open(const std::string& host, uint16_t port,
                                                         bool wait) {
  std::string where = fmt::format("tcp:{}:{}", host, port);
  addrinfo hints{};
  hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;  // "" = every IPv4 interface, as QEMU
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res))
    throw std::runtime_error(fmt::format("{}: cannot resolve '{}': {}", where, host, gai_strerror(rc)));
  int fd = -1, err = 0;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) { err = errno; continue; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 1) == 0) break;
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    throw std::runtime_error(fmt::format("{}: cannot listen: {}", where, std::strerror(err)));
  set_nonblocking(fd, true);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  uint16_t bound = port;
  if (ss.ss_family == AF_INET) bound = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  else if (ss.ss_family == AF_INET6) bound = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  std::unique_ptr<TcpServerBackend> be(new TcpServerBackend(fd, bound));
  if (wait) {
    fmt::print(stderr, "vmlab: waiting for a connection on tcp:{}:{} (nowait starts at once)\n",
               host, bound);
    be->wait_for_client();
  }
  return be;
}

TcpServerBackend::~TcpServerBackend() {
  flush();
  if (client_ >= 0) close(client_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void TcpServerBackend::wait_for_client() {
  while (client_ < 0) {
    pollfd p{listen_fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, -1);
    if (rc < 0 && errno != EINTR) return;
    try_accept();
  }
}

bool TcpServerBackend::try_accept() {
  int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return false;
  int one = 1;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Reads never block (recv with MSG_DONTWAIT); writes do, so a slow client slows the guest
  // instead of losing its output.
  client_ = c;
  report(CharEvent::Opened);
  return true;
}

void TcpServerBackend::drop_client() {
  if (client_ < 0) return;
  close(client_);
  client_ = -1;
  out_.clear();
  report(CharEvent::Closed);
}

void TcpServerBackend::write(uint8_t byte) {
  if (client_ < 0) return;  // nobody listening: as a serial line with nothing plugged in
  if (out_.size() >= kOutMax) {
    ++dropped_;
    return;
  }
  out_.push_back(byte);
  if (byte == '\n' || out_.size() % kOutBatch == 0) flush();
}

void TcpServerBackend::flush() {
  size_t done = 0;
  while (client_ >= 0 && done < out_.size()) {
    ssize_t n = send(client_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) { done += size_t(n); continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;  // the rest goes at the next poll
    drop_client();  // EPIPE, ECONNRESET: the client is gone
    return;
  }
  out_.erase(out_.begin(), out_.begin() + long(done));
}

bool TcpServerBackend::poll_input() {
  bool any = drain_pending();
  if (client_ < 0) {
    if (!try_accept()) return any;
    any = true;  // the Opened event was reported
  }
  flush();
  if (client_ < 0 || !attached() || pending_bytes() >= kMaxPending) return any;
  uint8_t buf[256];
  ssize_t n = recv(client_, buf, sizeof buf, MSG_DONTWAIT);
  if (n > 0) {
    push_input(buf, size_t(n));
    return true;
  }
  if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) drop_client();
  return any;
}

}  // namespace vmlab::devices
