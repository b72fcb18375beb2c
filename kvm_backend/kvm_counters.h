// KvmCounters: what the KVM core counts, reported under "kvm." by --stats
// (KvmCore::register_stats).
#pragma once
#include <array>
#include <cstdint>
#include <map>

namespace vmlab::kvm_backend {

// Why KVM_RUN returned (or what the core did instead), one counter each.
enum class KvmExit : uint8_t {
  Io,                 // KVM_EXIT_IO (one per exit, whatever the string count)
  Mmio,               // KVM_EXIT_MMIO
  Hlt,                // KVM_EXIT_HLT
  IrqWindow,          // KVM_EXIT_IRQ_WINDOW_OPEN: the guest can take the pending interrupt
  Interrupted,        // KVM_RUN returned EINTR / KVM_EXIT_INTR: slice timer or a signal
  Shutdown,           // KVM_EXIT_SHUTDOWN (triple fault)
  EmulationFallback,  // KVM_EXIT_INTERNAL_ERROR / EMULATION: one instruction on the interpreter
  InternalError,      // any other internal error
  FailEntry,          // KVM_EXIT_FAIL_ENTRY
  Debug,              // KVM_EXIT_DEBUG
  SystemEvent,        // KVM_EXIT_SYSTEM_EVENT
  Other,              // anything else (reported as an internal error)
  kCount
};

inline constexpr const char* kKvmExitNames[] = {
    "io", "mmio", "hlt", "irq_window", "interrupted", "shutdown", "emulation_fallback",
    "internal_error", "fail_entry", "debug", "system_event", "other"};
static_assert(std::size(kKvmExitNames) == size_t(KvmExit::kCount));

struct KvmCounters {
  std::array<uint64_t, size_t(KvmExit::kCount)> exits{};
  std::map<uint16_t, uint64_t> io_exits_by_port;
  std::map<uint64_t, uint64_t> mmio_exits_by_page;  // guest-physical 4 KiB page
  uint64_t io_string_exits = 0;       // KVM_EXIT_IO with count > 1
  uint64_t interrupts_injected = 0;   // KVM_INTERRUPT calls
  uint64_t runs = 0;                  // run() calls
  uint64_t state_loads = 0;           // run() calls that had to write CpuState into KVM
  uint64_t state_loads_skipped = 0;   // ... and those where CpuState had not changed
  uint64_t dirty_pages = 0;           // pages KVM's dirty log reported written
  uint64_t guest_ns = 0;              // host time inside KVM_RUN
  uint64_t vmm_ns = 0;                // host time in run() outside KVM_RUN (exits, syncs)
  uint64_t watch_interp_instructions = 0;  // run on the interpreter while gdb watchpoints exist

  void count(KvmExit e) { ++exits[size_t(e)]; }
  uint64_t operator[](KvmExit e) const { return exits[size_t(e)]; }
};

}  // namespace vmlab::kvm_backend
