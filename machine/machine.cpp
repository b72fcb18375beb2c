// Machine: construction, device wiring, stats registration and reset (the run loop is in
// run_loop.cpp).
#include "machine/machine.h"

#include <ctime>

#include <fmt/format.h>
#include <stdexcept>

#include "machine/setup_error.h"

namespace vmlab::machine {

Machine::Machine(const MachineConfig& cfg, std::unique_ptr<cpu::ExecutionCore> core)
    : cfg_(cfg),
      mem_(cfg.ram_bytes),
      vcpu_(mem_, io_, mmio_),
      core_(std::move(core)),
      clock_(cfg.deterministic ? Clock::Mode::Deterministic : Clock::Mode::RealTime) {
  if (!core_) throw SetupError("internal: Machine needs an execution core");
  if (cfg.mmu == "direct") {
    vcpu_.mmu.set_mode(mmu::MmuMode::Direct);
  } else if (cfg.mmu == "shadow" || cfg.mmu == "nested") {
    throw SetupError(fmt::format("--mmu {}: not implemented yet (use --mmu direct)", cfg.mmu));
  } else {
    throw SetupError(fmt::format("--mmu {}: unknown MMU mode (use direct; shadow and nested are "
                                 "planned)", cfg.mmu));
  }
  vcpu_.tlb.enabled = cfg.tlb;
  // Writes to pages the core decoded from drop the stale decodes (self-modifying code, loaders).
  // Every vCPU's core decoded from shared memory, so every core hears of the write.
  mem_.set_code_write_listener([this](uint64_t page) {
    core_->invalidate_code_page(page);
    for (auto& c : ap_cores_) c->invalidate_code_page(page);
  });
  open_char_backends();
  wire_devices();
  wire_cpus();
  if (kernel_irqchip()) wire_kernel_irqchip();
  register_stats();
}

Machine::~Machine() { flush_output(); }

// The machine's wiring, one line per port range, as a table (STYLE.md point 5).
// --deterministic: the RTC starts at 2026-01-01 00:00:00 UTC, so guests reading the date
// print the same thing every run.
constexpr int64_t kDeterministicEpoch = 1767225600;

void Machine::wire_devices() {
  clock_.attach_instruction_counter(&vcpu_.s.instructions_retired);
  pic_ = std::make_unique<devices::PicPair>();
  // Each ISA line goes to the 8259 pair and to the IOAPIC, ISA IRQ n on pin n except the
  // timer, IRQ 0, on pin 2 (the interrupt source override every PC's MADT / MP table lists).
  ioapic_ = std::make_unique<devices::Ioapic>();
  for (unsigned irq = 0; irq < isa_irq_.size(); ++irq)
    isa_irq_[irq].connect([this, irq](bool level) {
      pic_->set_irq(irq, level);
      if (irq != 2) ioapic_->set_irq(irq == 0 ? 2 : irq, level);
    });
  vcpu_.intr = pic_.get();  // until wire_cpus() puts each CPU's local APIC in front of it
  pit_ = std::make_unique<devices::Pit8254>(clock_, &isa_irq_[0]);
  port61_ = std::make_unique<devices::Port61>(clock_, *pit_);
  // The RTC counts from the host's wall clock, or from a fixed date when runs must repeat.
  rtc_ = std::make_unique<devices::CmosRtc>(clock_, &isa_irq_[8],
                                            cfg_.deterministic ? kDeterministicEpoch : std::time(nullptr));
  rtc_->fill_standard_nvram(mem_.ram_size());
  // The A20 gate is on when either the 8042's output port or port 0x92 enables it (chipsets OR
  // the two); a reset request from any device is carried out between run slices.
  kbc_ = std::make_unique<devices::I8042>(
      &isa_irq_[1], &isa_irq_[12], [this](bool on) { a20_from_kbc_ = on; update_a20(); },
      [this] { request_reset(); });
  port92_ = std::make_unique<devices::Port92>(
      [this](bool on) { a20_from_port92_ = on; update_a20(); }, [this] { request_reset(); });
  fw_cfg_ = std::make_unique<devices::FwCfg>(mem_.ram_size(), uint16_t(cfg_.smp));
  acpi_pm_ = std::make_unique<devices::AcpiPm>(
      clock_, &isa_irq_[9], [this] { request_exit(kExitOk); }, [this] { request_reset(); });
  pci_bus_ = std::make_unique<devices::pci::PciBus>();
  pci_host_ = std::make_unique<devices::pci::PciHost>(*pci_bus_, [this](bool) { request_reset(); });
  host_bridge_ = std::make_unique<devices::pci::I440fxHostBridge>(&mem_);  // applies PAM to mem_
  // A PAM change moves what 0xC0000-0xFFFFF decodes to: every cached translation and decode of
  // it is stale, and KVM's memory slots are re-planned before its next KVM_RUN (flush_code_cache;
  // the stop makes a KVM core leave its exit loop to get there).
  host_bridge_->on_memory_map_change([this] {
    vcpu_.tlb.flush_all();
    for (auto& v : ap_vcpus_) v->tlb.flush_all();
    core_->flush_code_cache();
    for (auto& c : ap_cores_) c->flush_code_cache();
    set_attention_all(cpu::kAttnStop);
  });
  piix3_isa_ = std::make_unique<devices::pci::Piix3Isa>();
  piix3_ide_ = std::make_unique<devices::pci::Piix3Ide>();
  //            dev fn  name              function
  pci_bus_->add(0,  0,  "i440fx",         *host_bridge_);  // host bridge 8086:1237
  pci_bus_->add(1,  0,  "piix3-isa",      *piix3_isa_);    // ISA bridge 8086:7000, PIRQ routing
  pci_bus_->add(1,  1,  "piix3-ide",      *piix3_ide_);    // IDE 8086:7010, bus master at BAR4
  wire_ide();  // the drives, both channels, the bus-master engine (machine_ide.cpp)
  vga_ = std::make_unique<devices::vga::Vga>(&clock_);  // retrace bits follow virtual time
  vga_pci_ = std::make_unique<devices::vga::VgaPci>(*vga_, mmio_);  // maps the LFB at BAR0
  pci_bus_->add(2,  0,  "vga",            *vga_pci_);      // display 1234:1111, BAR0 = 16 MiB LFB
  com1_ = std::make_unique<devices::SerialUart>(*serial_out_, &isa_irq_[4], &clock_);
  com2_ = std::make_unique<devices::SerialUart>(*com2_out_, &isa_irq_[3], &clock_);
  // As QEMU, the machine does not gate the UART interrupts with MCR.OUT2: x86 xv6 leaves OUT2
  // clear and still expects its receive interrupt (docs/devices/serial_uart.md).
  com1_->set_out2_gates_irq(false);
  com2_->set_out2_gates_irq(false);
  debugcon_ = std::make_unique<devices::DebugConsole>(*debugcon_out_);
  // x87 errors with CR0.NE = 0 reach the PIC as IRQ 13 (FERR# latched by the chipset).
  fpu_error_ = std::make_unique<devices::FpuErrorLatch>(&isa_irq_[13]);
  ferr_line_.connect([this](bool level) { fpu_error_->set_ferr(level); });
  vcpu_.ferr = &ferr_line_;
  connect_serial_input();
  try {
    //      base   size  name          device            datasheet / reference
    io_.add(0x020, 2,    "pic-master", pic_->master());  // 8259A master, IRQ 0-7
    io_.add(0x040, 4,    "pit",        *pit_);           // 8254 PIT, channel 0 -> IRQ 0
    io_.add(0x060, 1,    "i8042-data", kbc_->data_port());     // 8042 data; keyboard IRQ 1, mouse IRQ 12
    io_.add(0x061, 1,    "port61",     *port61_);        // system control port B: PIT gate 2, OUT2, refresh
    io_.add(0x064, 1,    "i8042-cmd",  kbc_->command_port());  // 8042 status / command
    io_.add(0x070, 2,    "cmos",       *rtc_);           // MC146818 RTC + NVRAM, IRQ 8
    io_.add(0x092, 1,    "port92",     *port92_);        // system control port A: fast A20, reset
    io_.add(0x0A0, 2,    "pic-slave",  pic_->slave());   // 8259A slave on master IRQ 2, IRQ 8-15
    io_.add(0x0E9, 1,    "debugcon",   *debugcon_);      // Bochs port E9 hack / QEMU -debugcon
    io_.add(0x0F0, 1,    "fpu-error",  *fpu_error_);     // write clears the x87 error IRQ 13 (PC/AT)
    io_.add(0x170, 8,    "ide1",       ide_[1]->command_block());  // ATA secondary channel command block, IRQ 15
    io_.add(0x1CE, 3,    "vbe-dispi",  vga_->dispi_ports());  // Bochs VBE index 0x1CE, data 0x1CF (+0x1D0: its high byte)
    io_.add(0x1F0, 8,    "ide0",       ide_[0]->command_block());  // ATA primary channel command block, IRQ 14
    io_.add(0x2F8, 8,    "com2",       *com2_);          // 16550A UART, COM2, IRQ 3 (second -serial)
    io_.add(0x376, 1,    "ide1-ctl",   ide_[1]->control_block());  // secondary alternate status / device control
    io_.add(0x3B0, 0x30, "vga",        *vga_);           // VGA registers 0x3B0-0x3DF (mono and colour CRTC)
    io_.add(0x3F6, 1,    "ide0-ctl",   ide_[0]->control_block());  // primary alternate status / device control
    io_.add(0x3F8, 8,    "com1",       *com1_);          // 16550A UART, COM1, IRQ 4 (PC/AT I/O map)
    io_.add(0x4D0, 2,    "elcr",       pic_->elcr());    // PIIX edge/level control for the PICs
    io_.add(0x510, 2,    "fw_cfg",     *fw_cfg_);        // QEMU fw_cfg: selector 0x510, data 0x511
    io_.add(0x600, devices::AcpiPm::kBlockSize, "acpi-pm", *acpi_pm_);  // PIIX4-style PM block, SCI IRQ 9
    io_.add(0xCF8, 8,    "pci-host",   *pci_host_);      // PCI configuration mechanism #1, 0xCF9 reset
    mmio_.add(0xA0000, 0x20000, "vga-window", vga_->legacy_window());  // VGA memory window 0xA0000-0xBFFFF
    mmio_.add(0xC0000, 0x40000, "pam-shadow", host_bridge_->shadow_window());  // i440FX PAM: ROM / shadow RAM the CPU gets no pointer to
    for (const DebugExitConfig& d : cfg_.debug_exits) {
      debug_exits_.push_back(
          std::make_unique<devices::DebugExit>([this](uint32_t status) { request_exit(status); }));
      io_.add(d.iobase, d.iosize, "isa-debug-exit", *debug_exits_.back());  // QEMU test device
    }
  } catch (const std::invalid_argument& e) {
    throw SetupError(fmt::format("-device: {}", e.what()));
  }
}

void Machine::register_stats() {
  cpu::CpuCounters& c = vcpu_.counters;
  mmu::MmuCounters& m = vcpu_.mmu.counters;
  stats_.counter("run.instructions", &instructions_);
  stats_.gauge("run.seconds", [this] { return run_seconds_; });
  stats_.gauge("run.guest_mips", [this] {
    return run_seconds_ > 0 ? double(instructions_) / run_seconds_ / 1e6 : 0.0;
  });
  stats_.counter_fn("run.virtual_ns", [this] { return clock_.now_ns(); });
  stats_.counter("run.resets", &resets_);
  stats_.counter("run.idle_halts", &halts_idle_);
  stats_.counter("cpu.instructions", &c.instructions);
  for (size_t i = 1; i < cpus_.size(); ++i)  // application processors (cpu.* is the BSP)
    stats_.counter(fmt::format("cpu{}.instructions", i), &cpus_[i].vcpu->counters.instructions);
  stats_.dynamic([&c](std::vector<StatValue>& out) {
    for (size_t v = 0; v < c.exceptions.size(); ++v)
      if (c.exceptions[v]) out.push_back({fmt::format("cpu.exceptions.{}", v), c.exceptions[v], 0, false});
  });
  stats_.counter("cpu.external_interrupts", &c.external_interrupts);
  stats_.counter("cpu.software_interrupts", &c.software_interrupts);
  stats_.counter("cpu.halts", &c.halts);
  stats_.counter("cpu.triple_faults", &c.triple_faults);
  stats_.counter("cpu.io_reads", &c.io_reads);
  stats_.counter("cpu.io_writes", &c.io_writes);
  stats_.counter("cpu.mmio_reads", &c.mmio_reads);
  stats_.counter("cpu.mmio_writes", &c.mmio_writes);
  stats_.counter("cpu.decode_cache_hits", &c.decode_cache_hits);
  stats_.counter("cpu.decode_cache_misses", &c.decode_cache_misses);
  stats_.counter("cpu.decode_cache_invalidations", &c.decode_cache_invalidations);
  stats_.counter("mmu.tlb_hits", &m.tlb_hits);
  stats_.counter("mmu.tlb_misses", &m.tlb_misses);
  stats_.counter("mmu.tlb_fills", &vcpu_.tlb.stats.fills);
  stats_.counter("mmu.tlb_flushes_full", &vcpu_.tlb.stats.flushes_full);
  stats_.counter("mmu.tlb_flushes_nonglobal", &vcpu_.tlb.stats.flushes_nonglobal);
  stats_.counter("mmu.tlb_flushes_page", &vcpu_.tlb.stats.flushes_page);
  stats_.counter("mmu.page_walks", &m.page_walks);
  stats_.counter("mmu.walk_memory_refs", &m.walk_memory_refs);
  stats_.counter("mmu.page_faults", &m.page_faults);
  stats_.counter("mmu.ad_bit_updates", &m.ad_bit_updates);
  stats_.counter("mmu.walk_unbacked_refs", &m.walk_unbacked_refs);
  for (Bus* bus : {static_cast<Bus*>(&io_), static_cast<Bus*>(&mmio_)}) {
    stats_.counter_fn(bus->name() + ".unclaimed_reads", [bus] { return bus->stats().unclaimed_reads; });
    stats_.counter_fn(bus->name() + ".unclaimed_writes", [bus] { return bus->stats().unclaimed_writes; });
    stats_.dynamic([bus](std::vector<StatValue>& out) {
      for (const auto& [name, n] : bus->region_counts()) {
        out.push_back({fmt::format("{}.region.{}.reads", bus->name(), name), n.reads, 0, false});
        out.push_back({fmt::format("{}.region.{}.writes", bus->name(), name), n.writes, 0, false});
      }
    });
  }
  stats_.dynamic([this](std::vector<StatValue>& out) {
    for (const auto& [port, n] : io_.address_counts()) {
      if (n.reads) out.push_back({fmt::format("io.port.{:#06x}.reads", port), n.reads, 0, false});
      if (n.writes) out.push_back({fmt::format("io.port.{:#06x}.writes", port), n.writes, 0, false});
    }
  });
  stats_.counter("serial.com1.tx_bytes", com1_->tx_counter());
  stats_.counter("debugcon.bytes", debugcon_->bytes_written());
  core_->register_stats(stats_);  // the technique's own counters (kvm.exits.*, ...)
}

void Machine::reset() {
  reset_requested_.store(false);
  pic_->reset();
  pit_->reset();
  port61_->reset();  // after the PIT: it pushes the channel-2 gate into it
  rtc_->reset();
  kbc_->reset();     // announces its A20 state again
  port92_->reset();
  fw_cfg_->reset();
  acpi_pm_->reset();
  pci_host_->reset();
  host_bridge_->reset();
  piix3_isa_->reset();
  piix3_ide_->reset();  // unmaps the bus-master block until BAR4 is assigned again
  for (auto& ch : ide_) ch->reset();
  ide_bm_->reset();
  vga_->reset();
  vga_pci_->reset();  // unmaps the LFB until the firmware or kernel assigns BAR0 again
  com1_->reset();
  com2_->reset();
  debugcon_->reset();
  fpu_error_->reset();
  for (auto& d : debug_exits_) d->reset();
  a20_from_kbc_ = true;   // as a BIOS leaves it: the 8042 output port enables A20
  a20_from_port92_ = false;
  update_a20();
  ioapic_->reset();
  if (kernel_irqchip()) reset_kernel_irqchip();
  core_->flush_code_cache();
  for (auto& c : ap_cores_) c->flush_code_cache();
  for (unsigned i = 0; i < cpus_.size(); ++i) reset_cpu(i);
  tsc_epoch_ns_ = clock_.now_ns();
  if (boot_) boot_(*this);
  // The boot step may have loaded code over pages the core had decoded.
  core_->flush_code_cache();
  for (auto& c : ap_cores_) c->flush_code_cache();
}

void Machine::update_a20() {
  const bool on = a20_from_kbc_ || a20_from_port92_;
  if (on == mem_.a20()) return;
  mem_.set_a20(on);
  vcpu_.tlb.flush_all();  // every cached translation folded the old A20 mask in
  for (auto& v : ap_vcpus_) v->tlb.flush_all();
}

void Machine::request_reset() {
  reset_requested_.store(true);
  set_attention_all(cpu::kAttnStop);
}

void Machine::request_exit(uint32_t status) {
  exit_status_.store(status);
  exit_requested_.store(true);
  set_attention_all(cpu::kAttnStop);
}

void Machine::request_stop_from_signal(int sig) {
  stop_signal_.store(sig);
  set_attention_all(cpu::kAttnStop);
}

void Machine::flush_output() {
  if (serial_out_) serial_out_->flush();
  if (debugcon_out_) debugcon_out_->flush();
  for (auto& img : drive_images_) img->flush();  // fsync what the guest wrote
  if (com2_out_) com2_out_->flush();
  if (monitor_out_) monitor_out_->flush();
}

}  // namespace vmlab::machine
