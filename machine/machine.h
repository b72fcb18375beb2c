// Machine: assembles one PC — guest memory, the I/O and MMIO buses, the devices, one Vcpu and
// the ExecutionCore that runs it — and runs it until the guest or the user stops it.
//
//   MachineConfig cfg;                        // from the command line
//   Machine m(cfg, make_execution_core(cfg.backend));
//   m.set_boot([&](Machine& mm) { load_multiboot(...); });   // also re-run on reboot
//   m.reset();
//   RunResult r = m.run();                    // r.status is the process exit status
//
// Exit handling (one function, run_loop.cpp; documented in docs/usage.md, "Exit status"):
//   BudgetSpent   -> advance the clock, fire due timers, go on
//   Attention     -> consume the stop bit; a pending exit request ends the run
//   Halted, IF=0  -> nothing can wake the CPU: stop, status 0, "guest halted with interrupts off"
//   Halted, IF=1  -> idle until the next timer; with no timer and no pending interrupt nothing can
//                    wake it: stop, status 0
//   Shutdown      -> (triple fault) reset and boot again; with -no-reboot: register dump, status 3
//   InternalError -> message, status 1
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cpu/execution_core.h"
#include "cpu/vcpu.h"
#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "devices/fpu_error_latch.h"
#include "devices/i8042.h"
#include "devices/ide/block_backend.h"
#include "devices/ide/bus_master.h"
#include "devices/ide/ide_channel.h"
#include "devices/ioapic.h"
#include "devices/local_apic.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host.h"
#include "devices/pci/piix3.h"
#include "devices/port92.h"
#include "devices/cmos_rtc.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/port61.h"
#include "devices/char_backend.h"
#include "devices/debug_console.h"
#include "devices/debug_exit.h"
#include "devices/serial_uart.h"
#include "devices/vga/vga.h"
#include "devices/vga/vga_pci.h"
#include "machine/clock.h"
#include "machine/cpu_interrupt_pin.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"
#include "machine/irq.h"
#include "machine/machine_config.h"
#include "machine/stats.h"

namespace vmlab::machine {

// Why the run ended; `status` is what the process exits with.
enum class StopKind : uint8_t {
  GuestExit,          // isa-debug-exit: status (V << 1) | 1
  HaltedForever,      // HLT with nothing that can wake the CPU: status 0
  TripleFault,        // -no-reboot: status 3
  InstructionLimit,   // --max-instructions reached: status 0
  Signal,             // SIGINT / SIGTERM: status 128 + signal
  InternalError,      // the core failed: status 1
  ResetRequested,     // -no-reboot and the guest asked for a reset (8042 0xFE, port 0x92,
                      // 0xCF9, ACPI reset register): status 0, as QEMU
};

struct RunResult {
  StopKind kind = StopKind::HaltedForever;
  int status = 0;
  std::string message;  // one line for stderr ("" for a guest-requested exit)
};

// Exit statuses (docs/usage.md).
inline constexpr int kExitOk = 0, kExitInternal = 1, kExitSetup = 2, kExitTripleFault = 3;

class Machine {
 public:
  // `core` must not be null. Throws SetupError for a configuration the machine cannot build
  // (bad RAM size, unknown --mmu, overlapping -device ports, unusable -serial file).
  Machine(const MachineConfig& cfg, std::unique_ptr<cpu::ExecutionCore> core);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // The boot step (firmware / -kernel loader): run by reset(), so a reboot boots again.
  void set_boot(std::function<void(Machine&)> boot) { boot_ = std::move(boot); }
  // Power-on / reboot: devices to power-on state, CPU to RESET state, caches dropped, boot step.
  void reset();
  RunResult run();

  // Asks the run loop to stop with `status` at the next exit (debug-exit device).
  void request_exit(uint32_t status);
  // Async-signal-safe: only atomics. The run loop stops with status 128 + sig.
  void request_stop_from_signal(int sig);
  // A device asked for a system reset: done at the next slice boundary (or exit, -no-reboot).
  void request_reset();

