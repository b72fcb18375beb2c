// A minimal 16550A UART (COM1 at 0x3F8, IRQ 4): the transmitter, the registers a driver probes,
// the divisor latch, loopback, and the THR-empty / received-data interrupts. There is no
// receiver from the host yet (input arrives only through loopback); every transmitted byte goes
// to the CharBackend at once, so the transmitter is always ready (LSR.THRE and LSR.TEMT set) and
// a driver polling LSR bit 5 never waits.
//
//   SerialUart com1(backend, &irq4);
//   io.add(0x3F8, 8, "com1", com1);
//
// Register map (offset: read / write), from the National PC16550D datasheet, table II:
//   0 RBR / THR (DLAB=1: DLL)   1 IER (DLAB=1: DLM)   2 IIR / FCR   3 LCR
//   4 MCR                       5 LSR                 6 MSR         7 SCR
#pragma once
#include <cstdint>
#include "devices/char_backend.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class SerialUart : public machine::BusDevice {
 public:
  // Bits the code refers to by name.
  static constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrThre = 0x20,
                           kLsrTemt = 0x40;
  static constexpr uint8_t kIerRda = 0x01, kIerThre = 0x02;
  static constexpr uint8_t kLcrDlab = 0x80;
  static constexpr uint8_t kMcrLoop = 0x10;
  static constexpr uint8_t kIirNone = 0x01, kIirThre = 0x02, kIirRda = 0x04, kIirFifo = 0xC0;

  struct State {
    uint8_t rbr = 0;        // last received byte (loopback only)
    uint8_t ier = 0;        // interrupt enable, bits 0-3
    uint8_t fcr = 0;        // FIFO control as last written (bit 0: FIFOs enabled)
    uint8_t lcr = 0;        // line control; bit 7 = DLAB
    uint8_t mcr = 0;        // modem control, bits 0-4
    uint8_t lsr = kLsrThre | kLsrTemt;  // line status: transmitter empty
    uint8_t msr = 0xB0;     // DCD, DSR, CTS asserted: "a terminal is attached" (as QEMU)
    uint8_t scr = 0;        // scratch
    uint8_t dll = 0x0C;     // divisor 12 = 9600 baud (the latch is undefined at power-on)
    uint8_t dlm = 0;
    bool thre_pending = false;  // THR-empty interrupt waiting to be seen in IIR
    bool operator==(const State&) const = default;
  };

  SerialUart(CharBackend& out, machine::IrqLine* irq) : out_(out), irq_(irq) {}
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; update_irq(); }
  State save() const { return state_; }
  void restore(const State& s);
  uint64_t bytes_transmitted() const { return tx_bytes_; }
  const uint64_t* tx_counter() const { return &tx_bytes_; }

 private:
  uint8_t read_reg(unsigned reg);
  void write_reg(unsigned reg, uint8_t v);
  uint8_t iir() const;
  uint8_t loopback_msr() const;
  void update_irq();

  State state_;
  CharBackend& out_;
  machine::IrqLine* irq_;
  uint64_t tx_bytes_ = 0;  // host-side statistic, not device state
};

}  // namespace vmlab::devices
