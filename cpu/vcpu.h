// Vcpu: one virtual CPU = its architectural state (CpuState, plain data) plus the host machinery
// that runs it (software TLB, MMU counters, links to the machine's memory and buses). Execution
// cores take a Vcpu&; snapshots take only `s`.
//
//   Vcpu v(mem, io, mmio);
//   reset_cpu_state(v.s);
//   Exit e = interpreter.run(v, 1000);
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include "cpu/cpu_state.h"
#include "cpu/debug_hooks.h"
#include "cpu/threaded_run.h"
#include "machine/clock.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"
#include "machine/irq.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"

namespace vmlab::cpu {

// Counters every execution core reports the same way.
struct CpuCounters {
  uint64_t instructions = 0;
  std::array<uint64_t, 32> exceptions{};  // by vector
  uint64_t external_interrupts = 0;
  uint64_t software_interrupts = 0;
  uint64_t io_reads = 0, io_writes = 0;
  uint64_t mmio_reads = 0, mmio_writes = 0;
  uint64_t halts = 0;
  uint64_t triple_faults = 0;
  uint64_t decode_cache_hits = 0, decode_cache_misses = 0, decode_cache_invalidations = 0;
};

// Vcpu::technique_id values, as docs/guest_interface.md gives them to guests.
inline constexpr uint8_t kTechniqueInterp = 0, kTechniqueBt = 1, kTechniqueTrap = 2;
inline constexpr uint8_t kTechniqueKvm = 3;
// Bits in Vcpu::attention: the core checks them between instructions/blocks and exits.
inline constexpr uint32_t kAttnStop = 1u << 0;       // machine wants the core to return
inline constexpr uint32_t kAttnInterrupt = 1u << 1;  // INTR/NMI line changed
inline constexpr uint32_t kAttnShutdown = 1u << 2;   // triple fault happened (set by delivery)
inline constexpr uint32_t kAttnYield = 1u << 3;      // PAUSE with yield_on_pause: end the slice

class Vcpu {
 public:
  Vcpu(machine::GuestMemory& m, machine::IoBus& i, machine::MmioBus& mm)
      : mem(m), io(i), mmio(mm) {}

  CpuState s{};
  machine::GuestMemory& mem;
  machine::IoBus& io;
  machine::MmioBus& mmio;
  machine::InterruptSource* intr = nullptr;  // the INTR pin; nullptr = nothing connected
  // FERR#: asserted while an unmasked x87 exception is pending and CR0.NE=0 (PC-compatible
  // error reporting through IRQ13); nullptr = not wired. See cpu/fpu/x87_exceptions.h.
  machine::IrqLine* ferr = nullptr;
  // The machine's clock: with a real-time clock the TSC follows host time (tsc_ticks()), so it
  // agrees with the PIT and the APIC timer a kernel calibrates it against; nullptr or a
  // deterministic clock: the TSC counts retired instructions.
  const machine::Clock* clock = nullptr;
  mmu::Mmu mmu;
  mmu::Tlb tlb;
  CpuCounters counters;
  DebugHooks debug;  // breakpoints, single-step, watchpoints (gdb stub); empty = no cost
  std::atomic<uint32_t> attention{0};
  // Set by a machine that runs several vCPUs in turn on one host thread: PAUSE (the spin-wait
  // hint) ends this vCPU's slice, so a CPU spinning on a lock gives the holder its turn instead
  // of spinning to the end of the slice, and a lock loop whose length divides the slice cannot
  // leave the holder preempted at every slice end (SeaBIOS's AP start-up did). QEMU's TCG does
  // the same with PAUSE.
  bool yield_on_pause = false;
  // RDRAND/RDSEED execute instead of raising #UD (vmlab's CPU model does not have them): only
  // the KVM core's fallback interpreter sets this, for guests that saw them in a host KVM's
  // CPUID (cpu/semantics/random.h).
  bool rdrand_executes = false;
  int index = 0;  // 0 = bootstrap processor
  ThreadedRun threaded;  // the interpreter's threaded block in progress (cpu/threaded.h)
  // Which technique runs this vCPU (reported by CPUID leaf 0x40000001, kTechnique*). The
  // execution core sets it when it takes the vCPU.
  uint8_t technique_id = 0;
};

// What the TSC counts before tsc_offset is added: host time in 10 ns ticks (the nominal 100 MHz
// of the deterministic clock) with a real-time clock, else the retired instructions.
inline uint64_t tsc_ticks(const Vcpu& v) {
  if (v.clock && v.clock->mode() == machine::Clock::Mode::RealTime)
    return v.clock->now_ns() / machine::Clock::kNsPerInstruction;
  return v.s.instructions_retired;
}

// Would INTR deliver an interrupt now: IF=1 and the interrupt source has one pending?
inline bool intr_deliverable(const Vcpu& v) {
  return (v.s.eflags & IF) && v.intr && v.intr->intr_pending();
}

// Would an NMI or an interrupt be taken now (a halted vCPU wakes for it)? NMI unless blocked;
// INTR when intr_deliverable.
inline bool can_take_event(const Vcpu& v) {
  if (v.s.events.nmi_pending && !v.s.events.nmi_blocked) return true;
  return intr_deliverable(v);
}

// Must the dispatcher look before the next instruction? An interrupt shadow to end, a pending
// NMI, HLT, single-stepping (TF), or an interrupt that INTR would deliver now. Chained blocks
// (the interpreter's run_chained, bt's linked host code) go on to the next block only when not.
inline bool needs_dispatcher(const Vcpu& v) {
  const CpuState& s = v.s;
  return (s.events.interrupt_shadow | s.events.nmi_pending | s.events.halted) || (s.eflags & TF) ||
         intr_deliverable(v);
}

}  // namespace vmlab::cpu