  const MachineConfig& config() const { return cfg_; }
  GuestMemory& memory() { return mem_; }
  IoBus& io() { return io_; }
  MmioBus& mmio() { return mmio_; }
  cpu::Vcpu& vcpu() { return vcpu_; }              // the bootstrap processor
  cpu::ExecutionCore& core() { return *core_; }    // the bootstrap processor's core
  // Every vCPU (-smp N), the bootstrap processor first; index = initial APIC ID.
  unsigned cpu_count() const { return unsigned(cpus_.size()); }
  cpu::ExecutionCore& core_of(unsigned i) { return *cpus_.at(i).core; }  // vCPU i's core
  cpu::Vcpu& cpu(unsigned i) { return *cpus_.at(i).vcpu; }
  devices::LocalApic& lapic(unsigned i) { return *cpus_.at(i).lapic; }
  devices::Ioapic& ioapic() { return *ioapic_; }
  devices::PicPair& pic() { return *pic_; }  // the monitor's `info pic`
  // An application processor between INIT and its STARTUP IPI does not run.
  bool waiting_for_sipi(unsigned i) const { return cpus_.at(i).wait_for_sipi; }
  Clock& clock() { return clock_; }
  Stats& stats() { return stats_; }
  // For the firmware setup (firmware/bios_loader.cpp): items published to the BIOS, and the
  // PCI functions whose interrupt pins the MP/ACPI tables describe.
  devices::FwCfg& fw_cfg() { return *fw_cfg_; }
  const devices::pci::PciBus& pci_bus() const { return *pci_bus_; }
  uint64_t instructions() const { return instructions_; }
  uint64_t resets() const { return resets_; }
  devices::vga::Vga& vga() { return *vga_; }  // the display: screendump, window
  devices::I8042& kbc() { return *kbc_; }      // keyboard input: the monitor's sendkey, window
  // Flushes the character back ends (serial, debug console): at exit and on signals.
  void flush_output();

  // Host input and the monitor (machine_char_io.cpp). The monitor's `stop` pauses the guest:
  // the run loop then waits for host input instead of running slices, until resume().
  // With vCPU threads (run_loop_threaded.cpp) pause() on the main thread also waits until every
  // vCPU thread has parked, so what follows sees (and may change) a quiet machine.
  void pause() { paused_.store(true); set_attention_all(cpu::kAttnStop); wait_until_parked(); }
  void resume() { paused_.store(false); }
  bool paused() const { return paused_.load(); }
  // A debugger (the gdb stub): its connection is polled like the other host inputs and keeps a
  // halted guest waiting instead of ending the run; `on_stop(cpu)` is called, with the machine
  // paused, when a vCPU stops at a breakpoint, watchpoint or completed step (DebugHooks).
  // Host-side work to do between slices along with the input polling (about every 1 ms of host
  // time, also while paused): the window's events and redraw. It keeps a halted guest waiting.
  void add_host_poller(std::function<void()> poll) { host_pollers_.push_back(std::move(poll)); }
  void attach_debugger(devices::CharBackend* connection, std::function<void(unsigned)> on_stop) {
    host_inputs_.push_back(connection);
    debug_stop_ = std::move(on_stop);
  }
  // The monitor's line (-monitor SPEC, or the monitor half of -serial mon:...), or nullptr.
  devices::CharBackend* monitor_backend() { return monitor_line_; }
  // Reads host input (serial, monitor) without blocking, at most every ~1 ms of host time
  // unless `now`; then, if paused, waits for input (up to 10 ms). The run loops call it between
  // slices; true = paused, skip running the guest this time round.
  bool service_host_input(bool now = false);
  // Waits up to `timeout_ms` for host input, then delivers it. True if anything was delivered.
  bool wait_host_input(int timeout_ms);
  // Whether input still to come could wake a halted guest (a UART with its receive interrupt
  // enabled, or the monitor) - a halt with no timer then waits instead of ending the run.
  bool host_input_can_wake() const;
  // The monitor's `step`: runs up to `n` instructions on CPU `i` now, at a slice boundary (the
  // machine is normally paused), with the clock and counters kept as a slice would.
  cpu::Exit step_cpu(unsigned i, uint64_t n);
  // The monitor's `system_powerdown`: the ACPI power button (the guest decides what to do).
  void press_power_button() { acpi_pm_->press_power_button(); }
  // The monitor's `backend NAME`: from the next slice on, every vCPU runs on technique NAME
  // (interp, kvm); its state moves over in CpuState (machine_backend_switch.cpp). Returns ""
  // when done, otherwise why not (KVM unusable here, --deterministic with kvm, ...): then
  // nothing changed. config().backend and core().name() name the technique in use.
  std::string switch_backend(const std::string& backend);
  // --kvm-irqchip kernel: the 8259 pair, IOAPIC and local APICs are KVM's, not the devices
  // pic()/ioapic()/lapic() (those stay unwired: no ports, no MMIO, no ISA lines).
  bool kernel_irqchip() const { return cfg_.kvm_irqchip == "kernel"; }

