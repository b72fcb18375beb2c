// Intel 8259A PIC and the PC/AT master/slave pair (see pic8259.h for what is modelled).
#include "devices/pic8259.h"

#include <cstdio>

namespace vmlab::devices {

namespace {
constexpr uint8_t bit(unsigned irq) { return uint8_t(1u << (irq & 7)); }
constexpr uint8_t kIcw4Upm = 0x01, kIcw4Aeoi = 0x02, kIcw4Sfnm = 0x10;
}  // namespace

uint32_t Pic8259::read(uint64_t offset, unsigned width) {
  // An 8-bit part: a wider read sees consecutive byte cycles.
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    uint8_t b;
    if (((offset + i) & 1) == 0) {
      if (state_.poll) {
        state_.poll = false;
        b = poll_read();
      } else {
        b = state_.read_isr ? state_.isr : state_.irr;
      }
    } else {
      b = state_.imr;  // IMR reads back on the data port in every mode
    }
    v |= uint32_t(b) << (8 * i);
  }
  return v;
}

void Pic8259::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i) {
    uint8_t b = uint8_t(value >> (8 * i));
    if (((offset + i) & 1) == 0) write_command(b); else write_data(b);
  }
  update_output();
}

unsigned Pic8259::rank(unsigned irq) const {
  return (irq - state_.lowest_priority - 1u) & 7u;
}

int Pic8259::highest(uint8_t bits) const {
  for (unsigned i = 0; i < 8; ++i) {
    unsigned irq = (state_.lowest_priority + 1u + i) & 7u;
    if (bits & bit(irq)) return int(irq);
  }
  return kNone;
}

int Pic8259::pending_irq() const {
  uint8_t req = state_.irr & uint8_t(~state_.imr);
  if (state_.special_mask) {
    // Special mask mode: an in-service level no longer holds off lower levels; only the mask
    // and the level's own ISR bit inhibit it (datasheet, "Special Mask Mode").
    return highest(req & uint8_t(~state_.isr));
  }
  int p = highest(req);
  if (p == kNone) return kNone;
  int s = highest(state_.isr);
  if (s == kNone || rank(unsigned(p)) < rank(unsigned(s))) return p;
  // Special fully nested mode: the master lets a slave's higher request through although that
  // slave's IR is already in service.
  if ((state_.icw4 & kIcw4Sfnm) && p == s && is_cascade_input(unsigned(p))) return p;
  return kNone;
}

int Pic8259::acknowledge_irq() {
  int irq = pending_irq();
  if (irq == kNone) return kNone;
  uint8_t b = bit(unsigned(irq));
  // An edge request is consumed by INTA; a level request stays as long as the line is high.
  if (!(level_mask() & b)) state_.irr &= uint8_t(~b);
  if (state_.icw4 & kIcw4Aeoi) {
    if (state_.rotate_on_aeoi) state_.lowest_priority = uint8_t(irq);
  } else {
    state_.isr |= b;
  }
  update_output();
  return irq;
}

void Pic8259::set_input(unsigned irq, bool level) {
  if (irq > 7) return;
  uint8_t b = bit(irq);
  bool was = state_.input & b;
  if (level) state_.input |= b; else state_.input &= uint8_t(~b);
  if (level_mask() & b) {
    if (level) state_.irr |= b; else state_.irr &= uint8_t(~b);
  } else if (level && !was) {
    state_.irr |= b;  // rising edge
  }
  update_output();
}

void Pic8259::apply_triggering() {
  uint8_t lm = level_mask();
  state_.irr = uint8_t((state_.irr & ~lm) | (state_.input & lm));
}

void Pic8259::write_command(uint8_t v) {
  if (v & 0x10) {
    // ICW1 starts initialization: mask, ISR and priority are cleared, the edge-sense latches
    // reset (a line already high must go low and high again), special mask mode is cleared
    // and the status read selects IRR.
    State& s = state_;
    s.irr = 0;
    s.isr = 0;
    s.imr = 0;
    s.icw3 = 0;
    s.icw4 = 0;
    s.lowest_priority = 7;
    s.rotate_on_aeoi = false;
    s.special_mask = false;
    s.read_isr = false;
    s.poll = false;
    s.icw4_needed = v & 0x01;
    s.single = v & 0x02;
    s.ltim = v & 0x08;
    s.init_step = 2;
    apply_triggering();
  } else if (v & 0x08) {
    write_ocw3(v);
  } else {
    write_ocw2(v);
  }
}

