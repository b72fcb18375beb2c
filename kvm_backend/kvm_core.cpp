// KvmCore: run() - state sync, the KVM_RUN loop, exit dispatch, interrupt injection and the
// interpreter fallback for the host's emulation failures (see kvm_core.h, docs/kvm.md).
#include "kvm_backend/kvm_core.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <fmt/format.h>

#include "cpu/flags.h"
#include "kvm_backend/kvm_cpuid.h"
#include "kvm_backend/kvm_exits.h"
#include "machine/setup_error.h"
#include "machine/stats.h"

namespace vmlab::kvm_backend {

using cpu::Exit;
using cpu::ExitReason;

namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// Field ranges of CpuState that make up each KVM register group: only groups whose bytes
// changed since the last sync are written back (the dirty check of docs/kvm.md).
template <typename T>
bool differs(const T& a, const T& b) { return std::memcmp(&a, &b, sizeof(T)) != 0; }

unsigned changed_groups(const cpu::CpuState& now, const cpu::CpuState& then) {
  unsigned g = 0;
  if (differs(now.gpr, then.gpr) || now.eip != then.eip ||
      cpu::read_eflags(now) != cpu::read_eflags(then))
    g |= KvmDevice::kRegs;
  if (differs(now.seg, then.seg) || differs(now.ldtr, then.ldtr) || differs(now.tr, then.tr) ||
      differs(now.gdtr, then.gdtr) || differs(now.idtr, then.idtr) || now.cr0 != then.cr0 ||
      now.cr2 != then.cr2 || now.cr3 != then.cr3 || now.cr4 != then.cr4 ||
      now.msr.efer != then.msr.efer || now.msr.apic_base != then.msr.apic_base)
    g |= KvmDevice::kSregs;
  if (differs(now.fpu, then.fpu)) g |= KvmDevice::kFpu;
  if (now.events.interrupt_shadow != then.events.interrupt_shadow ||
      now.events.nmi_pending != then.events.nmi_pending ||
      now.events.nmi_blocked != then.events.nmi_blocked)
    g |= KvmDevice::kEvents;
  if (differs(now.dr, then.dr)) g |= KvmDevice::kDebugRegs;
  // instructions_retired alone moves the model's TSC, but KVM's TSC moves by itself: only a
  // written TSC (a changed offset) or another MSR needs KVM_SET_MSRS.
  if (differs(now.msr, then.msr)) g |= KvmDevice::kMsrs;
  return g;
}

const char* internal_suberror_name(uint32_t sub) {
  switch (sub) {
    case KVM_INTERNAL_ERROR_EMULATION: return "emulation failure";
    case KVM_INTERNAL_ERROR_SIMUL_EX: return "exception while delivering an exception";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
    case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON: return "unexpected exit reason";
    default: return "unknown suberror";
  }
}

}  // namespace

KvmCore::KvmCore(std::unique_ptr<KvmDevice> dev) : KvmCore(std::move(dev), Options{}) {}

namespace {
// The fallback decodes every instruction afresh: KVM guest writes do not pass through
// GuestMemory::note_write, so a decode cache (and anything built on it) could go stale. It runs
// RDRAND/RDSEED: the guest may have seen them in the host's CPUID (kvm-pvm passes leaf 1
// through), and kvm-pvm's ring-0 emulator fails on them.
cpu::Interpreter::Options fallback_options() {
  cpu::Interpreter::Options o;
  o.rdrand = true;
  o.decode_cache = false;
  o.blocks = false;
  o.jump_cache = false;
  o.blocks_through_branches = false;
  o.chaining = false;
  return o;
}
}  // namespace

KvmCore::KvmCore(std::unique_ptr<KvmDevice> dev, Options o)
    : dev_(std::move(dev)), opts_(o), fallback_(fallback_options()) {
  dev_->set_sync_regs(opts_.sync_regs);
  if (kernel_irqchip()) {
    std::string e = dev_->vcpu_ioctl(KVM_GET_LAPIC, &initial_lapic_, "KVM_GET_LAPIC");
    if (e.empty()) e = query_mp_state(initial_mp_state_);
    if (!e.empty()) throw KvmIrqchipUnavailable(e);
  }
}