 private:
  // One processor: its state, its core, its local APIC, its interrupt pin.
  struct CpuSlot {
    cpu::Vcpu* vcpu = nullptr;
    cpu::ExecutionCore* core = nullptr;
    std::unique_ptr<devices::LocalApic> lapic;
    std::unique_ptr<CpuInterruptPin> pin;
    bool wait_for_sipi = false;
  };

  void wire_devices();
  void wire_cpus();
  void wire_kernel_irqchip();   // machine_kvm_irqchip.cpp: ISA lines -> KVM_IRQ_LINE, chips unmapped
  void reset_kernel_irqchip();  // KVM's 8259s, IOAPIC, local APICs and mp_states to power-on
  void reset_cpu(unsigned i);
  void service_apic_signals();       // INIT / STARTUP / NMI messages the APICs latched
  RunResult run_smp();               // round-robin over every vCPU (run_loop_smp.cpp)
  void set_attention_all(uint32_t bits);  // async-signal-safe; kicks vCPU threads in KVM_RUN
  void service_apic_signals_of(unsigned i);  // one CPU's part of service_apic_signals()

  // -smp N on --backend kvm: one host thread per vCPU (run_loop_threaded.cpp, docs/kvm.md).
  // big_lock_ (QEMU's "big lock") is held by every thread that touches devices, buses, the
  // clock, Stats or another vCPU's state; a vCPU thread releases it only inside KVM_RUN and
  // while it sleeps.
  struct ThreadedRun;
  bool threads_wanted() const;
  RunResult run_threaded();
  void wake_cpus();                  // under big_lock_: kick / wake each vCPU with work
  void wait_until_parked();          // main thread of a threaded run: all vCPU threads parked
  void park_all(ThreadedRun& t);     // main thread: stop every vCPU thread, wait for it
  void vcpu_thread(ThreadedRun& t, unsigned i);
  bool kernel_waits_confirmed(ThreadedRun& t);  // --kvm-irqchip kernel: APs still wait for SIPI
  struct VcpuKick {                  // read by kickers and signal handlers: atomics only
    std::atomic<bool> in_guest{false};       // between releasing big_lock_ and KVM_RUN's return
    std::atomic<bool> kicked{false};         // a kick was sent during this run() call
    std::atomic<unsigned long> thread{0};    // pthread_t of the vCPU thread, 0 = none
  };
  std::array<VcpuKick, 8> kicks_;
  std::mutex big_lock_;
  ThreadedRun* threaded_ = nullptr;  // set while run_threaded() runs (guarded by big_lock_)
  void sync_tsc();                   // -smp: one TSC for all CPUs (machine_cpus.cpp)
  void update_a20();
  void register_stats();
  bool handle_halt(RunResult& out);
  bool stop_requested(RunResult& out);  // signal, exit, reset or instruction-limit requests
  RunResult finish(StopKind kind, int status, std::string message);

  MachineConfig cfg_;
  GuestMemory mem_;
  IoBus io_;
  MmioBus mmio_;
  cpu::Vcpu vcpu_;
  std::unique_ptr<cpu::ExecutionCore> core_;
  Clock clock_;
  Stats stats_;
  // Application processors (-smp N > 1) and their cores; cpus_ lists all, BSP first.
  std::vector<std::unique_ptr<cpu::Vcpu>> ap_vcpus_;
  std::vector<std::unique_ptr<cpu::ExecutionCore>> ap_cores_;
  // Cores of the techniques switched away from (switch_backend), BSP first: reused when the
  // machine switches back, and kept alive because Stats holds pointers to their counters.
  struct ParkedCores {
    std::string backend;
    std::vector<std::unique_ptr<cpu::ExecutionCore>> cores;
  };
  std::vector<ParkedCores> parked_cores_;
  std::vector<CpuSlot> cpus_;
  std::unique_ptr<devices::Ioapic> ioapic_;
  LocalApicWindow lapic_window_;
  uint64_t tsc_epoch_ns_ = 0;        // virtual time of the last reset: TSC 0 (SMP)

