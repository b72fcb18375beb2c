// KvmCore: the ExecutionCore that runs the guest on Linux KVM (--backend kvm). Same machine as
// the interpreter: GuestMemory's host mapping is the memory slots, port I/O and MMIO exits go to
// the machine's IoBus/MmioBus, and the machine's interrupt controllers (v.intr) are the
// interrupt source, injected with KVM_INTERRUPT at interrupt windows (user-space irqchip).
//
// Each run() call: CpuState -> KVM (only when it changed since the last exit), KVM_RUN until an
// exit the machine must see or the slice's host time is used up, KVM -> CpuState. Emulation
// failures of the host KVM are completed by running the one instruction on an owned
// interpreter. See docs/kvm.md.
//
//   auto core = make_kvm_core(cfg);             // throws machine::SetupError if KVM is unusable
//   Exit e = core->run(vcpu, 20'000);           // e.executed is an estimate (docs/kvm.md)
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "cpu/execution_core.h"
#include "cpu/interpreter.h"
#include "kvm_backend/kvm_counters.h"
#include "kvm_backend/kvm_debug.h"
#include "kvm_backend/kvm_device.h"
#include "kvm_backend/kvm_memory.h"
#include "kvm_backend/kvm_state.h"
#include "kvm_backend/slice_timer.h"
#include "machine/machine_config.h"

namespace vmlab::kvm_backend {

// Nominal guest speed used to turn the instruction budget into host time and host time back
// into an instruction estimate: 10 ns per instruction, the deterministic clock's rate.
inline constexpr uint64_t kNsPerInstruction = 10;
// Bounds on one slice: short enough for timers and stop requests, long enough that the
// per-slice cost (timer, register sync) stays small.
inline constexpr uint64_t kMinSliceNs = 1'000'000, kMaxSliceNs = 20'000'000;
// How often the dirty log is folded into GuestMemory while slices just run out.
inline constexpr uint64_t kDirtySyncNs = 10'000'000;

class KvmCore : public cpu::ExecutionCore {
 public:
  struct Options {
    bool dirty_log = true;  // KVM_GET_DIRTY_LOG into GuestMemory's dirty bitmap after each run()
    // Speed trick (off switch): regs/sregs/events travel in the kvm_run page (KVM_CAP_SYNC_REGS)
    // instead of six ioctls per run() call; used only when the host has the capability.
    bool sync_regs = true;
  };
  explicit KvmCore(std::unique_ptr<KvmDevice> dev);
  KvmCore(std::unique_ptr<KvmDevice> dev, Options o);

  // How run() shares the machine with other vCPU threads (machine/run_loop_threaded.cpp). The
  // caller of run() holds `lock` (the machine's big lock); run() releases it only around the
  // KVM_RUN ioctl, raising `in_guest` before the release and lowering it after taking the lock
  // again, so a thread holding the lock that sees in_guest knows a kick (SliceTimer::kick) is
  // needed to get this vCPU out. `relocked` runs right after the lock is taken again (the
  // machine points its local-APIC window at this vCPU), `exit_handled` after each port/MMIO
  // exit (the machine wakes vCPUs the device access gave an interrupt). An empty link (the
  // default) is one thread: nothing is released, nothing is called.
  struct ThreadLink {
    std::mutex* lock = nullptr;
    std::atomic<bool>* in_guest = nullptr;
    std::function<void()> relocked;
    std::function<void()> exit_handled;
  };
  void set_thread_link(ThreadLink link) { link_ = std::move(link); }
  // KVM was asked to exit as soon as the guest can take an interrupt (one was pending at the
  // last entry): a new interrupt for this vCPU needs no kick. Read under the machine lock.
  bool interrupt_window_requested() { return dev_->run_page().request_interrupt_window != 0; }
  // The VM this vCPU belongs to: the factory creates the machine's other vCPUs on it.
  const std::shared_ptr<KvmVm>& vm() const { return dev_->vm_ptr(); }