std::string KvmCore::setup(cpu::Vcpu& v) {
  if (!cpuid_set_) {
    // KVM_SET_CPUID2 must come before the first KVM_RUN, and before MSRs whose validity
    // depends on it (EFER.NXE needs CPUID NX).
    CpuidTable supported;
    std::string err;
    const bool have = dev_->supported_cpuid(supported, err);
    CpuidTable t = build_cpuid_table(v, have ? &supported : nullptr);
    if (std::string e = dev_->vcpu_ioctl(kKvmSetCpuid2, &t, "KVM_SET_CPUID2"); !e.empty()) return e;
    cpuid_set_ = true;
    // KVM's own values for what CpuState does not model (interrupt bitmap, CR8, ...).
    if (std::string e = dev_->get_state(kstate_); !e.empty()) return e;
  }
  if (!layout_checked_) {
    if (std::string e = dev_->vm().memory().apply(*dev_, v.mem, opts_.dirty_log); !e.empty()) return e;
    layout_checked_ = true;
  }
  return "";
}

std::string KvmCore::reset_kernel_apic() {
  if (!kernel_irqchip()) return "";
  kvm_lapic_state l = initial_lapic_;
  if (std::string e = dev_->vcpu_ioctl(KVM_SET_LAPIC, &l, "KVM_SET_LAPIC"); !e.empty()) return e;
  kvm_mp_state m{initial_mp_state_};
  return dev_->vcpu_ioctl(KVM_SET_MP_STATE, &m, "KVM_SET_MP_STATE");
}

std::string KvmCore::query_mp_state(uint32_t& out) {
  kvm_mp_state m{};
  if (std::string e = dev_->vcpu_ioctl(KVM_GET_MP_STATE, &m, "KVM_GET_MP_STATE"); !e.empty()) return e;
  out = m.mp_state;
  return "";
}

std::string KvmCore::load_state(cpu::Vcpu& v) {
  if (drop_kvm_events_) {
    // A reset or restore replaced the CPU: an interrupt or exception KVM was about to inject
    // belongs to the old one.
    kstate_.events.exception = {};
    kstate_.events.interrupt = {};
    kstate_.events.nmi.injected = 0;
    std::memset(kstate_.sregs.interrupt_bitmap, 0, sizeof kstate_.sregs.interrupt_bitmap);
    synced_valid_ = false;
    drop_kvm_events_ = false;
  }
  const unsigned groups = synced_valid_ ? changed_groups(v.s, synced_) : KvmDevice::kAllGroups;
  if (!groups) {
    ++counters_.state_loads_skipped;
    return "";
  }
  ++counters_.state_loads;
  to_kvm(v.s, kstate_, cpu::tsc_ticks(v));
  if (v.s.msr.tsc_offset == synced_.msr.tsc_offset && synced_valid_) {
    // Writing the TSC back would move the guest's TSC back by the time spent outside KVM.
    MsrTable& t = kstate_.msrs;
    uint32_t n = 0;
    for (uint32_t i = 0; i < t.nmsrs; ++i)
      if (t.entries[i].index != kMsrTsc) t.entries[n++] = t.entries[i];
    t.nmsrs = n;
  }
  if (std::string e = dev_->set_state(kstate_, groups); !e.empty()) return e;
  synced_ = v.s;
  synced_valid_ = true;
  window_known_ = false;  // KVM has not said yet whether this state can take an interrupt
  return "";
}

std::string KvmCore::save_state(cpu::Vcpu& v) {
  if (std::string e = dev_->get_state(kstate_); !e.empty()) {
    synced_valid_ = false;
    return e;
  }
  from_kvm(kstate_, v.s, cpu::tsc_ticks(v));
  synced_ = v.s;
  synced_valid_ = true;
  return "";
}

void KvmCore::inject_interrupts(cpu::Vcpu& v, kvm_run& run) {
  run.request_interrupt_window = 0;
  if (!v.intr || !v.intr->intr_pending()) return;
  // Acknowledge (INTA) only when KVM can deliver now; otherwise ask for an exit when it can.
  if (window_known_ && run.ready_for_interrupt_injection && run.if_flag) {
    kvm_interrupt irq{};
    irq.irq = v.intr->acknowledge();
    if (dev_->vcpu_ioctl(KVM_INTERRUPT, &irq, "KVM_INTERRUPT").empty()) {
      ++counters_.interrupts_injected;
      ++v.counters.external_interrupts;
    }
    window_known_ = false;  // KVM holds one now; ask again after the next exit
  } else {
    run.request_interrupt_window = 1;
  }
}

