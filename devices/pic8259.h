// The Intel 8259A programmable interrupt controller, and the PC/AT pair built from two of them:
// the master at 0x20 (IRQ 0-7) and the slave at 0xA0 (IRQ 8-15) whose INT output drives the
// master's IR2, plus the PIIX edge/level control registers (ELCR) at 0x4D0/0x4D1.
//
//   machine::IrqLine intr;                 // optional: the CPU's INTR pin, to wake a HLT
//   PicPair pic(&intr);
//   io.add(0x20, 2, "pic-master", pic.master());
//   io.add(0xA0, 2, "pic-slave", pic.slave());
//   io.add(0x4D0, 2, "elcr", pic.elcr());
//   uart_irq.connect([&](bool l) { pic.set_irq(4, l); });
//   if (pic.intr_pending()) deliver(pic.acknowledge());   // the INTA cycle
//
// One chip, register map (offset: read / write), from the Intel 8259A datasheet:
//   0  IRR or ISR (OCW3 selects), or the poll word after an OCW3 poll command
//      / ICW1 (bit 4 set), OCW2 (bits 4:3 = 00), OCW3 (bits 4:3 = 01)
//   1  IMR / ICW2-ICW4 while initializing, else OCW1 (the mask)
//
// Modelled: the ICW1-ICW4 sequence (with/without ICW4, single/cascade, LTIM), masking, fully
// nested priority with rotation (rotate on EOI, rotate in auto-EOI, set priority), specific and
// non-specific EOI, auto-EOI, IRR/ISR read select, poll mode, special mask mode, special fully
// nested mode, spurious IR7 when a request vanishes before INTA, edge and level triggering.
//
// Deviations, on purpose:
// - Edge mode latches the request on the rising edge and keeps it after the line falls (the
//   8259A needs the line held high until INTA). IrqLine::pulse() sources rely on this, as they
//   do in QEMU. Level mode (LTIM or ELCR) follows the line, so a level request can vanish.
// - The INTA cycle is one atomic call; the MCS-80/85 mode (ICW4 bit 0 = 0, or no ICW4) is not
//   modelled: vectors are always given as in 8086 mode. Such a setup is counted and reported
//   once on stderr. BUF and M/S (ICW4 bits 2-3) are stored but change nothing.
// - set_irq(2) is ignored: on the AT bus the IRQ2 pin is rerouted to IRQ9 and the master's IR2
//   is the cascade wire from the slave.
#pragma once
#include <cstdint>
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class Pic8259 : public machine::BusDevice {
 public:
  static constexpr int kNone = -1;

  struct State {
    uint8_t irr = 0;              // interrupt request register
    uint8_t isr = 0;              // in-service register
    uint8_t imr = 0;              // interrupt mask register (OCW1)
    uint8_t input = 0;            // IR pin levels as last seen (edge detection)
    uint8_t elcr = 0;             // per-IR level triggering from the ELCR (PIIX)
    uint8_t vector_base = 0;      // ICW2 bits 7:3
    uint8_t icw3 = 0;             // master: IRs with a slave; slave: its cascade id
    uint8_t icw4 = 0;             // as written (0 if ICW1 said no ICW4)
    uint8_t lowest_priority = 7;  // the IR with the lowest priority (rotation)
    uint8_t init_step = 0;        // 0 ready, else the ICW expected next (2, 3 or 4)
    bool icw4_needed = false;     // ICW1 IC4
    bool single = false;          // ICW1 SNGL: no ICW3, no cascade
    bool ltim = false;            // ICW1 LTIM: every IR level-triggered
    bool rotate_on_aeoi = false;  // OCW2 "rotate in auto-EOI mode"
    bool special_mask = false;    // OCW3 SMM
    bool read_isr = false;        // OCW3 RIS: command-port reads return ISR instead of IRR
    bool poll = false;            // OCW3 P: the next command-port read is a poll
    bool operator==(const State&) const = default;
  };

  // `intr` is this chip's INT output pin (may be null).
  explicit Pic8259(machine::IrqLine* intr = nullptr) : intr_(intr) {}
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; apply_triggering(); update_output(); }
  State save() const { return state_; }
  void restore(const State& s);

  // An IR pin changed level (irq 0-7).
  void set_input(unsigned irq, bool level);
  // The highest-priority request the chip would present now, or kNone.
  int pending_irq() const;
  bool int_output() const { return pending_irq() != kNone; }
  // The chip's part of an INTA cycle: the IR it serves (ISR updated), or kNone for a spurious
  // cycle (the caller then uses IR7 with no ISR bit set).
  int acknowledge_irq();
  uint8_t vector_base() const { return state_.vector_base; }
  // Does this IR carry a slave (master in cascade mode with the ICW3 bit set)?
  bool is_cascade_input(unsigned irq) const { return !state_.single && (state_.icw3 >> irq) & 1; }
  void set_elcr(uint8_t v) { state_.elcr = v; apply_triggering(); update_output(); }
  uint8_t elcr() const { return state_.elcr; }
  uint64_t unsupported_setups() const { return unsupported_; }

 private:
  void write_command(uint8_t v);
  void write_data(uint8_t v);
  void write_ocw2(uint8_t v);
  void write_ocw3(uint8_t v);
  uint8_t poll_read();
  uint8_t level_mask() const { return state_.ltim ? 0xFF : state_.elcr; }
  int highest(uint8_t bits) const;      // highest-priority set bit, or kNone
  unsigned rank(unsigned irq) const;    // 0 = highest priority
  void eoi(int irq, bool rotate);
  void apply_triggering();              // level IRs follow their input
  void update_output();

  State state_;
  machine::IrqLine* intr_;
  uint64_t unsupported_ = 0;  // host-side statistic: MCS-80 mode setups
};

// The master/slave pair as the PC/AT wires it, and the CPU's view of it.
class PicPair : public machine::InterruptSource {
 public:
  struct State {
    Pic8259::State master;
    Pic8259::State slave;
    bool operator==(const State&) const = default;
  };

  explicit PicPair(machine::IrqLine* intr = nullptr);
  PicPair(const PicPair&) = delete;  // the cascade wire captures `this`
  PicPair& operator=(const PicPair&) = delete;

  // Interrupt line 0-15 changed level. Lines above 15 and line 2 are ignored (see header).
  void set_irq(unsigned line, bool level);
  bool intr_pending() const override { return master_.int_output(); }
  uint8_t acknowledge() override;

  Pic8259& master() { return master_; }
  Pic8259& slave() { return slave_; }
  machine::BusDevice& elcr() { return elcr_; }

  void reset();
  State save() const { return {master_.save(), slave_.save()}; }
  void restore(const State& s);

  // ELCR bits that must stay edge-triggered: IRQ 0, 1, 2 (master) and 8, 13 (slave).
  static constexpr uint8_t kElcrMasterWritable = 0xF8, kElcrSlaveWritable = 0xDE;

 private:
  // 0x4D0: ELCR1 (IRQ 0-7), 0x4D1: ELCR2 (IRQ 8-15). The bits live in the chips' states.
  class Elcr : public machine::BusDevice {
   public:
    explicit Elcr(PicPair& p) : pair_(p) {}
    uint32_t read(uint64_t offset, unsigned width) override;
    void write(uint64_t offset, unsigned width, uint32_t value) override;
   private:
    PicPair& pair_;
  };

  void sync_cascade();  // master IR2 follows the slave's INT output

  machine::IrqLine cascade_;  // slave INT -> master IR2
  Pic8259 master_;
  Pic8259 slave_;
  Elcr elcr_;
};

}  // namespace vmlab::devices
