// 16550A UART: transmit path, LSR polling, DLAB latch, receive FIFO and trigger levels, the four
// interrupt sources and their priority, character timeout in virtual time, overrun, loopback and
// MSR deltas, OUT2 gating, reset and save/restore, two instances, random register traffic.
#include "devices/serial_uart.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

using namespace vmlab::devices;
using vmlab::machine::Clock;
using vmlab::machine::IrqLine;

namespace {
constexpr unsigned RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6,
                   SCR = 7;
void advance(Clock& c, uint64_t ns) {
  c.idle_until(c.now_ns() + ns);
  c.run_due();
}
}  // namespace

TEST_CASE("serial_uart_transmits_thr_writes_and_reports_thr_empty") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  CHECK((u.read(LSR, 1) & 0x60) == 0x60);  // THRE and TEMT: a polling driver can send
  for (char c : std::string("hi\n")) u.write(0, 1, uint8_t(c));
  CHECK(out.text == "hi\n");
  CHECK(u.bytes_transmitted() == 3);
  CHECK(*u.tx_counter() == 3);
  CHECK((u.read(LSR, 1) & 0x61) == 0x60);  // nothing received
}

TEST_CASE("serial_uart_dlab_selects_the_divisor_latch") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(LCR, 1, 0x80);  // DLAB
  u.write(0, 1, 0x01);    // DLL: 115200 baud
  u.write(1, 1, 0x00);    // DLM
  CHECK(out.text.empty());  // THR was not written
  CHECK(u.read(0, 1) == 0x01);
  u.write(LCR, 1, 0x03);  // 8N1, DLAB off
  CHECK(u.read(IER, 1) == 0x00);  // IER untouched
  CHECK(u.save().dll == 1);
  CHECK(u.read(LCR, 1) == 0x03);
  // 8N1 = 10 bits at 115200 baud: 86805 ns per character.
  CHECK(u.char_time_ns() == 86805);
  u.write(LCR, 1, 0x80);
  u.write(0, 1, 0x00);  // divisor 0 counts as 65536, never a division by zero
  CHECK(u.char_time_ns() > 0);
}

TEST_CASE("serial_uart_registers_have_reset_values") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  CHECK(u.read(IER, 1) == 0x00);
  CHECK(u.read(IIR, 1) == 0x01);  // no interrupt pending, FIFOs off
  CHECK(u.read(LCR, 1) == 0x00);
  CHECK(u.read(MCR, 1) == 0x00);
  CHECK(u.read(LSR, 1) == 0x60);
  CHECK(u.read(MSR, 1) == 0xB0);  // a terminal is attached: DCD, DSR, CTS
  CHECK(u.read(SCR, 1) == 0x00);
  u.write(SCR, 1, 0x5A);
  CHECK(u.read(SCR, 1) == 0x5A);  // scratch register probe
  u.write(FCR, 1, 0x07);          // enable + reset FIFOs
  CHECK((u.read(IIR, 1) & 0xC0) == 0xC0);  // the 16550A signature drivers test
}

TEST_CASE("serial_uart_thre_interrupt_fires_after_ier_write_and_iir_read_acknowledges_it") {
  BufferBackend out;
  IrqLine irq;
  int edges = 0;
  irq.connect([&](bool level) { edges += level; });
  SerialUart u(out, &irq);
  u.write(MCR, 1, 0x08);  // OUT2: the PC's interrupt gate
  u.write(IER, 1, 0x02);  // THR is empty, so enabling the interrupt fires it now
  CHECK(irq.level());
  CHECK(u.read(IIR, 1) == 0x02);
  CHECK_FALSE(irq.level());  // acknowledged by the IIR read
  CHECK(u.read(IIR, 1) == 0x01);
  u.write(0, 1, 'x');  // THR becomes empty again at once
  CHECK(irq.level());
  CHECK(edges == 2);
  u.write(IER, 1, 0x00);
  CHECK_FALSE(irq.level());
  u.write(IER, 1, 0x02);  // re-enabling re-arms it
  CHECK(irq.level());
  u.write(0, 1, 'y');  // writing THR also clears then re-raises: still pending
  CHECK(u.read(IIR, 1) == 0x02);
}

