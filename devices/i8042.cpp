// 8042 keyboard controller: ports, commands, output buffer arbitration, IRQ1/IRQ12, A20 and
// reset outputs (see i8042.h).
#include "devices/i8042.h"

namespace vmlab::devices {

I8042::I8042(machine::IrqLine* irq1, machine::IrqLine* irq12, std::function<void(bool)> set_a20,
             std::function<void()> request_reset)
    : irq1_(irq1), irq12_(irq12), set_a20_(std::move(set_a20)),
      request_reset_(std::move(request_reset)) {
  // New keyboard/mouse bytes reach the guest as soon as the output buffer is free.
  keyboard_.set_data_ready([this] { if (!state_.obf) { refill(); update_irqs(); } });
  mouse_.set_data_ready([this] { if (!state_.obf) { refill(); update_irqs(); } });
}

uint32_t I8042::read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    uint64_t o = offset + i;
    uint8_t b = o == 0 ? read_data() : o == 4 ? read_status() : 0xFF;  // 1-3: not ours
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void I8042::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i) {
    uint64_t o = offset + i;
    uint8_t b = uint8_t(value >> (8 * i));
    if (o == 0) write_data(b);
    else if (o == 4) write_command(b);
  }
}

uint32_t I8042::Port::read(uint64_t, unsigned width) {
  uint32_t v = command_ ? c_.read_status() : c_.read_data();
  return width >= 4 ? (v | 0xFFFFFF00u) : width == 2 ? (v | 0xFF00u) : v;  // no one else here
}

void I8042::Port::write(uint64_t, unsigned, uint32_t value) {
  if (command_) c_.write_command(uint8_t(value));
  else c_.write_data(uint8_t(value));
}

uint8_t I8042::read_status() const {
  return uint8_t((state_.status & ~(kStOutFull | kStInFull | kStAuxData)) |
                 (state_.obf ? kStOutFull : 0) | (state_.obf_aux ? kStAuxData : 0));
}

uint8_t I8042::read_data() {
  // An empty buffer reads back its last byte, as the chip's latch does.
  if (!state_.obf) return state_.obuf;
  uint8_t v = state_.obuf;
  state_.obf = false;
  state_.obf_aux = false;
  // The line drops with the read, then rises again for the next byte: an edge-triggered PIC
  // sees one interrupt per byte.
  update_irqs();
  refill();
  update_irqs();
  return v;
}

bool I8042::take_keyboard_byte(uint8_t& out) {
  while (keyboard_.has_data()) {
    uint8_t b = keyboard_.pop();
    if (!(command_byte() & kCbTranslate)) {
      out = b;
      return true;
    }
    if (b == 0xF0) {  // set-2 break prefix: folded into bit 7 of the next code
      state_.xlat_break = true;
      continue;
    }
    out = uint8_t(kSet2ToSet1[b] | (state_.xlat_break ? 0x80 : 0));
    state_.xlat_break = false;
    return true;
  }
  return false;
}

void I8042::refill() {
  if (state_.obf) return;
  uint8_t b = 0;
  bool aux = false;
  if (state_.reply_pending) {
    b = state_.reply;
    aux = state_.reply_aux;
    state_.reply_pending = false;
  } else if (!(command_byte() & kCbKbdDisable) && take_keyboard_byte(b)) {
    aux = false;
  } else if (!(command_byte() & kCbAuxDisable) && mouse_.has_data()) {
    b = mouse_.pop();
    aux = true;
  } else {
    return;
  }
  state_.obuf = b;
  state_.obf = true;
  state_.obf_aux = aux;
}

void I8042::update_irqs() {
  if (irq1_) irq1_->set(state_.obf && !state_.obf_aux && (command_byte() & kCbKbdInt));
  if (irq12_) irq12_->set(state_.obf && state_.obf_aux && (command_byte() & kCbAuxInt));
}

void I8042::controller_reply(uint8_t b, bool aux) {
  if (state_.reply_pending) ++state_.lost_replies;
  state_.reply = b;
  state_.reply_aux = aux;
  state_.reply_pending = true;
  refill();
  update_irqs();
}

void I8042::set_command_byte(uint8_t v) {
  state_.ram[0] = v;
  state_.status = uint8_t((state_.status & ~kStSystem) | (v & kCbSystem));
  refill();  // enabling a port may let its queued bytes through
  update_irqs();
}

