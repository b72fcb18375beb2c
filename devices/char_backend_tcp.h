// TCP server back end (-serial tcp::4444,server[,nowait]): listens, serves one client at a
// time. Bytes from the client go to the device; the device's output goes to the client, and is
// discarded while nobody is connected. Without nowait, open() blocks until the first client
// connects, so the guest's first output is not lost (as QEMU).
//
//   auto be = TcpServerBackend::open("127.0.0.1", 0, /*wait=*/false);   // port 0: any free
//   uint16_t port = be->local_port();
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "devices/char_backend.h"

namespace vmlab::devices {

class TcpServerBackend : public CharBackend {
 public:
  // Throws std::runtime_error when the address does not resolve or cannot be bound.
  static std::unique_ptr<TcpServerBackend> open(const std::string& host, uint16_t port, bool wait);
  ~TcpServerBackend() override;
  TcpServerBackend(const TcpServerBackend&) = delete;
  TcpServerBackend& operator=(const TcpServerBackend&) = delete;

  void write(uint8_t byte) override;
  void flush() override;
  bool poll_input() override;
  // Readable when a client sends or (no client) when one is waiting to be accepted.
  int input_fd() const override { return client_ >= 0 ? client_ : listen_fd_; }
  bool input_possible() const override { return true; }  // a client can always (re)connect

  uint16_t local_port() const { return port_; }
  bool connected() const { return client_ >= 0; }
  // Blocks until a client connects (open() with wait).
  void wait_for_client();

 private:
  TcpServerBackend(int listen_fd, uint16_t port) : listen_fd_(listen_fd), port_(port) {}
  bool try_accept();
  void drop_client();

  int listen_fd_;
  int client_ = -1;
  uint16_t port_;
  std::vector<uint8_t> out_;  // output batched until a newline, a poll or 4 KiB; kept while the client does not read
  uint64_t dropped_ = 0;      // output bytes dropped because the client stopped reading (4 MiB waiting)
};

}  // namespace vmlab::devices