TEST_CASE("serial_uart_irq_line_is_gated_by_out2_and_forced_off_in_loopback") {
  BufferBackend out;
  IrqLine irq;
  SerialUart u(out, &irq);
  u.write(IER, 1, 0x02);
  CHECK(u.interrupt_pending());
  CHECK_FALSE(irq.level());  // OUT2 clear: the board's gate is closed
  u.write(MCR, 1, 0x08);
  CHECK(irq.level());
  u.write(MCR, 1, 0x18);     // loopback forces OUT2 inactive outside the chip
  CHECK_FALSE(irq.level());
  CHECK(u.interrupt_pending());
  u.write(MCR, 1, 0x00);
  CHECK_FALSE(irq.level());
  u.set_out2_gates_irq(false);  // QEMU's behaviour
  CHECK(irq.level());
}

TEST_CASE("serial_uart_interrupt_sources_are_reported_in_priority_order") {
  BufferBackend out;
  IrqLine irq;
  SerialUart u(out, &irq);
  u.write(FCR, 1, 0x01);  // FIFOs on, trigger 1
  u.write(MCR, 1, 0x08);
  u.write(IER, 1, 0x0F);            // all four sources; THRE fires now
  u.receive_byte('a', SerialUart::kLsrParity);  // line status + received data
  u.set_modem_inputs(0x30);         // DCD drops: modem status
  CHECK(irq.level());
  CHECK(u.read(IIR, 1) == 0xC6);    // receiver line status first
  CHECK(u.read(IIR, 1) == 0xC6);    // ... until LSR is read
  CHECK((u.read(LSR, 1) & 0x85) == 0x85);  // DR, PE, FIFO error
  CHECK(u.read(IIR, 1) == 0xC4);    // then received data
  CHECK(u.read(RBR, 1) == 'a');
  CHECK(u.read(IIR, 1) == 0xC2);    // then THR empty, acknowledged by this read
  CHECK(u.read(IIR, 1) == 0xC0);    // then modem status
  CHECK(irq.level());
  CHECK(u.read(MSR, 1) == 0x38);    // DSR CTS, DDCD
  CHECK(u.read(MSR, 1) == 0x30);    // deltas cleared by the read
  CHECK(u.read(IIR, 1) == 0xC1);
  CHECK_FALSE(irq.level());
}

TEST_CASE("serial_uart_rx_fifo_trigger_levels_1_4_8_14_raise_received_data") {
  const uint8_t fcr[4] = {0x01, 0x41, 0x81, 0xC1};
  const unsigned level[4] = {1, 4, 8, 14};
  for (int i = 0; i < 4; ++i) {
    CAPTURE(level[i]);
    BufferBackend out;
    IrqLine irq;
    Clock clock(Clock::Mode::Deterministic);
    SerialUart u(out, &irq, &clock);
    u.write(FCR, 1, fcr[i]);
    u.write(MCR, 1, 0x08);
    u.write(IER, 1, 0x01);
    for (unsigned n = 0; n + 1 < level[i]; ++n) u.receive_byte(uint8_t('0' + n));
    CHECK(u.read(IIR, 1) == 0xC1);
    CHECK_FALSE(irq.level());
    u.receive_byte('!');
    CHECK(u.read(IIR, 1) == 0xC4);
    CHECK(irq.level());
    CHECK(u.read(RBR, 1) == (level[i] > 1 ? '0' : '!'));  // first in, first out
    if (level[i] > 1) CHECK(u.read(IIR, 1) == 0xC1);  // dropped below the trigger again
    CHECK_FALSE(irq.level());
  }
}

TEST_CASE("serial_uart_overrun_in_fifo_mode_keeps_the_fifo_and_drops_the_new_byte") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(FCR, 1, 0xC7);
  for (unsigned n = 0; n < 16; ++n) CHECK(u.receive_byte(uint8_t(n)));
  CHECK_FALSE(u.can_receive());
  CHECK_FALSE(u.receive_byte(0xEE));
  CHECK((u.read(LSR, 1) & 0x03) == 0x03);  // DR, OE
  CHECK((u.read(LSR, 1) & 0x03) == 0x01);  // OE cleared by the read
  for (unsigned n = 0; n < 16; ++n) CHECK(u.read(RBR, 1) == n);
  CHECK((u.read(LSR, 1) & 0x01) == 0);
}

