// ExecutionCore: one technique for executing guest instructions (interpreter, binary
// translator, KVM). The machine's run loop holds one and handles its exits the same way
// whichever core produced them. Exits are data, so exit handling is tested with fabricated ones.
//
//   Interpreter core;
//   Exit e = core.run(vcpu, 100000);
//   if (e.reason == ExitReason::Halted) ...
#pragma once
#include <cstdint>
#include <string>

namespace vmlab::machine { class Stats; }

namespace vmlab::cpu {

class Vcpu;

enum class ExitReason : uint8_t {
  BudgetSpent,   // executed `budget` instructions; timers may be due
  Halted,        // HLT with no interrupt deliverable (IF=0 or none pending)
  Attention,     // somebody set Vcpu::attention (stop request, IRQ change, monitor, timer)
  Shutdown,      // triple fault: the machine resets, or exits with -no-reboot
  Breakpoint,    // a debugger breakpoint / single-step completed (gdb stub)
  InternalError, // the core cannot go on; `message` says why (never for a guest's bad input)
};

struct Exit {
  ExitReason reason = ExitReason::BudgetSpent;
  uint64_t executed = 0;  // guest instructions retired during this run() call
  std::string message;
};

class ExecutionCore {
 public:
  virtual ~ExecutionCore() = default;
  virtual const char* name() const = 0;  // "interp", "bt", "kvm"
  // Runs until an exit the machine must handle, or until `budget` instructions retired.
  virtual Exit run(Vcpu& vcpu, uint64_t budget) = 0;
  // Guest memory page `page` (physical page number) was written while marked as code.
  virtual void invalidate_code_page(uint64_t page) { (void)page; }
  // Drops every cached decode/translation (mode switches that change decoding, restore).
  virtual void flush_code_cache() {}
  // Adds the core's own counters (KVM: exits by reason, I/O exits by port) to the machine's
  // statistics; called once by Machine::register_stats.
  virtual void register_stats(machine::Stats& stats) { (void)stats; }
  // Exits to the VMM so far, all reasons (the window's exits/s); 0 for cores without exits,
  // such as the interpreter, which handles every event inline.
  virtual uint64_t total_exits() const { return 0; }
};

}  // namespace vmlab::cpu