  // Host back ends, then devices (devices hold references to back ends and IRQ lines).
  void open_char_backends();  // serial, COM2, debug console, monitor (machine_char_io.cpp)
  void connect_serial_input();  // host input -> COM1/COM2 receive (machine_char_io.cpp)
  bool idle_wait_for_input(uint64_t deadline_ns);  // halted: wait for input up to the deadline
  std::unique_ptr<devices::CharBackend> serial_out_;
  std::unique_ptr<devices::CharBackend> monitor_out_;  // -monitor SPEC when not in a mon: -serial
  devices::CharBackend* monitor_line_ = nullptr;
  std::vector<devices::CharBackend*> host_inputs_;     // back ends with a reader attached
  std::chrono::steady_clock::time_point last_input_poll_{};
  std::atomic<bool> paused_{false};
  std::function<void(unsigned)> debug_stop_;  // attach_debugger()
  std::vector<std::function<void()>> host_pollers_;  // add_host_poller()
  std::unique_ptr<devices::CharBackend> debugcon_out_;
  std::unique_ptr<devices::CharBackend> com2_out_;
  std::array<IrqLine, 16> isa_irq_;  // ISA IRQ lines 0-15, each wired to the PIC pair
  std::unique_ptr<devices::PicPair> pic_;
  std::unique_ptr<devices::Pit8254> pit_;
  std::unique_ptr<devices::Port61> port61_;
  std::unique_ptr<devices::CmosRtc> rtc_;
  std::unique_ptr<devices::I8042> kbc_;
  std::unique_ptr<devices::Port92> port92_;
  std::unique_ptr<devices::FwCfg> fw_cfg_;
  std::unique_ptr<devices::AcpiPm> acpi_pm_;
  std::unique_ptr<devices::pci::PciBus> pci_bus_;
  std::unique_ptr<devices::pci::PciHost> pci_host_;
  std::unique_ptr<devices::pci::I440fxHostBridge> host_bridge_;
  std::unique_ptr<devices::pci::Piix3Isa> piix3_isa_;
  std::unique_ptr<devices::pci::Piix3Ide> piix3_ide_;
  // IDE: the images first (the channels use them), then the channels and the bus-master engine.
  std::vector<std::unique_ptr<devices::ide::BlockBackend>> drive_images_;
  std::array<std::unique_ptr<devices::ide::IdeChannel>, 2> ide_;  // primary, secondary
  std::unique_ptr<devices::ide::BusMasterDma> ide_bm_;
  void wire_ide();  // machine_ide.cpp: opens the -hda/-cdrom/-drive images, attaches drives
  std::unique_ptr<devices::SerialUart> com1_;
  std::unique_ptr<devices::SerialUart> com2_;
  bool a20_from_kbc_ = true, a20_from_port92_ = false;  // A20 is on when either asks for it
  std::unique_ptr<devices::DebugConsole> debugcon_;
  std::unique_ptr<devices::FpuErrorLatch> fpu_error_;
  IrqLine ferr_line_;  // the BSP's FERR# output (APs' FERR# is not wired: PC/AT has one FPU)
  std::vector<std::unique_ptr<devices::DebugExit>> debug_exits_;
  std::unique_ptr<devices::vga::Vga> vga_;          // before vga_pci_: it maps vga_'s LFB
  std::unique_ptr<devices::vga::VgaPci> vga_pci_;

  std::function<void(Machine&)> boot_;
  std::atomic<bool> exit_requested_{false};
  std::atomic<uint32_t> exit_status_{0};
  std::atomic<int> stop_signal_{0};
  std::atomic<bool> reset_requested_{false};  // a device asked for a reset; done between slices
  uint64_t instructions_ = 0;  // retired, as reported by the core's exits
  uint64_t resets_ = 0;        // reboots after a triple fault
  uint64_t halts_idle_ = 0;    // HLTs the run loop slept through
  std::chrono::steady_clock::time_point started_;
  double run_seconds_ = 0;
};

}  // namespace vmlab::machine
