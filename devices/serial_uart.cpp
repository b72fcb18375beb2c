// 16550A UART (see serial_uart.h for what is modelled).
#include "devices/serial_uart.h"

namespace vmlab::devices {

uint32_t SerialUart::read(uint64_t offset, unsigned width) {
  // The UART sits on an 8-bit bus: a wider read returns the register in the low byte and the
  // next registers in the upper lanes, as consecutive byte cycles would.
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) v |= uint32_t(read_reg(unsigned(offset + i) & 7)) << (8 * i);
  return v;
}

void SerialUart::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i) write_reg(unsigned(offset + i) & 7, uint8_t(value >> (8 * i)));
}

uint8_t SerialUart::iir() const {
  uint8_t fifo = (state_.fcr & 1) ? kIirFifo : 0;
  if ((state_.ier & kIerRda) && (state_.lsr & kLsrDataReady)) return fifo | kIirRda;
  if ((state_.ier & kIerThre) && state_.thre_pending) return fifo | kIirThre;
  return fifo | kIirNone;
}

uint8_t SerialUart::loopback_msr() const {
  // Loopback wires DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD (datasheet, MCR bit 4).
  uint8_t m = state_.mcr;
  return uint8_t(((m & 0x01) << 5) | ((m & 0x02) << 3) | ((m & 0x04) << 4) | ((m & 0x08) << 4));
}

uint8_t SerialUart::read_reg(unsigned reg) {
  bool dlab = state_.lcr & kLcrDlab;
  switch (reg) {
    case 0:
      if (dlab) return state_.dll;
      state_.lsr &= uint8_t(~kLsrDataReady);
      update_irq();
      return state_.rbr;
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
      uint8_t v = state_.lsr;
      state_.lsr &= uint8_t(~kLsrOverrun);  // error bits clear on read
      return v;
    }
    case 6: return (state_.mcr & kMcrLoop) ? loopback_msr() : state_.msr;
    default: return state_.scr;
  }
}

void SerialUart::write_reg(unsigned reg, uint8_t v) {
  bool dlab = state_.lcr & kLcrDlab;
  switch (reg) {
    case 0:
      if (dlab) { state_.dll = v; return; }
      if (state_.mcr & kMcrLoop) {
        if (state_.lsr & kLsrDataReady) state_.lsr |= kLsrOverrun;
        state_.rbr = v;
        state_.lsr |= kLsrDataReady;
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
    case 2: state_.fcr = v & 0xC9; update_irq(); return;  // bits 1-2 (reset FIFOs) self-clear
    case 3: state_.lcr = v; return;
    case 4: state_.mcr = v & 0x1F; return;
    case 5: return;  // LSR is read-only (the factory-test write is ignored)
    case 6: return;  // MSR writes are ignored
    default: state_.scr = v; return;
  }
}

void SerialUart::update_irq() {
  // Like QEMU, OUT2 does not gate the line; PC drivers set OUT2 anyway.
  if (irq_) irq_->set((iir() & kIirNone) == 0);
}

void SerialUart::restore(const State& s) {
  state_ = s;
  state_.ier &= 0x0F;  // validate: reserved bits read as zero
  state_.mcr &= 0x1F;
  state_.fcr &= 0xC9;
  state_.lsr |= kLsrThre | kLsrTemt;  // the transmitter is always empty in this model
  update_irq();
}

}  // namespace vmlab::devices