  // --kvm-irqchip kernel (docs/kvm.md, "In-kernel irqchip"): KVM's local APIC, 8259s and IOAPIC
  // deliver interrupts and KVM handles HLT and INIT/STARTUP itself; the core injects nothing,
  // asks for no interrupt window, and reports Halted only for a HLT with IF=0 (nothing but an
  // NMI or INIT can end it), seen at the end of a slice.
  bool kernel_irqchip() const { return dev_->vm_ptr()->kernel_irqchip(); }
  // A machine reset, with this vCPU outside KVM_RUN (every vCPU thread parked): its local APIC
  // and mp_state go back to their state at creation (the BSP runnable, an AP waiting for
  // INIT/STARTUP). Done at once, not at the next run(): another vCPU's STARTUP may come first.
  std::string reset_kernel_apic();
  // KVM's mp_state of this vCPU (KVM_MP_STATE_*) as of the end of the last run() call.
  uint32_t last_mp_state() const { return mp_state_; }
  // KVM_GET_MP_STATE now, from any thread (KVM waits for a KVM_RUN in progress to return).
  std::string query_mp_state(uint32_t& out);

  const char* name() const override { return "kvm"; }
  uint64_t total_exits() const override {
    uint64_t n = 0;
    for (uint64_t e : counters_.exits) n += e;
    return n;
  }
  cpu::Exit run(cpu::Vcpu& v, uint64_t budget) override;
  // Called on reset (before and after the boot step) and restore: ROMs may have been added, so
  // the slots are re-planned, and events KVM still holds from before are dropped.
  void flush_code_cache() override {
    layout_checked_ = false;
    drop_kvm_events_ = true;
  }
  void register_stats(machine::Stats& stats) override;

  const KvmCounters& counters() const { return counters_; }
  const KvmCaps& caps() const { return dev_->caps(); }

 private:
  std::string setup(cpu::Vcpu& v);
  std::string load_state(cpu::Vcpu& v);   // CpuState -> KVM, if it changed
  std::string save_state(cpu::Vcpu& v);   // KVM -> CpuState
  void inject_interrupts(cpu::Vcpu& v, kvm_run& run);
  // One instruction on the interpreter after a KVM emulation failure.
  std::string emulate_one(cpu::Vcpu& v, cpu::Exit& out, bool& stop);
  std::string internal_error_text(const kvm_run& run) const;
  // Guest debugging (kvm_core_debug.cpp, kvm_debug.h): the hooks as KVM_SET_GUEST_DEBUG
  // (skipped when unchanged); KVM_EXIT_DEBUG -> v.debug.hit, true = stop; watchpoints run the
  // guest on the interpreter, because this host's KVM does not report data breakpoints.
  std::string apply_guest_debug(cpu::Vcpu& v, bool skipping);
  bool on_debug_exit(cpu::Vcpu& v, const kvm_run& run, std::string& error);
  cpu::Exit run_watched(cpu::Vcpu& v, uint64_t budget);

  std::unique_ptr<KvmDevice> dev_;
  Options opts_;
  SliceTimer timer_;
  cpu::Interpreter fallback_;
  KvmVcpuState kstate_{};
  cpu::CpuState synced_{};        // v.s as of the last sync with KVM
  bool synced_valid_ = false;
  bool cpuid_set_ = false;
  bool layout_checked_ = false;
  bool window_known_ = false;     // kvm_run's ready_for_interrupt_injection is current
  bool drop_kvm_events_ = false;  // next load: clear injected events, write every group
  uint64_t last_dirty_sync_ns_ = 0;
  GuestDebugPlan debug_applied_{};  // what KVM_SET_GUEST_DEBUG last got
  bool debug_skip_step_ = false;    // this entry steps off the breakpoint resumed from
  KvmCounters counters_;
  ThreadLink link_;
  // In-kernel irqchip: the local APIC and mp_state KVM gave the vCPU at creation (for resets),
  // read in the constructor, before any other vCPU can send it an IPI.
  kvm_lapic_state initial_lapic_{};
  uint32_t initial_mp_state_ = KVM_MP_STATE_RUNNABLE;
  uint32_t mp_state_ = KVM_MP_STATE_RUNNABLE;
};

// The factory's entry point: opens `device_path` and builds the core. Errors become a
// machine::SetupError "KVM is not available here (<reason>); use --backend interp"; options
// KVM cannot honour (--deterministic) are refused the same way.
std::unique_ptr<cpu::ExecutionCore> make_kvm_core(const machine::MachineConfig& cfg,
                                                  const std::string& device_path = "/dev/kvm");
// vCPU `index` (KVM_CREATE_VCPU id = APIC ID) on the VM of `first`, the machine's vCPU 0: one VM
// with N vCPUs sharing its memory slots (-smp N). SetupError if KVM refuses the vCPU.
std::unique_ptr<cpu::ExecutionCore> make_kvm_sibling_core(const KvmCore& first, unsigned index);

}  // namespace vmlab::kvm_backend
