// A 16550A UART (COM1 at 0x3F8 IRQ 4, COM2 at 0x2F8 IRQ 3), after the National PC16550D
// datasheet: 16-byte receive FIFO with trigger levels 1/4/8/14, the four prioritised interrupt
// sources (line status > received data / character timeout > THR empty > modem status), LSR
// error bits with overrun, MSR delta bits, loopback, divisor latch and scratch register.
//
//   SerialUart com1(backend, &irq4, &clock);     // clock: character timeout in virtual time
//   io.add(0x3F8, 8, "com1", com1);
//   com1.receive_byte('a');                       // host input (the machine calls this)
//
// Register map (offset: read / write), datasheet table II:
//   0 RBR / THR (DLAB=1: DLL)   1 IER (DLAB=1: DLM)   2 IIR / FCR   3 LCR
//   4 MCR                       5 LSR                 6 MSR         7 SCR
//
// Simplifications (documented in docs/devices/serial_uart.md):
//  - Transmit is instantaneous: a THR write goes to the CharBackend at once, so the transmit
//    FIFO is always empty, LSR.THRE/TEMT are always set and THRE re-arms after every write.
//  - Character timeout needs virtual time. With a Clock it fires 4 character times (from LCR and
//    the divisor) after the last receive-FIFO activity. Without one, data sitting below the
//    trigger level reports the timeout at once, as if the host's input were slow.
//  - IRQ output: on PC boards the INTR pin reaches the PIC only through a gate driven by
//    MCR.OUT2 (and OUT2 is forced inactive in loopback). That is the default; QEMU does not gate,
//    set_out2_gates_irq(false) reproduces it for guests (like x86 xv6) that leave OUT2 clear.
//  - DMA mode (FCR bit 3) is stored and read back but has no effect: there is no DMA wiring.
#pragma once
#include <array>
#include <cstdint>
#include "devices/char_backend.h"
#include "machine/clock.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class SerialUart : public machine::BusDevice {
 public:
  static constexpr unsigned kFifoSize = 16;
  // Bits the code refers to by name.
  static constexpr uint8_t kLsrDataReady = 0x01, kLsrOverrun = 0x02, kLsrParity = 0x04,
                           kLsrFraming = 0x08, kLsrBreak = 0x10, kLsrThre = 0x20,
                           kLsrTemt = 0x40, kLsrFifoError = 0x80;
  static constexpr uint8_t kLsrErrors = kLsrOverrun | kLsrParity | kLsrFraming | kLsrBreak;
  static constexpr uint8_t kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMsi = 0x08;
  static constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04,
                           kFcrStored = 0xC9;  // enable, DMA mode, trigger level
  static constexpr uint8_t kLcrBreak = 0x40, kLcrDlab = 0x80;
  static constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08,
                           kMcrLoop = 0x10;
  static constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;
  static constexpr uint8_t kIirNone = 0x01, kIirMsi = 0x00, kIirThre = 0x02, kIirRda = 0x04,
                           kIirRls = 0x06, kIirTimeout = 0x0C, kIirFifo = 0xC0;

  struct State {
    std::array<uint8_t, kFifoSize> rx_data{};   // receive FIFO, ring buffer
    std::array<uint8_t, kFifoSize> rx_flags{};  // per byte: PE/FE/BI seen with it (LSR bits)
    uint8_t rx_head = 0;    // index of the oldest byte
    uint8_t rx_count = 0;   // bytes in the FIFO (at most 1 with FIFOs disabled)
    uint8_t ier = 0;        // interrupt enable, bits 0-3
    uint8_t fcr = 0;        // FIFO control bits that persist (kFcrStored)
    uint8_t lcr = 0;        // line control; bit 7 = DLAB
    uint8_t mcr = 0;        // modem control, bits 0-4
    uint8_t lsr_errors = 0; // OE/PE/FE/BI latched until LSR is read
    uint8_t msr_lines = 0xB0;  // external CTS/DSR/RI/DCD; DCD+DSR+CTS: a terminal (as QEMU)
    uint8_t msr_delta = 0;  // DCTS/DDSR/TERI/DDCD, cleared by reading MSR
    uint8_t scr = 0;        // scratch
    uint8_t dll = 0x0C;     // divisor 12 = 9600 baud (the latch is undefined at power-on)
    uint8_t dlm = 0;
    bool thre_pending = false;      // THR-empty interrupt waiting to be seen in IIR
    bool timeout_pending = false;   // character timeout indicated (clock mode)
    uint64_t timeout_deadline_ns = 0;  // 0: no character-timeout timer armed
    bool operator==(const State&) const = default;
  };

  SerialUart(CharBackend& out, machine::IrqLine* irq) : SerialUart(out, irq, nullptr) {}
  SerialUart(CharBackend& out, machine::IrqLine* irq, machine::Clock* clock)
      : out_(out), irq_(irq), clock_(clock) {}
  ~SerialUart() override;
  SerialUart(const SerialUart&) = delete;  // a clock timer refers to this instance
  SerialUart& operator=(const SerialUart&) = delete;

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset();
  State save() const { return state_; }
  void restore(const State& s);

  // Host side. A byte arriving on the serial input (ignored in loopback, where SIN is cut off).
  // `errors` are LSR PE/FE/BI bits to report with it. Returns false if it overran.
  bool receive_byte(uint8_t byte, uint8_t errors = 0);
  // Room in the receive FIFO: a host back end may hold input back instead of overrunning.
  bool can_receive() const;
  // External modem inputs (MSR bits 4-7: CTS, DSR, RI, DCD); changes set the delta bits.
  void set_modem_inputs(uint8_t lines);
  // Host configuration, not device state: whether MCR.OUT2 gates the IRQ line (PC boards: yes).
  void set_out2_gates_irq(bool gate) { out2_gates_ = gate; update_irq(); }
  bool interrupt_pending() const { return (iir() & kIirNone) == 0; }  // the chip's INTR pin
  // Whether a received byte would raise the IRQ line: IER.RDA set, the OUT2 gate open and not
  // in loopback (where SIN is cut off). The machine waits for host input only when it can.
  bool rx_interrupt_enabled() const;
  // One character time in ns at the current divisor and LCR (start+data+parity+stop bits).
  uint64_t char_time_ns() const;

  uint64_t bytes_transmitted() const { return tx_bytes_; }
  const uint64_t* tx_counter() const { return &tx_bytes_; }

 private:
  uint8_t read_reg(unsigned reg);
  void write_reg(unsigned reg, uint8_t v);
  uint8_t iir() const;
  uint8_t lsr() const;
  uint8_t modem_inputs() const;
  void change_modem_inputs(uint8_t before);
  bool fifo_enabled() const { return state_.fcr & kFcrEnable; }
  unsigned trigger_level() const;
  void push_rx(uint8_t byte, uint8_t errors);
  void clear_rx();
  void rx_activity();  // restarts the character-timeout measurement
  void arm_timer(uint64_t deadline_ns);
  void cancel_timer();
  void update_irq();

  State state_;
  CharBackend& out_;
  machine::IrqLine* irq_;
  machine::Clock* clock_;
  machine::TimerId timer_ = 0;  // 0: none scheduled
  bool out2_gates_ = true;
  uint64_t tx_bytes_ = 0;  // host-side statistic, not device state
};

}  // namespace vmlab::devices