TEST_CASE("serial_uart_overrun_in_16450_mode_overwrites_rbr") {
  BufferBackend out;
  IrqLine irq;
  SerialUart u(out, &irq);
  u.write(MCR, 1, 0x08);
  u.write(IER, 1, 0x05);  // received data + line status
  CHECK(u.receive_byte('a'));
  CHECK(u.read(IIR, 1) == 0x04);
  CHECK_FALSE(u.receive_byte('b'));
  CHECK(u.read(IIR, 1) == 0x06);  // overrun is a line status interrupt
  CHECK(u.read(LSR, 1) == 0x63);
  CHECK(u.read(RBR, 1) == 'b');
  CHECK(u.read(IIR, 1) == 0x01);
  CHECK(u.read(RBR, 1) == 'b');  // an empty RBR still reads the last character
}

TEST_CASE("serial_uart_character_timeout_fires_after_four_character_times_of_silence") {
  BufferBackend out;
  IrqLine irq;
  Clock clock(Clock::Mode::Deterministic);
  SerialUart u(out, &irq, &clock);
  u.write(LCR, 1, 0x83);
  u.write(0, 1, 0x01);  // 115200 8N1
  u.write(LCR, 1, 0x03);
  u.write(FCR, 1, 0x81);  // trigger 8
  u.write(MCR, 1, 0x08);
  u.write(IER, 1, 0x01);
  const uint64_t t4 = 4 * u.char_time_ns();
  u.receive_byte('a');
  u.receive_byte('b');
  u.receive_byte('c');
  advance(clock, t4 - 1);
  CHECK(u.read(IIR, 1) == 0xC1);
  CHECK_FALSE(irq.level());
  advance(clock, 1);
  CHECK(u.read(IIR, 1) == 0xCC);
  CHECK(irq.level());
  CHECK(u.read(RBR, 1) == 'a');  // a read clears the timeout and restarts the measurement
  CHECK(u.read(IIR, 1) == 0xC1);
  CHECK_FALSE(irq.level());
  advance(clock, t4 / 2);
  u.receive_byte('d');  // new data restarts it too
  advance(clock, t4 / 2 + 1);
  CHECK(u.read(IIR, 1) == 0xC1);
  advance(clock, t4);
  CHECK(u.read(IIR, 1) == 0xCC);
  CHECK(u.read(RBR, 1) == 'b');
  CHECK(u.read(RBR, 1) == 'c');
  CHECK(u.read(RBR, 1) == 'd');
  advance(clock, 10 * t4);  // empty FIFO: no timeout
  CHECK(u.read(IIR, 1) == 0xC1);
  CHECK(clock.pending() == 0);
}

TEST_CASE("serial_uart_without_a_clock_reports_data_below_trigger_as_timeout_at_once") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(FCR, 1, 0xC1);  // trigger 14
  u.write(IER, 1, 0x01);
  u.receive_byte('z');
  CHECK(u.read(IIR, 1) == 0xCC);
  CHECK(u.read(RBR, 1) == 'z');
  CHECK(u.read(IIR, 1) == 0xC1);
}

TEST_CASE("serial_uart_fcr_clear_bits_empty_the_fifos_and_disabling_fifos_clears_too") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(FCR, 1, 0x01);
  u.receive_byte('a');
  u.receive_byte('b');
  u.write(FCR, 1, 0x05);  // clear TX only: the data stays
  CHECK((u.read(LSR, 1) & 0x01) == 0x01);
  u.write(FCR, 1, 0x03);  // clear RX
  CHECK((u.read(LSR, 1) & 0x01) == 0);
  CHECK(u.read(IIR, 1) == 0xC1);  // bits 1-2 self-clear; FIFOs still on
  u.receive_byte('c');
  u.write(FCR, 1, 0x00);  // FIFOs off: cleared
  CHECK(u.read(IIR, 1) == 0x01);
  CHECK((u.read(LSR, 1) & 0x01) == 0);
  u.write(IER, 1, 0x02);
  CHECK(u.read(IIR, 1) == 0x02);
  u.write(FCR, 1, 0x07);  // clearing the transmitter re-arms THR empty
  CHECK(u.read(IIR, 1) == 0xC2);
}

