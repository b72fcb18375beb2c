// GdbSession: the gdb stub attached to a running Machine (`-s`, `-gdb tcp::PORT`, `-S`).
// The connection is a TCP server character back end polled by the machine's run loop between
// slices, like serial input; the stub acts on the machine through MachineGdbTarget.
//
//   GdbSession gdb(machine, "tcp::1234");   // listens; gdb connects with `target remote :1234`
//   machine.pause();                         // -S: wait for gdb's `continue`
#pragma once
#include <memory>
#include <string>
#include "devices/char_backend.h"
#include "machine/machine.h"
#include "ui/gdb/gdb_stub.h"

namespace vmlab::ui::gdb {

// GdbTarget over a Machine: registers are the vCPUs' CpuState, memory goes through each vCPU's
// page tables without side effects, and resume/step/interrupt pause and resume the machine.
class MachineGdbTarget : public GdbTarget {
 public:
  explicit MachineGdbTarget(machine::Machine& m) : m_(m) {}
  void set_stub(GdbStub* stub) { stub_ = stub; }
  unsigned cpu_count() const override { return m_.cpu_count(); }
  cpu::CpuState& state(unsigned c) override { return m_.cpu(c).s; }
  cpu::DebugHooks& hooks(unsigned c) override { return m_.cpu(c).debug; }
  bool read_memory(unsigned c, uint32_t lin, uint8_t* out, size_t n) override;
  bool write_memory(unsigned c, uint32_t lin, const uint8_t* in, size_t n) override;
  void hooks_changed(unsigned c) override;
  void resume() override { m_.resume(); }
  void step(unsigned) override { m_.resume(); }  // the interpreter stops after one instruction
  void interrupt() override;
  void kill() override { m_.request_exit(0); m_.resume(); }

 private:
  machine::Machine& m_;
  GdbStub* stub_ = nullptr;
};

class GdbSession {
 public:
  // `spec` is QEMU's -gdb argument: tcp::PORT or tcp:HOST:PORT (server, nowait implied).
  // Throws machine::SetupError when the port cannot be opened or the spec is not tcp.
  GdbSession(machine::Machine& m, const std::string& spec);
  GdbStub& stub() { return *stub_; }

 private:
  std::unique_ptr<devices::CharBackend> conn_;
  MachineGdbTarget target_;
  std::unique_ptr<GdbStub> stub_;
};

}  // namespace vmlab::ui::gdb