std::string KvmCore::emulate_one(cpu::Vcpu& v, Exit& out, bool& stop) {
  counters_.count(KvmExit::EmulationFallback);
  if (std::string e = save_state(v); !e.empty()) return e;
  // The interpreter's software TLB may hold translations from before KVM ran.
  v.tlb.flush_all();
  // Exactly the failed instruction: pending interrupts are injected at the next KVM entry.
  machine::InterruptSource* intr = v.intr;
  v.intr = nullptr;
  const Exit ie = fallback_.run(v, 1);
  v.intr = intr;
  v.technique_id = cpu::kTechniqueKvm;
  out.executed += ie.executed;
  if (ie.reason == ExitReason::InternalError)
    return "the interpreter fallback failed: " + ie.message;
  // KVM gets the interpreter's result even when run() stops here: the state read back at the
  // end of run() must include it.
  const std::string loaded = load_state(v);
  if (ie.reason == ExitReason::Shutdown || (v.attention.load() & cpu::kAttnShutdown)) {
    out.reason = ExitReason::Shutdown;  // the machine resets (or dumps) whatever KVM accepted
    stop = true;
    return "";
  }
  if (kernel_irqchip() && (ie.reason == ExitReason::Halted || v.s.events.halted)) {
    // KVM's local APIC wakes the CPU: the halt is KVM's mp_state, not CpuState's.
    v.s.events.halted = 0;
    kvm_mp_state m{KVM_MP_STATE_HALTED};
    if (std::string e = dev_->vcpu_ioctl(KVM_SET_MP_STATE, &m, "KVM_SET_MP_STATE"); !e.empty()) return e;
  } else if (ie.reason == ExitReason::Halted || v.s.events.halted) {  // halted stays in CpuState
    out.reason = ExitReason::Halted;
    stop = true;
  }
  return loaded;
}

std::string KvmCore::internal_error_text(const kvm_run& run) const {
  const auto& in = run.internal;
  std::string data;
  for (uint32_t i = 0; i < in.ndata && i < std::size(in.data); ++i)
    data += fmt::format(" {:#x}", in.data[i]);
  return fmt::format("KVM_EXIT_INTERNAL_ERROR, suberror {} ({}); data:{}", in.suberror,
                     internal_suberror_name(in.suberror), data.empty() ? " none" : data);
}