TEST_CASE("serial_uart_loopback_echoes_bytes_and_maps_mcr_onto_msr") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  (void)u.read(MSR, 1);
  u.write(MCR, 1, 0x10);  // loop, all outputs off: MSR inputs all drop
  CHECK(u.read(MSR, 1) == 0x0B);  // DCTS DDSR DDCD (no TERI: RI did not fall)
  const uint8_t mcr_bit[4] = {0x01, 0x02, 0x04, 0x08};  // DTR RTS OUT1 OUT2
  const uint8_t msr_bit[4] = {0x20, 0x10, 0x40, 0x80};  // DSR CTS RI DCD
  for (int i = 0; i < 4; ++i) {
    u.write(MCR, 1, uint8_t(0x10 | mcr_bit[i]));
    CHECK((u.read(MSR, 1) & 0xF0) == msr_bit[i]);
    u.write(MCR, 1, 0x10);
  }
  u.write(MCR, 1, 0x14);
  (void)u.read(MSR, 1);
  u.write(MCR, 1, 0x10);  // RI trailing edge
  CHECK(u.read(MSR, 1) == 0x04);
  u.write(MCR, 1, 0x1F);
  CHECK((u.read(MSR, 1) & 0xF0) == 0xF0);
  u.write(0, 1, 0xAE);
  CHECK(out.text.empty());  // nothing reaches the backend
  CHECK(u.bytes_transmitted() == 0);
  CHECK((u.read(LSR, 1) & 0x01) == 0x01);
  CHECK(u.read(RBR, 1) == 0xAE);
  CHECK((u.read(LSR, 1) & 0x01) == 0);
  CHECK(u.receive_byte('h'));  // host input is cut off in loopback
  CHECK((u.read(LSR, 1) & 0x01) == 0);
  u.write(0, 1, 1);
  u.write(0, 1, 2);  // overrun (16450 mode)
  CHECK((u.read(LSR, 1) & 0x02) == 0x02);
  CHECK((u.read(LSR, 1) & 0x02) == 0);
  CHECK(u.read(RBR, 1) == 2);
}

TEST_CASE("serial_uart_modem_status_interrupt_follows_external_lines") {
  BufferBackend out;
  IrqLine irq;
  SerialUart u(out, &irq);
  u.write(MCR, 1, 0x0B);  // DTR RTS OUT2, as Linux sets them
  u.write(IER, 1, 0x08);
  CHECK_FALSE(irq.level());
  u.set_modem_inputs(0xF0);  // RI rises: no TERI
  CHECK(u.read(IIR, 1) == 0x01);
  u.set_modem_inputs(0xB0);  // RI falls
  CHECK(irq.level());
  CHECK(u.read(IIR, 1) == 0x00);
  CHECK(u.read(MSR, 1) == 0xB4);
  CHECK_FALSE(irq.level());
}

TEST_CASE("serial_uart_line_status_errors_show_when_the_byte_reaches_the_top") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(FCR, 1, 0x01);
  u.receive_byte('a');
  u.receive_byte('b', SerialUart::kLsrFraming);
  CHECK(u.read(LSR, 1) == 0xE1);  // FIFO error (b waits below), but FE not yet
  CHECK(u.read(RBR, 1) == 'a');
  CHECK(u.read(LSR, 1) == 0xE9);  // b on top: FE
  CHECK(u.read(LSR, 1) == 0x61);  // read clears it; no other error in the FIFO
  u.receive_byte(0, SerialUart::kLsrBreak);
  CHECK(u.read(RBR, 1) == 'b');
  CHECK(u.read(LSR, 1) == 0xF1);  // the break byte on top
}

TEST_CASE("serial_uart_fresh_equals_reset_after_seeded_random_traffic") {
  BufferBackend out;
  IrqLine irq;
  Clock clock(Clock::Mode::Deterministic);
  SerialUart u(out, &irq, &clock), fresh(out, nullptr);
  std::mt19937 rng(1234);
  for (int i = 0; i < 20000; ++i) {
    unsigned reg = rng() & 7;
    switch (rng() % 6) {
      case 0: case 1: u.write(reg, 1, rng() & 0xFF); break;
      case 2: case 3: (void)u.read(reg, 1 << (rng() % 3)); break;
      case 4: u.receive_byte(uint8_t(rng()), uint8_t(rng() & 0x1C)); break;
      default: advance(clock, rng() % 5'000'000); break;
    }
    SerialUart::State s = u.save();
    REQUIRE(s.rx_count <= 16);
    REQUIRE(s.rx_head < 16);
    CHECK((s.fcr & 1 ? 16u : 1u) >= s.rx_count);
    uint8_t id = uint8_t(u.interrupt_pending() ? 0 : 1);
    CHECK(irq.level() == (id == 0 && (s.mcr & 0x18) == 0x08));
  }
  u.reset();
  CHECK(u.save() == fresh.save());
  CHECK(clock.pending() == 0);
  CHECK_FALSE(irq.level());
}

