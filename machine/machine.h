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
#include <string>
#include <vector>

#include "cpu/execution_core.h"
#include "cpu/vcpu.h"
#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "devices/i8042.h"
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
#include "machine/clock.h"
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
  cpu::Vcpu& vcpu() { return vcpu_; }
  cpu::ExecutionCore& core() { return *core_; }
  Clock& clock() { return clock_; }
  Stats& stats() { return stats_; }
  uint64_t instructions() const { return instructions_; }
  uint64_t resets() const { return resets_; }
  // Flushes the character back ends (serial, debug console): at exit and on signals.
  void flush_output();

 private:
  void wire_devices();
  void update_a20();
  void register_stats();
  bool handle_halt(RunResult& out);
  RunResult finish(StopKind kind, int status, std::string message);

  MachineConfig cfg_;
  GuestMemory mem_;
  IoBus io_;
  MmioBus mmio_;
  cpu::Vcpu vcpu_;
  std::unique_ptr<cpu::ExecutionCore> core_;
  Clock clock_;
  Stats stats_;

  // Host back ends, then devices (devices hold references to back ends and IRQ lines).
  std::unique_ptr<devices::CharBackend> serial_out_;
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
  std::unique_ptr<devices::SerialUart> com1_;
  std::unique_ptr<devices::SerialUart> com2_;
  bool a20_from_kbc_ = true, a20_from_port92_ = false;  // A20 is on when either asks for it
  std::unique_ptr<devices::DebugConsole> debugcon_;
  std::vector<std::unique_ptr<devices::DebugExit>> debug_exits_;

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
