// GdbStub: the GDB remote protocol for an i386 target (GDB manual, "Remote Protocol"), over any
// byte stream: feed() what gdb sent, send what comes back through the `send` callback.
//
//   GdbStub stub(target, [&](const std::string& bytes) { write(fd, bytes...); });
//   stub.feed(buf, n);                 // packets, acks, Ctrl-C
//   stub.report_stop(cpu, hit);        // the machine stopped (breakpoint, step, interrupt)
//
// Supported: ? g G p P m M X c s vCont (c, s) Z0-Z4 z0-z4 H T qSupported qAttached qC
// qfThreadInfo qsThreadInfo qXfer:features:read (target.xml with x87 and SSE registers)
// QStartNoAckMode D k and Ctrl-C. Registers follow gdb's i386 numbering: eax ecx edx ebx esp ebp
// esi edi eip eflags cs ss ds es fs gs, st0-7, fctrl fstat ftag fiseg fioff foseg fooff fop,
// xmm0-7, mxcsr. Unknown packets get the empty reply, as the protocol asks.
#pragma once
#include <functional>
#include <string>
#include "ui/gdb/gdb_packet.h"
#include "ui/gdb/gdb_target.h"

namespace vmlab::ui::gdb {

class GdbStub {
 public:
  using Send = std::function<void(const std::string&)>;
  GdbStub(GdbTarget& target, Send send) : target_(target), send_(std::move(send)) {}

  void feed(const uint8_t* data, size_t n);
  // The target stopped: `cpu` is the CPU that hit something (its hooks().hit says what), or
  // any CPU for an interrupt (signal 2, SIGINT).
  void report_stop(unsigned cpu, bool interrupted);
  // The guest's run ended with `status` (the vmlab exit status): gdb hears "W<status>".
  void report_exit(int status);
  bool running() const { return running_; }
  bool detached() const { return detached_; }
  // Packets answered, bad packets seen (for tests and --stats).
  uint64_t packets() const { return packets_; }
  uint64_t bad_packets() const { return bad_packets_; }

  static constexpr unsigned kNumRegs = 16 + 8 + 8 + 8 + 1;  // general, st, x87 control, xmm, mxcsr

 private:
  void handle(const std::string& p);
  void reply(const std::string& payload);
  std::string stop_reply(unsigned cpu, bool interrupted) const;
  std::string read_register(unsigned cpu, unsigned reg) const;
  bool write_register(unsigned cpu, unsigned reg, const std::vector<uint8_t>& bytes);
  std::string read_all_registers(unsigned cpu) const;
  std::string cmd_memory_read(const std::string& args);
  std::string cmd_memory_write(const std::string& args, bool binary);
  std::string cmd_breakpoint(const std::string& args, bool insert);
  std::string cmd_query(const std::string& p);
  void cmd_resume(bool step, int thread);
  bool thread_cpu(const std::string& id, int& cpu) const;  // "-1", "0" = any, else id - 1

  GdbTarget& target_;
  Send send_;
  GdbPacketReader reader_;
  bool no_ack_ = false;
  bool running_ = false;
  bool detached_ = false;
  unsigned g_cpu_ = 0;   // Hg: registers and memory
  unsigned last_stop_cpu_ = 0;
  uint64_t packets_ = 0, bad_packets_ = 0;
};

}  // namespace vmlab::ui::gdb