TEST_CASE("serial_uart_save_restore_round_trips_fifo_contents_and_the_timeout_timer") {
  BufferBackend out;
  IrqLine irq_a, irq_b;
  Clock clock(Clock::Mode::Deterministic);
  SerialUart a(out, &irq_a, &clock), b(out, &irq_b, &clock);
  a.write(FCR, 1, 0x81);
  a.write(MCR, 1, 0x08);
  a.write(IER, 1, 0x01);
  a.write(SCR, 1, 0x42);
  for (char c : std::string("hello")) a.receive_byte(uint8_t(c));
  (void)a.read(RBR, 1);
  b.restore(a.save());
  CHECK(b.save() == a.save());
  advance(clock, 4 * a.char_time_ns());
  CHECK(b.read(IIR, 1) == 0xCC);  // the restored timer fired in b as well
  CHECK(irq_b.level());
  std::string got;
  while (b.read(LSR, 1) & 1) got += char(b.read(RBR, 1));
  CHECK(got == "ello");
  CHECK(a.read(RBR, 1) == 'e');  // a is independent
}

TEST_CASE("serial_uart_restore_validates_out_of_range_state") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  SerialUart::State bad;
  bad.ier = 0xFF;
  bad.mcr = 0xFF;
  bad.rx_head = 200;
  bad.rx_count = 99;  // FIFOs off: at most one byte
  bad.lsr_errors = 0xFF;
  bad.msr_lines = 0xFF;
  bad.timeout_pending = true;
  bad.timeout_deadline_ns = 5;
  u.restore(bad);
  SerialUart::State s = u.save();
  CHECK(s.ier == 0x0F);
  CHECK(s.mcr == 0x1F);
  CHECK(s.rx_head < 16);
  CHECK(s.rx_count == 1);
  CHECK(s.lsr_errors == 0x1E);
  CHECK(s.msr_lines == 0xF0);
  CHECK_FALSE(s.timeout_pending);
  CHECK(s.timeout_deadline_ns == 0);
  CHECK((u.read(LSR, 1) & 0x61) == 0x61);
}

TEST_CASE("serial_uart_com1_and_com2_work_side_by_side") {
  BufferBackend out1, out2;
  IrqLine irq4, irq3;
  SerialUart com1(out1, &irq4), com2(out2, &irq3);
  com1.write(MCR, 1, 0x08);
  com2.write(MCR, 1, 0x08);
  com2.write(IER, 1, 0x01);
  com1.write(0, 1, 'A');
  com2.write(0, 1, 'B');
  com2.receive_byte('r');
  CHECK(out1.text == "A");
  CHECK(out2.text == "B");
  CHECK(irq3.level());
  CHECK_FALSE(irq4.level());
  CHECK((com1.read(LSR, 1) & 1) == 0);
  CHECK(com2.read(RBR, 1) == 'r');
  CHECK_FALSE(irq3.level());
}

TEST_CASE("serial_uart_passes_the_linux_8250_probe_and_thre_bug_test") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  u.write(IER, 1, 0x00);
  CHECK(u.read(IER, 1) == 0x00);
  u.write(IER, 1, 0x0F);
  CHECK(u.read(IER, 1) == 0x0F);  // autoconfig: IER holds its low nibble
  u.write(IER, 1, 0x00);
  u.write(FCR, 1, 0x21);  // ENABLE | 64-byte (16750 probe): bit 5 must not stick
  CHECK((u.read(IIR, 1) & 0xE0) == 0xC0);  // a 16550A, not a 16750
  u.write(LCR, 1, 0xBF);  // EFR probe window: offset 2 is still FCR on a 16550A
  CHECK(u.read(LCR, 1) == 0xBF);
  u.write(LCR, 1, 0x03);
  // serial8250_do_startup's UART_BUG_THRE check: IER=THRI, read IIR, IER=0, IER=THRI, read IIR.
  u.write(IER, 1, 0x02);
  CHECK((u.read(IIR, 1) & 0x0F) == 0x02);
  u.write(IER, 1, 0x00);
  u.write(IER, 1, 0x02);
  CHECK((u.read(IIR, 1) & 0x01) == 0);  // no "NO_INT": the chip does not have the THRE bug
  u.write(IER, 1, 0x00);
}