void Pic8259::write_data(uint8_t v) {
  State& s = state_;
  switch (s.init_step) {
    case 2:
      s.vector_base = v & 0xF8;  // 8086 mode: T7-T3; the low bits come from the IR number
      s.init_step = !s.single ? 3 : s.icw4_needed ? 4 : 0;
      break;
    case 3:
      s.icw3 = v;
      s.init_step = s.icw4_needed ? 4 : 0;
      break;
    case 4:
      s.icw4 = v & 0x1F;
      s.init_step = 0;
      break;
    default:
      s.imr = v;  // OCW1
      return;
  }
  if (s.init_step == 0 && !(s.icw4 & kIcw4Upm)) {
    if (unsupported_++ == 0)
      std::fprintf(stderr, "pic8259: MCS-80/85 mode (no ICW4 uPM bit) is not modelled; "
                           "vectors are delivered as in 8086 mode\n");
  }
}

void Pic8259::write_ocw2(uint8_t v) {
  unsigned level = v & 7u;
  switch (v >> 5) {
    case 0: state_.rotate_on_aeoi = false; break;      // clear rotate in auto-EOI mode
    case 1: eoi(highest(state_.isr), false); break;    // non-specific EOI
    case 2: break;                                     // no operation
    case 3: eoi(int(level), false); break;             // specific EOI
    case 4: state_.rotate_on_aeoi = true; break;       // set rotate in auto-EOI mode
    case 5: eoi(highest(state_.isr), true); break;     // rotate on non-specific EOI
    case 6: state_.lowest_priority = uint8_t(level); break;  // set priority
    default: eoi(int(level), true); break;             // rotate on specific EOI
  }
}

void Pic8259::eoi(int irq, bool rotate) {
  if (irq == kNone) return;
  state_.isr &= uint8_t(~bit(unsigned(irq)));
  if (rotate) state_.lowest_priority = uint8_t(irq);
}

void Pic8259::write_ocw3(uint8_t v) {
  if (v & 0x02) state_.read_isr = v & 0x01;           // RR: RIS selects the register
  if (v & 0x04) state_.poll = true;                   // P
  if (v & 0x40) state_.special_mask = v & 0x20;       // ESMM: SMM sets or clears
}

uint8_t Pic8259::poll_read() {
  // The poll word: bit 7 = a request was pending, bits 2:0 = its IR; reading it acts as INTA.
  int irq = acknowledge_irq();
  return irq == kNone ? 0 : uint8_t(0x80 | irq);
}

void Pic8259::update_output() {
  if (intr_) intr_->set(int_output());
}

void Pic8259::restore(const State& s) {
  state_ = s;
  state_.vector_base &= 0xF8;
  state_.lowest_priority &= 7;
  state_.icw4 &= 0x1F;
  if (state_.init_step != 2 && state_.init_step != 3 && state_.init_step != 4) state_.init_step = 0;
  apply_triggering();
  update_output();
}

// ---- the pair ----

PicPair::PicPair(machine::IrqLine* intr) : master_(intr), slave_(&cascade_), elcr_(*this) {
  cascade_.connect([this](bool level) { master_.set_input(2, level); });
}

void PicPair::set_irq(unsigned line, bool level) {
  if (line == 2 || line > 15) return;
  if (line < 8) master_.set_input(line, level); else slave_.set_input(line - 8, level);
}

uint8_t PicPair::acknowledge() {
  int m = master_.acknowledge_irq();
  if (m == Pic8259::kNone) return uint8_t(master_.vector_base() | 7);  // spurious IRQ7
  if (!master_.is_cascade_input(unsigned(m))) return uint8_t(master_.vector_base() | unsigned(m));
  // The master put IR2 in service and the slave supplies the vector. If the slave's request
  // vanished meanwhile it answers IR7: spurious IRQ15, with the master's IR2 still in service.
  int s = slave_.acknowledge_irq();
  uint8_t vec = uint8_t(slave_.vector_base() | (s == Pic8259::kNone ? 7u : unsigned(s)));
  // The slave's INT drops during INTA; if it still has a request, the master sees a new edge.
  if (slave_.int_output()) {
    master_.set_input(2, false);
    master_.set_input(2, true);
  }
  return vec;
}

void PicPair::sync_cascade() {
  bool level = slave_.int_output();
  cascade_.set(level);
  master_.set_input(2, level);
}

void PicPair::reset() {
  master_.reset();
  slave_.reset();
  sync_cascade();
}

void PicPair::restore(const State& s) {
  Pic8259::State m = s.master, sl = s.slave;
  m.elcr &= kElcrMasterWritable;
  sl.elcr &= kElcrSlaveWritable;
  slave_.restore(sl);
  master_.restore(m);
  sync_cascade();
}

uint32_t PicPair::Elcr::read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i) {
    Pic8259& chip = ((offset + i) & 1) ? pair_.slave_ : pair_.master_;
    v |= uint32_t(chip.elcr()) << (8 * i);
  }
  return v;
}

void PicPair::Elcr::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i) {
    uint8_t b = uint8_t(value >> (8 * i));
    if ((offset + i) & 1) pair_.slave_.set_elcr(b & kElcrSlaveWritable);
    else pair_.master_.set_elcr(b & kElcrMasterWritable);
  }
}

}  // namespace vmlab::devices