Exit KvmCore::run(cpu::Vcpu& v, uint64_t budget) {
  const uint64_t started = now_ns();
  v.technique_id = cpu::kTechniqueKvm;
  ++counters_.runs;
  Exit out;
  uint64_t guest_ns = 0;
  bool entered = false;
  auto account = [&] {
    const uint64_t total = now_ns() - started;
    counters_.guest_ns += guest_ns;
    counters_.vmm_ns += total > guest_ns ? total - guest_ns : 0;
  };
  auto fail = [&](std::string msg) {
    out.reason = ExitReason::InternalError;
    out.message = std::move(msg);
    account();
    return out;
  };
  if (std::string e = setup(v); !e.empty()) return fail(e);
  if (!v.debug.watchpoints.empty()) {
    account();
    return run_watched(v, budget);
  }

  // With the user-space irqchip a HLT returns to us: the halted state lives in CpuState, and
  // the CPU wakes when an interrupt or NMI can be taken (as the interpreter decides).
  if (kernel_irqchip()) {
    v.s.events.halted = 0;  // a HLT with IF=0 reported last time: KVM's mp_state still holds it
  } else if (v.s.events.halted) {
    const bool nmi = v.s.events.nmi_pending && !v.s.events.nmi_blocked;
    const bool intr = (v.s.eflags & cpu::IF) && v.intr && v.intr->intr_pending();
    if (!nmi && !intr) {
      out.reason = ExitReason::Halted;
      account();
      return out;
    }
    v.s.events.halted = 0;
  }
  if (v.debug.active() || debug_applied_.enabled) {
    // A debugger's hooks (the interpreter's rules): stop before a breakpoint's instruction,
    // unless resuming from it; then that one instruction is stepped without it.
    const uint32_t lin = v.s.seg[cpu::CS].base + v.s.eip;
    const bool on_breakpoint = v.debug.has_breakpoint(lin);
    if (on_breakpoint && !v.debug.skip_breakpoint_once) {
      v.debug.hit = {cpu::DebugStop::Breakpoint, lin, cpu::WatchKind::Write};
      out.reason = ExitReason::Breakpoint;
      account();
      return out;
    }
    if (!on_breakpoint) v.debug.skip_breakpoint_once = false;
    if (std::string e = apply_guest_debug(v, on_breakpoint); !e.empty()) return fail(e);
  }
  if (std::string e = load_state(v); !e.empty()) return fail(e);

  kvm_run& run = dev_->run_page();
  const uint64_t slice =
      std::clamp(budget > kMaxSliceNs ? kMaxSliceNs : budget * kNsPerInstruction, kMinSliceNs, kMaxSliceNs);
  if (std::string e = timer_.arm(&run, slice); !e.empty()) return fail(e);

  std::string error;
  bool halted = false;
  for (bool stop = false; !stop;) {
    const uint32_t attn = v.attention.load(std::memory_order_relaxed);
    if (attn & cpu::kAttnShutdown) { out.reason = ExitReason::Shutdown; break; }
    if (attn & cpu::kAttnStop) { out.reason = ExitReason::Attention; break; }
    if (timer_.expired()) { out.reason = ExitReason::BudgetSpent; break; }
    if (!kernel_irqchip()) inject_interrupts(v, run);

    const uint64_t t0 = now_ns();
    if (link_.lock) {  // other vCPU threads and the main thread may take the machine meanwhile
      link_.in_guest->store(true);
      link_.lock->unlock();
    }
    const int err = dev_->run();
    if (link_.lock) {
      link_.lock->lock();
      link_.in_guest->store(false);
      if (link_.relocked) link_.relocked();
    }
    guest_ns += now_ns() - t0;
    entered = true;
    if (err) {
      if (err == EINTR || err == EAGAIN) {  // the slice timer or another signal
        counters_.count(KvmExit::Interrupted);
        continue;
      }
      error = fmt::format("KVM_RUN: {}", std::strerror(err));
      break;
    }
    window_known_ = true;
    switch (run.exit_reason) {
      case KVM_EXIT_IO:
        error = handle_io_exit(run, dev_->run_size(), v, counters_);
        stop = !error.empty();
        if (link_.exit_handled) link_.exit_handled();
        break;
      case KVM_EXIT_MMIO:
        error = handle_mmio_exit(run, v, counters_);
        stop = !error.empty();
        if (link_.exit_handled) link_.exit_handled();
        break;
      case KVM_EXIT_HLT:
        counters_.count(KvmExit::Hlt);
        ++v.counters.halts;
        // An interrupt already waiting wakes the CPU at once: no need to leave run().
        if (run.if_flag && v.intr && v.intr->intr_pending()) break;
        halted = true;
        out.reason = ExitReason::Halted;
        stop = true;
        break;
      case KVM_EXIT_IRQ_WINDOW_OPEN:
        counters_.count(KvmExit::IrqWindow);
        break;
      case KVM_EXIT_INTR:
        counters_.count(KvmExit::Interrupted);
        break;
      case KVM_EXIT_SHUTDOWN:
        counters_.count(KvmExit::Shutdown);
        ++v.counters.triple_faults;
        out.reason = ExitReason::Shutdown;
        stop = true;
        break;
      case KVM_EXIT_INTERNAL_ERROR:
        if (run.internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
          error = emulate_one(v, out, stop);
          stop = stop || !error.empty();
          break;
        }
        counters_.count(KvmExit::InternalError);
        error = internal_error_text(run);
        stop = true;
        break;
      case KVM_EXIT_FAIL_ENTRY:
        counters_.count(KvmExit::FailEntry);
        error = fmt::format("KVM_EXIT_FAIL_ENTRY: the host could not enter the guest, hardware "
                            "entry failure reason {:#x}",
                            run.fail_entry.hardware_entry_failure_reason);
        stop = true;
        break;
      case KVM_EXIT_DEBUG:
        counters_.count(KvmExit::Debug);
        if (on_debug_exit(v, run, error)) {
          out.reason = ExitReason::Breakpoint;
          stop = true;
        }
        break;
      case KVM_EXIT_SYSTEM_EVENT:
        // Only a PSCI-style shutdown/reset/crash request: treated as a CPU shutdown.
        counters_.count(KvmExit::SystemEvent);
        out.reason = ExitReason::Shutdown;
        stop = true;
        break;
      default:
        counters_.count(KvmExit::Other);
        error = fmt::format("unexpected KVM exit reason {}", run.exit_reason);
        stop = true;
        break;
    }
    if (!error.empty()) break;
  }
  timer_.disarm();

  // The estimate (docs/kvm.md): host time in KVM_RUN at the nominal 10 ns per instruction.
  // Instructions the interpreter fallback ran are already in out.executed and in CpuState.
  uint64_t estimate = guest_ns / kNsPerInstruction;
  if (entered && estimate == 0 && out.executed == 0) estimate = 1;
  v.s.instructions_retired += estimate;
  v.counters.instructions += estimate;
  out.executed += estimate;

  // KVM_GET_MP_STATE first: it also carries out an INIT/STARTUP KVM's APIC holds for this vCPU
  // (registers change), and the state read next must include that.
  if (kernel_irqchip() && error.empty())
    if (std::string e = query_mp_state(mp_state_); !e.empty()) error = e;
  if (std::string e = save_state(v); !e.empty() && error.empty()) error = e;
  if (kernel_irqchip() && error.empty()) {
    // A HLT with IF=0 only an NMI or INIT ends: the run loop's rules for it (stop when nothing
    // else runs) need to see it. With IF=1 KVM's APIC wakes the CPU, so the halt stays KVM's.
    if (mp_state_ == KVM_MP_STATE_HALTED && !(v.s.eflags & cpu::IF) && out.reason == ExitReason::BudgetSpent) {
      out.reason = ExitReason::Halted;
      ++v.counters.halts;
      v.s.events.halted = 1;
      synced_.events.halted = 1;
    }
  }
  if (halted) {
    v.s.events.halted = 1;
    synced_.events.halted = 1;  // not a KVM register: no reload needed for it
  }
  // The dirty log costs an ioctl per RAM slot: fold it in every 10 ms, and whenever run()
  // returns for anything but a spent slice.
  if (opts_.dirty_log && (out.reason != ExitReason::BudgetSpent || now_ns() - last_dirty_sync_ns_ >= kDirtySyncNs)) {
    const int64_t n = dev_->vm().memory().sync_dirty_log(*dev_, v.mem);
    if (n > 0) counters_.dirty_pages += uint64_t(n);
    last_dirty_sync_ns_ = now_ns();
  }
  if (!error.empty()) {
    out.reason = ExitReason::InternalError;
    out.message = error;
  }
  account();
  return out;
}