TEST_CASE("serial_uart_rewriting_the_trigger_level_does_not_postpone_the_timeout") {
  BufferBackend out;
  Clock clock(Clock::Mode::Deterministic);
  SerialUart u(out, nullptr, &clock);
  u.write(FCR, 1, 0xC1);
  u.write(IER, 1, 0x01);
  u.receive_byte('q');
  const uint64_t t4 = 4 * u.char_time_ns();
  advance(clock, t4 / 2);
  u.write(FCR, 1, 0x81);  // new trigger level, no clear
  advance(clock, t4 / 2);
  CHECK(u.read(IIR, 1) == 0xCC);
  CHECK((u.read(LSR, 1) & 1) == 1);  // the data survived the FCR write
}

TEST_CASE("serial_uart_host_input_through_a_back_end_fills_the_fifo_and_never_overruns") {
  BufferBackend line;  // the host side: bytes pushed into it go to the UART
  IrqLine irq;
  Clock clock(Clock::Mode::Deterministic);
  SerialUart u(line, &irq, &clock);
  line.attach([&](uint8_t b) { u.receive_byte(b); }, [&] { return u.can_receive(); });
  u.write(FCR, 1, 0xC1);  // FIFO on, trigger level 14
  u.write(MCR, 1, 0x08);  // OUT2: the IRQ reaches the PIC
  u.write(IER, 1, 0x01);
  std::string sent = "abcdefghijklmnopqrst";  // 20 bytes: more than the FIFO holds
  line.push_input(reinterpret_cast<const uint8_t*>(sent.data()), sent.size());
  CHECK(line.pending_bytes() == 4);  // held back in the back end, not overrun
  CHECK(u.read(IIR, 1) == 0xC4);    // received data: the trigger level is reached
  CHECK(irq.level());
  std::string got;
  for (int i = 0; i < 16; ++i) got += char(u.read(RBR, 1));
  CHECK((u.read(LSR, 1) & SerialUart::kLsrOverrun) == 0);
  CHECK_FALSE(irq.level());
  line.poll_input();  // the run loop's next poll delivers the rest
  CHECK(line.pending_bytes() == 0);
  CHECK(u.read(IIR, 1) == 0xC1);  // 4 bytes, below the trigger: no interrupt yet ...
  advance(clock, 4 * u.char_time_ns());
  CHECK(u.read(IIR, 1) == 0xCC);  // ... until the character timeout
  while (u.read(LSR, 1) & SerialUart::kLsrDataReady) got += char(u.read(RBR, 1));
  CHECK(got == sent);
}

TEST_CASE("serial_uart_host_input_in_16450_mode_comes_one_byte_per_rbr_read") {
  BufferBackend line;
  IrqLine irq;
  SerialUart u(line, &irq);
  line.attach([&](uint8_t b) { u.receive_byte(b); }, [&] { return u.can_receive(); });
  u.write(MCR, 1, 0x08);
  u.write(IER, 1, 0x01);
  line.push_input(reinterpret_cast<const uint8_t*>("xyz"), 3);
  CHECK(line.pending_bytes() == 2);
  CHECK(u.read(IIR, 1) == 0x04);
  CHECK(u.read(RBR, 1) == 'x');
  CHECK(u.read(IIR, 1) == 0x01);
  line.poll_input();
  CHECK(u.read(RBR, 1) == 'y');
  line.poll_input();
  CHECK(u.read(RBR, 1) == 'z');
  CHECK((u.read(LSR, 1) & (SerialUart::kLsrOverrun | SerialUart::kLsrDataReady)) == 0);
}

TEST_CASE("serial_uart_rx_interrupt_enabled_needs_ier_rda_out2_and_no_loopback") {
  BufferBackend out;
  SerialUart u(out, nullptr);
  CHECK_FALSE(u.rx_interrupt_enabled());
  u.write(IER, 1, 0x01);
  CHECK_FALSE(u.rx_interrupt_enabled());  // OUT2 gate closed on a PC board
  u.write(MCR, 1, 0x08);
  CHECK(u.rx_interrupt_enabled());
  u.write(MCR, 1, 0x18);  // loopback: SIN is cut off
  CHECK_FALSE(u.rx_interrupt_enabled());
  u.write(MCR, 1, 0x00);
  u.set_out2_gates_irq(false);  // QEMU-style wiring: no gate
  CHECK(u.rx_interrupt_enabled());
  u.write(IER, 1, 0x02);
  CHECK_FALSE(u.rx_interrupt_enabled());
}
