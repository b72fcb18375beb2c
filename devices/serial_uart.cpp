// 16550A UART (see serial_uart.h for what is modelled).
#include "devices/serial_uart.h"

namespace vmlab::devices {

SerialUart::~SerialUart() { cancel_timer(); }

uint32_t SerialUart::read(uint64_t offset, unsigned width) {
  // The UART sits on an 8-bit bus: a wider read returns the register in the low byte and the
  // next registers in the upper lanes, as consecutive byte cycles would.
  uint32_t v = 0;
  for (unsigned i = 0; i < width && i < 4; ++i)
    v |= uint32_t(read_reg(unsigned(offset + i) & 7)) << (8 * i);
  return v;
}

void SerialUart::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width && i < 4; ++i)
    write_reg(unsigned(offset + i) & 7, uint8_t(value >> (8 * i)));
}

void SerialUart::reset() {
  cancel_timer();
  state_ = State{};
  update_irq();
}

unsigned SerialUart::trigger_level() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};  // FCR bits 6-7
  return fifo_enabled() ? kLevels[state_.fcr >> 6] : 1;
}

uint64_t SerialUart::char_time_ns() const {
  // Start bit + 5..8 data bits + optional parity + 1 or 2 stop bits (1.5 counted as 2).
  uint64_t bits = 1 + 5 + (state_.lcr & 3) + ((state_.lcr & 0x08) ? 1 : 0) +
                  ((state_.lcr & 0x04) ? 2 : 1);
  uint64_t divisor = uint64_t(state_.dll) | (uint64_t(state_.dlm) << 8);
  if (divisor == 0) divisor = 65536;  // the counter wraps: the slowest rate, never a divide by 0
  // The baud clock is 1.8432 MHz / 16 / divisor.
  return bits * divisor * 16 * 1'000'000'000ull / 1'843'200ull;
}

uint8_t SerialUart::lsr() const {
  uint8_t v = state_.lsr_errors | kLsrThre | kLsrTemt;  // the transmitter is always empty
  if (state_.rx_count) v |= kLsrDataReady;
  if (fifo_enabled()) {
    // Bit 7: an error byte is still in the FIFO (beyond the one LSR bits 1-4 already report).
    bool err = state_.lsr_errors & (kLsrParity | kLsrFraming | kLsrBreak);
    for (unsigned i = 1; i < state_.rx_count; ++i)
      err |= state_.rx_flags[(state_.rx_head + i) % kFifoSize] != 0;
    if (err) v |= kLsrFifoError;
  }
  return v;
}

uint8_t SerialUart::iir() const {
  uint8_t fifo = fifo_enabled() ? kIirFifo : 0;
  uint8_t ier = state_.ier;
  if ((ier & kIerRls) && (state_.lsr_errors & kLsrErrors)) return fifo | kIirRls;
  if (ier & kIerRda) {
    if (state_.rx_count >= trigger_level()) return fifo | kIirRda;
    // Below the trigger level (FIFO mode only): the character timeout. Without a clock the
    // data is reported at once rather than never.
    bool timeout = clock_ ? state_.timeout_pending : state_.rx_count > 0;
    if (timeout && state_.rx_count > 0) return fifo | kIirTimeout;
  }
  if ((ier & kIerThre) && state_.thre_pending) return fifo | kIirThre;
  if ((ier & kIerMsi) && state_.msr_delta) return fifo | kIirMsi;
  return fifo | kIirNone;
}

uint8_t SerialUart::modem_inputs() const {
  if (!(state_.mcr & kMcrLoop)) return state_.msr_lines;
  // Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (datasheet, MCR bit 4).
  uint8_t m = state_.mcr;
  return uint8_t(((m & kMcrDtr) << 5) | ((m & kMcrRts) << 3) | ((m & kMcrOut1) << 4) |
                 ((m & kMcrOut2) << 4));
}

void SerialUart::change_modem_inputs(uint8_t before) {
  uint8_t after = modem_inputs();
  uint8_t changed = before ^ after;
  if (changed & kMsrCts) state_.msr_delta |= 0x01;                       // DCTS
  if (changed & kMsrDsr) state_.msr_delta |= 0x02;                       // DDSR
  if ((before & kMsrRi) && !(after & kMsrRi)) state_.msr_delta |= 0x04;  // TERI: trailing edge
  if (changed & kMsrDcd) state_.msr_delta |= 0x08;                       // DDCD
}

