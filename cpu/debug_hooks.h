// DebugHooks: what a debugger (the gdb stub, ui/gdb_*) asks an execution core to watch for. They
// cost nothing while inactive; while active the interpreter runs one instruction at a time and
// checks them (docs/gdb.md).
//
//   v.debug.breakpoints.push_back(0x100000);   // stop before executing linear 0x100000
//   v.debug.single_step = true;                 // stop after the next instruction
//   v.debug.watch({0x2000, 4, WatchKind::Write});
//   Exit e = core.run(v, budget);               // e.reason == ExitReason::Breakpoint
//   if (v.debug.hit.kind == DebugStop::Watchpoint) ... v.debug.hit.address ...
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace vmlab::cpu {

enum class WatchKind : uint8_t { Write = 2, Read = 3, Access = 4 };  // gdb's Z2 / Z3 / Z4

struct Watchpoint {
  uint32_t lin = 0;  // linear address
  uint32_t len = 1;
  WatchKind kind = WatchKind::Write;
  bool operator==(const Watchpoint&) const = default;
};

enum class DebugStop : uint8_t { None, Breakpoint, Step, Watchpoint };

struct DebugHooks {
  std::vector<uint32_t> breakpoints;     // linear addresses (gdb Z0 / Z1)
  std::vector<Watchpoint> watchpoints;   // matched in the slow memory path (TLB off meanwhile)
  bool single_step = false;
  // The first instruction after a resume is not stopped by a breakpoint at its own address
  // (the debugger resumes *from* a breakpoint).
  bool skip_breakpoint_once = false;
  struct Hit {
    DebugStop kind = DebugStop::None;
    uint32_t address = 0;                // breakpoint EIP (linear) or watched data address
    WatchKind watch = WatchKind::Write;
  } hit;

  bool active() const { return single_step || !breakpoints.empty() || !watchpoints.empty(); }
  bool has_breakpoint(uint32_t lin) const {
    return std::find(breakpoints.begin(), breakpoints.end(), lin) != breakpoints.end();
  }
  // Called by the memory slow path for every data access while watchpoints exist.
  void note_access(uint32_t lin, unsigned size, bool write) {
    if (hit.kind == DebugStop::Watchpoint) return;  // the first hit of the instruction wins
    for (const Watchpoint& w : watchpoints) {
      const bool kind_ok = w.kind == WatchKind::Access || (write == (w.kind == WatchKind::Write));
      if (kind_ok && lin < w.lin + w.len && w.lin < lin + size) {
        hit = {DebugStop::Watchpoint, lin < w.lin ? w.lin : lin, w.kind};
        return;
      }
    }
  }
};

}  // namespace vmlab::cpu