void I8042::write_output_port(uint8_t v) {
  uint8_t old = state_.output_port;
  // Bit 0 low holds the CPU in reset; the machine resets everything (us included), so the
  // stored port keeps bit 0 high. Bits 4-5 are the OBF outputs, computed on read.
  state_.output_port = uint8_t((v | kOutReset) & ~(kOutKbdFull | kOutAuxFull));
  if (((old ^ v) & kOutA20) && set_a20_) set_a20_(v & kOutA20);
  if (!(v & kOutReset) && request_reset_) request_reset_();
}

void I8042::write_command(uint8_t v) {
  state_.status |= kStCommand;
  state_.pending_cmd = 0;  // a new command abandons one still waiting for its data byte
  if (v >= 0x20 && v <= 0x3F) { controller_reply(state_.ram[v & 0x1F]); return; }
  if ((v >= 0x60 && v <= 0x7F) || (v >= 0xD1 && v <= 0xD4)) { state_.pending_cmd = v; return; }
  if (v >= 0xF0) {
    // Pulse output port bits 0-3 that are 0 in the command; only bit 0 (reset) is wired.
    if (!(v & 0x01) && request_reset_) request_reset_();
    return;
  }
  switch (v) {
    case 0xA7: set_command_byte(command_byte() | kCbAuxDisable); return;
    case 0xA8: set_command_byte(command_byte() & ~kCbAuxDisable); return;
    case 0xA9: controller_reply(0x00); return;  // mouse clock/data lines OK
    case 0xAA:
      state_.status |= kStSystem;
      set_command_byte(command_byte() | kCbSystem);
      controller_reply(0x55);
      return;
    case 0xAB: controller_reply(0x00); return;  // keyboard clock/data lines OK
    case 0xAD: set_command_byte(command_byte() | kCbKbdDisable); return;
    case 0xAE: set_command_byte(command_byte() & ~kCbKbdDisable); return;
    case 0xC0: controller_reply(0x80); return;  // input port: bit 7 = keyboard not locked
    case 0xD0: {
      uint8_t p = uint8_t(state_.output_port & ~(kOutKbdFull | kOutAuxFull));
      if (state_.obf) p |= state_.obf_aux ? kOutAuxFull : kOutKbdFull;
      controller_reply(p);
      return;
    }
    case 0xDD: write_output_port(state_.output_port & ~kOutA20); return;
    case 0xDF: write_output_port(state_.output_port | kOutA20); return;
    case 0xE0: controller_reply(0x00); return;  // test inputs T0/T1 low
    default: ++state_.ignored_commands; return;
  }
}

void I8042::write_data(uint8_t v) {
  state_.status &= uint8_t(~kStCommand);
  uint8_t cmd = state_.pending_cmd;
  state_.pending_cmd = 0;
  if (cmd >= 0x60 && cmd <= 0x7F) {
    if (cmd == 0x60) set_command_byte(v);
    else state_.ram[cmd & 0x1F] = v;
    return;
  }
  switch (cmd) {
    case 0xD1: write_output_port(v); return;
    case 0xD2: controller_reply(v, false); return;
    case 0xD3: controller_reply(v, true); return;
    case 0xD4: mouse_.write(v); return;
    default: keyboard_.write(v); return;
  }
}

void I8042::reset() {
  state_ = State{};
  keyboard_.reset();
  mouse_.reset();
  update_irqs();
  if (set_a20_) set_a20_(state_.output_port & kOutA20);
}

I8042::State I8042::save() const {
  State s = state_;
  s.keyboard = keyboard_.save();
  s.mouse = mouse_.save();
  return s;
}

void I8042::restore(const State& s) {
  state_ = s;
  keyboard_.restore(s.keyboard);
  mouse_.restore(s.mouse);
  state_.keyboard = {};  // the live copies are in keyboard_ and mouse_
  state_.mouse = {};
  bool pending_ok = (s.pending_cmd >= 0x60 && s.pending_cmd <= 0x7F) ||
                    (s.pending_cmd >= 0xD1 && s.pending_cmd <= 0xD4);
  if (!pending_ok) state_.pending_cmd = 0;
  state_.status &= uint8_t(~(kStOutFull | kStInFull | kStAuxData));
  state_.status = uint8_t((state_.status & ~kStSystem) | (command_byte() & kCbSystem));
  state_.output_port = uint8_t((state_.output_port | kOutReset) & ~(kOutKbdFull | kOutAuxFull));
  if (!state_.obf) state_.obf_aux = false;
  refill();
  update_irqs();
  if (set_a20_) set_a20_(state_.output_port & kOutA20);
}

}  // namespace vmlab::devices