void SerialUart::push_rx(uint8_t byte, uint8_t errors) {
  errors &= kLsrParity | kLsrFraming | kLsrBreak;
  unsigned capacity = fifo_enabled() ? kFifoSize : 1;
  if (state_.rx_count >= capacity) {
    state_.lsr_errors |= kLsrOverrun;
    if (!fifo_enabled()) {
      // 16450 mode: the new character overwrites the unread one in RBR.
      state_.rx_data[state_.rx_head] = byte;
      state_.rx_flags[state_.rx_head] = errors;
      state_.lsr_errors |= errors;
    }
    // FIFO mode: the character in the shift register is lost; the FIFO is kept.
    return;
  }
  unsigned slot = (state_.rx_head + state_.rx_count) % kFifoSize;
  state_.rx_data[slot] = byte;
  state_.rx_flags[slot] = errors;
  if (state_.rx_count == 0) state_.lsr_errors |= errors;  // at the top: LSR shows its errors
  ++state_.rx_count;
}

void SerialUart::clear_rx() {
  state_.rx_count = 0;
  state_.rx_flags = {};
  state_.timeout_pending = false;
}

void SerialUart::rx_activity() {
  state_.timeout_pending = false;
  if (clock_ && fifo_enabled() && state_.rx_count > 0)
    arm_timer(clock_->now_ns() + 4 * char_time_ns());
  else
    cancel_timer();
}

void SerialUart::arm_timer(uint64_t deadline_ns) {
  cancel_timer();
  state_.timeout_deadline_ns = deadline_ns;
  timer_ = clock_->schedule(deadline_ns, [this] {
    timer_ = 0;
    state_.timeout_deadline_ns = 0;
    if (fifo_enabled() && state_.rx_count > 0) state_.timeout_pending = true;
    update_irq();
  });
}

void SerialUart::cancel_timer() {
  if (timer_ && clock_) clock_->cancel(timer_);
  timer_ = 0;
  state_.timeout_deadline_ns = 0;
}

bool SerialUart::receive_byte(uint8_t byte, uint8_t errors) {
  if (state_.mcr & kMcrLoop) return true;  // SIN is disconnected in loopback: the byte is lost
  bool fits = can_receive();
  push_rx(byte, errors);
  rx_activity();
  update_irq();
  return fits;
}

bool SerialUart::can_receive() const {
  return state_.rx_count < (fifo_enabled() ? kFifoSize : 1u);
}

void SerialUart::set_modem_inputs(uint8_t lines) {
  uint8_t before = modem_inputs();
  state_.msr_lines = lines & 0xF0;
  change_modem_inputs(before);
  update_irq();
}

uint8_t SerialUart::read_reg(unsigned reg) {
  bool dlab = state_.lcr & kLcrDlab;
  switch (reg) {
    case 0: {
      if (dlab) return state_.dll;
      if (state_.rx_count == 0) {
        // Empty: RBR still holds the last character read.
        return state_.rx_data[(state_.rx_head + kFifoSize - 1) % kFifoSize];
      }
      uint8_t v = state_.rx_data[state_.rx_head];
      state_.rx_head = uint8_t((state_.rx_head + 1) % kFifoSize);
      --state_.rx_count;
      // The next byte reaches the top: its errors become visible in LSR.
      if (state_.rx_count) state_.lsr_errors |= state_.rx_flags[state_.rx_head];
      rx_activity();
      update_irq();
      return v;
    }
    case 1: return dlab ? state_.dlm : state_.ier;
    case 2: {
      uint8_t v = iir();
      // Reading IIR while it reports THR-empty acknowledges that interrupt.
      if ((v & 0x0F) == kIirThre) {
        state_.thre_pending = false;
        update_irq();
      }
      return v;
    }
    case 3: return state_.lcr;
    case 4: return state_.mcr;
    case 5: {
      uint8_t v = lsr();
      state_.lsr_errors = 0;  // OE/PE/FE/BI clear on read (and the line-status interrupt)
      update_irq();
      return v;
    }
    case 6: {
      uint8_t v = uint8_t(modem_inputs() | state_.msr_delta);
      state_.msr_delta = 0;
      update_irq();
      return v;
    }
    default: return state_.scr;
  }
}

