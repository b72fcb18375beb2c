// GdbTarget: what the gdb stub needs from the machine it debugs. The stub (gdb_stub.h) speaks
// the protocol; the target (gdb_machine_target.cpp for a Machine, a fake in the tests) does the
// work. CPUs are numbered from 0 (gdb thread id = cpu + 1).
#pragma once
#include <cstddef>
#include <cstdint>
#include "cpu/cpu_state.h"
#include "cpu/debug_hooks.h"

namespace vmlab::ui::gdb {

class GdbTarget {
 public:
  virtual ~GdbTarget() = default;
  virtual unsigned cpu_count() const = 0;
  virtual cpu::CpuState& state(unsigned cpu) = 0;
  virtual cpu::DebugHooks& hooks(unsigned cpu) = 0;
  // Linear addresses through the CPU's page tables, without side effects (no A/D bits, no
  // faults). false = some byte is not mapped or not RAM/ROM (device memory is never touched).
  virtual bool read_memory(unsigned cpu, uint32_t lin, uint8_t* out, size_t n) = 0;
  virtual bool write_memory(unsigned cpu, uint32_t lin, const uint8_t* in, size_t n) = 0;
  // Called after the stub changed hooks (watchpoints need the TLB off while they exist).
  virtual void hooks_changed(unsigned cpu) = 0;
  // Let the guest run until a stop (breakpoint, step done, interrupt): the machine then calls
  // GdbStub::report_stop(). `step_cpu` steps that CPU only (the others stay stopped).
  virtual void resume() = 0;
  virtual void step(unsigned cpu) = 0;
  virtual void interrupt() = 0;  // Ctrl-C: stop as soon as possible, then report_stop
  virtual void kill() = 0;       // `k`: end the vmlab run
};

}  // namespace vmlab::ui::gdb
