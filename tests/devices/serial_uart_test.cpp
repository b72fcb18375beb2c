// 16550A UART: transmit path, LSR polling, DLAB latch, IIR/IRQ behaviour, loopback, reset and
// save/restore.
#include "devices/serial_uart.h"

#include <doctest/doctest.h>

#include <random>

using namespace vmlab::devices;
using vmlab::machine::IrqLine;

TEST_CASE("serial_uart_transmits_thr_writes_and_reports_thr_empty") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  CHECK((u.read(5, 1) & 0x60) == 0x60);  // THRE and TEMT: a polling driver can send
  for (char c : std::string("hi\n")) u.write(0, 1, uint8_t(c));
  CHECK(out.text == "hi\n");
  CHECK(u.bytes_transmitted() == 3);
  CHECK((u.read(5, 1) & 0x60) == 0x60);
}

TEST_CASE("serial_uart_dlab_selects_the_divisor_latch") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(3, 1, 0x80);  // DLAB
  u.write(0, 1, 0x01);  // DLL: 115200 baud
  u.write(1, 1, 0x00);  // DLM
  CHECK(out.text.empty());  // THR was not written
  CHECK(u.read(0, 1) == 0x01);
  u.write(3, 1, 0x03);  // 8N1, DLAB off
  CHECK(u.read(1, 1) == 0x00);  // IER untouched
  CHECK(u.save().dll == 1);
  CHECK(u.read(3, 1) == 0x03);
}

TEST_CASE("serial_uart_registers_have_reset_values") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  CHECK(u.read(1, 1) == 0x00);  // IER
  CHECK(u.read(2, 1) == 0x01);  // IIR: no interrupt pending
  CHECK(u.read(3, 1) == 0x00);  // LCR
  CHECK(u.read(4, 1) == 0x00);  // MCR
  CHECK(u.read(7, 1) == 0x00);  // SCR
  u.write(7, 1, 0x5A);
  CHECK(u.read(7, 1) == 0x5A);  // scratch register probe
  u.write(2, 1, 0x07);          // enable + reset FIFOs
  CHECK((u.read(2, 1) & 0xC0) == 0xC0);
}

TEST_CASE("serial_uart_thr_empty_interrupt_raises_irq_and_iir_read_acknowledges") {
  BufferBackend out;
  IrqLine irq;
  int edges = 0;
  irq.connect([&](bool level) { edges += level; });
  SerialUart u(out, &irq);
  u.write(1, 1, 0x02);  // enable THRE interrupt: THR is empty, so it fires now
  CHECK(irq.level());
  CHECK(u.read(2, 1) == 0x02);
  CHECK_FALSE(irq.level());  // acknowledged
  CHECK(u.read(2, 1) == 0x01);
  u.write(0, 1, 'x');
  CHECK(irq.level());
  CHECK(edges == 2);
  u.write(1, 1, 0x00);
  CHECK_FALSE(irq.level());
}

TEST_CASE("serial_uart_loopback_returns_sent_bytes_and_mirrors_modem_lines") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(4, 1, 0x1F);  // loop + OUT2 OUT1 RTS DTR
  CHECK(u.read(6, 1) == 0xF0);
  u.write(0, 1, 0xAE);
  CHECK(out.text.empty());
  CHECK((u.read(5, 1) & 0x01) == 0x01);
  CHECK(u.read(0, 1) == 0xAE);
  CHECK((u.read(5, 1) & 0x01) == 0);
  u.write(0, 1, 1);
  u.write(0, 1, 2);  // overrun
  CHECK((u.read(5, 1) & 0x02) == 0x02);
  CHECK((u.read(5, 1) & 0x02) == 0);  // cleared by the read
}

TEST_CASE("serial_uart_fresh_equals_reset_after_random_traffic") {
  BufferBackend out;
  IrqLine irq;
  SerialUart u(out, &irq), fresh(out, nullptr);
  std::mt19937 rng(1234);
  for (int i = 0; i < 2000; ++i) {
    unsigned reg = rng() & 7;
    if (rng() & 1) u.write(reg, 1, rng() & 0xFF);
    else (void)u.read(reg, 1);
    CHECK((u.save().lsr & 0x60) == 0x60);  // the transmitter never blocks
  }
  u.reset();
  CHECK(u.save() == fresh.save());
  CHECK_FALSE(irq.level());
}

TEST_CASE("serial_uart_save_restore_round_trips_and_validates") {
  BufferBackend out;
  SerialUart a(out, nullptr), b(out, nullptr);
  a.write(3, 1, 0x83);
  a.write(0, 1, 0x03);
  a.write(3, 1, 0x03);
  a.write(1, 1, 0x0F);
  a.write(7, 1, 0x42);
  b.restore(a.save());
  CHECK(b.save() == a.save());
  SerialUart::State bad = a.save();
  bad.ier = 0xFF;
  bad.lsr = 0;
  b.restore(bad);
  CHECK(b.save().ier == 0x0F);
  CHECK((b.save().lsr & 0x60) == 0x60);
}