void SerialUart::write_reg(unsigned reg, uint8_t v) {
  bool dlab = state_.lcr & kLcrDlab;
  switch (reg) {
    case 0:
      if (dlab) { state_.dll = v; return; }
      if (state_.mcr & kMcrLoop) {
        push_rx(v, 0);  // loopback: SOUT is wired to SIN inside the chip
        rx_activity();
      } else {
        out_.write(v);
        ++tx_bytes_;
      }
      // Sent at once: the holding register is empty again, which raises THRE if enabled.
      state_.thre_pending = true;
      update_irq();
      return;
    case 1:
      if (dlab) { state_.dlm = v; return; }
      // Enabling the THR-empty interrupt while THR is empty raises it immediately (16550A).
      if ((v & kIerThre) && !(state_.ier & kIerThre)) state_.thre_pending = true;
      state_.ier = v & 0x0F;
      update_irq();
      return;
    case 2: {
      bool was = fifo_enabled(), cleared = false;
      if (!(v & kFcrEnable)) {
        // Disabling: the FIFOs are cleared; the other bits are not programmed without bit 0.
        state_.fcr &= uint8_t(~kFcrEnable);
        cleared = was;
      } else {
        state_.fcr = v & kFcrStored;
        cleared = !was || (v & kFcrClearRx);  // entering FIFO mode clears the FIFOs
        // Clearing the (always empty) transmit FIFO re-arms THRE, as QEMU does.
        if (v & kFcrClearTx) state_.thre_pending = true;
      }
      // Only a clear touches the timeout measurement: rewriting the trigger level must not let
      // a guest postpone the character timeout forever.
      if (cleared) {
        clear_rx();
        rx_activity();
      }
      update_irq();
      return;
    }
    case 3: state_.lcr = v; return;
    case 4: {
      uint8_t before = modem_inputs();
      state_.mcr = v & 0x1F;
      change_modem_inputs(before);
      update_irq();
      return;
    }
    case 5: return;  // LSR is read-only (the factory-test write is ignored)
    case 6: return;  // MSR writes are ignored
    default: state_.scr = v; return;
  }
}

bool SerialUart::rx_interrupt_enabled() const {
  if (!(state_.ier & kIerRda) || (state_.mcr & kMcrLoop)) return false;
  return !out2_gates_ || (state_.mcr & kMcrOut2);
}

void SerialUart::update_irq() {
  if (!irq_) return;
  bool level = interrupt_pending();
  // PC boards route INTR through a gate enabled by OUT2; loopback forces OUT2 inactive.
  if (out2_gates_) level = level && (state_.mcr & kMcrOut2) && !(state_.mcr & kMcrLoop);
  irq_->set(level);
}

void SerialUart::restore(const State& s) {
  cancel_timer();
  state_ = s;
  // Validate: every guest- or file-controlled value gets a value the chip could hold.
  state_.rx_head %= kFifoSize;
  unsigned capacity = fifo_enabled() ? kFifoSize : 1;
  if (state_.rx_count > capacity) state_.rx_count = uint8_t(capacity);
  for (uint8_t& f : state_.rx_flags) f &= kLsrParity | kLsrFraming | kLsrBreak;
  state_.ier &= 0x0F;
  state_.mcr &= 0x1F;
  state_.fcr &= kFcrStored;
  state_.lsr_errors &= kLsrErrors;
  state_.msr_lines &= 0xF0;
  state_.msr_delta &= 0x0F;
  if (state_.rx_count == 0 || !fifo_enabled()) state_.timeout_pending = false;
  if (!clock_) state_.timeout_pending = false;
  state_.timeout_deadline_ns = 0;
  // Derived: the character-timeout timer.
  if (clock_ && s.timeout_deadline_ns != 0 && fifo_enabled() && state_.rx_count > 0)
    arm_timer(s.timeout_deadline_ns);
  update_irq();
}

}  // namespace vmlab::devices