void KvmCore::register_stats(machine::Stats& st) {
  for (size_t i = 0; i < size_t(KvmExit::kCount); ++i)
    st.counter(fmt::format("kvm.exits.{}", kKvmExitNames[i]), &counters_.exits[i]);
  st.dynamic([this](std::vector<machine::StatValue>& out) {
    for (const auto& [port, n] : counters_.io_exits_by_port)
      out.push_back({fmt::format("kvm.io_exits.port.{:#06x}", port), n, 0, false});
    for (const auto& [page, n] : counters_.mmio_exits_by_page)
      out.push_back({fmt::format("kvm.mmio_exits.page.{:#010x}", page << 12), n, 0, false});
  });
  st.counter_fn("kvm.irqchip_kernel", [this] { return uint64_t(kernel_irqchip() ? 1 : 0); });
  st.counter("kvm.io_string_exits", &counters_.io_string_exits);
  st.counter("kvm.interrupts_injected", &counters_.interrupts_injected);
  st.counter("kvm.runs", &counters_.runs);
  st.counter("kvm.state_loads", &counters_.state_loads);
  st.counter("kvm.state_loads_skipped", &counters_.state_loads_skipped);
  st.counter("kvm.dirty_pages", &counters_.dirty_pages);
  st.counter("kvm.watch_interp_instructions", &counters_.watch_interp_instructions);
  st.gauge("kvm.guest_seconds", [this] { return double(counters_.guest_ns) / 1e9; });
  st.gauge("kvm.vmm_seconds", [this] { return double(counters_.vmm_ns) / 1e9; });
}

std::unique_ptr<cpu::ExecutionCore> make_kvm_core(const machine::MachineConfig& cfg,
                                                  const std::string& device_path) {
  // Deterministic time comes from counted instructions; KVM runs the guest at host speed and
  // cannot count them (docs/kvm.md).
  if (cfg.deterministic)
    throw machine::SetupError(
        "--deterministic cannot be used with --backend kvm: KVM runs the guest at host speed and "
        "cannot count instructions, so its time is real time; use --backend interp for "
        "repeatable runs");
  const bool kernel_irqchip = cfg.kvm_irqchip == "kernel";
  try {
    return std::make_unique<KvmCore>(KvmDevice::open(device_path, kernel_irqchip));
  } catch (const KvmIrqchipUnavailable& e) {
    throw machine::SetupError(fmt::format(
        "--kvm-irqchip kernel: {}; use --kvm-irqchip user (vmlab's own interrupt controllers)", e.what()));
  } catch (const KvmUnavailable& e) {
    throw machine::SetupError(
        fmt::format("KVM is not available here ({}); use --backend interp", e.what()));
  }
}

std::unique_ptr<cpu::ExecutionCore> make_kvm_sibling_core(const KvmCore& first, unsigned index) {
  try {
    return std::make_unique<KvmCore>(KvmDevice::create(first.vm(), index));
  } catch (const KvmUnavailable& e) {
    throw machine::SetupError(fmt::format(
        "KVM cannot add vCPU {} to the VM ({}; the host allows {} vCPUs per VM); use fewer -smp "
        "CPUs or --backend interp", index, e.what(), first.vm()->caps().max_vcpus));
  }
}

}  // namespace vmlab::kvm_backend
