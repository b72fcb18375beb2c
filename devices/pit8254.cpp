// Intel 8254 PIT: ports, control word, latches, gates and the channel-0 timer (see pit8254.h).
#include "devices/pit8254.h"

#include <algorithm>

namespace vmlab::devices {

namespace {
constexpr uint64_t kNsPerSec = 1'000'000'000;
}

// Split at whole seconds so the products stay below 2^64 for any 64-bit time.
uint64_t Pit8254::ticks_of_ns(uint64_t ns) {
  return ns / kNsPerSec * kInputHz + ns % kNsPerSec * kInputHz / kNsPerSec;
}

uint64_t Pit8254::ns_of_tick(uint64_t tick) {
  uint64_t r = tick % kInputHz;
  return tick / kInputHz * kNsPerSec + (r * kNsPerSec + kInputHz - 1) / kInputHz;
}

Pit8254::Pit8254(machine::Clock& clock, machine::IrqLine* irq0) : clock_(clock), irq0_(irq0) {
  reset();
}

Pit8254::~Pit8254() {
  if (timer_) clock_.cancel(timer_);
}

void Pit8254::reset() {
  state_ = State{};
  uint64_t t = now_tick();
  for (auto& c : state_.ch) c.seg_tick = t;
  if (irq0_) irq0_->set(state_.ch[0].out);
  reschedule();
}

uint32_t Pit8254::read(uint64_t offset, unsigned width) {
  // An 8-bit part: wider reads see consecutive byte cycles in the upper lanes.
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i)
    v |= uint32_t(read_port(unsigned(offset + i) & 3)) << (8 * i);
  return v;
}

void Pit8254::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i)
    write_port(unsigned(offset + i) & 3, uint8_t(value >> (8 * i)));
}

// Brings a channel to the current tick. Channel 0 stops at each OUT edge on the way so IRQ0 sees
// every edge in order, however late the caller is.
void Pit8254::sync(unsigned ch) {
  Channel& c = state_.ch[ch];
  uint64_t now = now_tick();
  if (now <= c.seg_tick) return;
  if (ch == 0) {
    for (unsigned n = 0; n < kMaxCatchUpEdges; ++n) {
      uint64_t e = pit::next_edge(c);
      if (e == 0 || c.seg_tick + e > now) break;
      pit::advance(c, e);
      c.seg_tick += e;
      if (irq0_) irq0_->set(c.out);
    }
  }
  if (pit::running(c)) pit::advance(c, now - c.seg_tick);
  c.seg_tick = now;
  if (ch == 0 && irq0_) irq0_->set(c.out);
}

void Pit8254::reschedule() {
  if (timer_) clock_.cancel(timer_);
  timer_ = 0;
  const Channel& c = state_.ch[0];
  uint64_t e = pit::next_edge(c);
  if (e == 0) return;
  timer_ = clock_.schedule(ns_of_tick(c.seg_tick + e), [this] {
    timer_ = 0;
    sync(0);
    reschedule();
  });
}

bool Pit8254::out(unsigned channel) {
  if (channel > 2) return false;
  sync(channel);
  return state_.ch[channel].out;
}

uint8_t Pit8254::read_port(unsigned ch) {
  if (ch == 3) return 0xFF;  // the control register is write-only
  sync(ch);
  Channel& c = state_.ch[ch];
  if (c.status_latched) {  // read-back status comes before any latched count
    c.status_latched = false;
    return c.status;
  }
  uint16_t v = c.count_latched ? c.latch : pit::counter_value(c);
  uint8_t byte;
  switch (c.access) {
    case kAccessLsb: byte = uint8_t(v); c.count_latched = false; break;
    case kAccessMsb: byte = uint8_t(v >> 8); c.count_latched = false; break;
    default:
      byte = c.read_msb_next ? uint8_t(v >> 8) : uint8_t(v);
      if (c.read_msb_next) c.count_latched = false;  // the latch lets go after both bytes
      c.read_msb_next = !c.read_msb_next;
      break;
  }
  return byte;
}

void Pit8254::write_port(unsigned ch, uint8_t v) {
  if (ch == 3) { write_control(v); return; }
  sync(ch);
  Channel& c = state_.ch[ch];
  switch (c.access) {
    case kAccessLsb: c.cr = v; break;  // the other byte becomes zero
    case kAccessMsb: c.cr = uint16_t(v << 8); break;
    default:
      if (!c.write_msb_next) {
        c.cr = uint16_t((c.cr & 0xFF00) | v);
        c.write_msb_next = true;
        if (pit::effective_mode(c.mode_bits) == 0) c.out = false;  // and counting pauses
        if (ch == 0) { if (irq0_) irq0_->set(c.out); reschedule(); }
        return;
      }
      c.cr = uint16_t((c.cr & 0x00FF) | (v << 8));
      c.write_msb_next = false;
      break;
  }
  load_count(ch);
  if (ch == 0) { if (irq0_) irq0_->set(c.out); reschedule(); }
}

// A complete count was written (channel already synced).
void Pit8254::load_count(unsigned ch) {
  Channel& c = state_.ch[ch];
  c.null_count = true;
  c.has_count = true;
  uint32_t n = pit::count_distance(c);
  uint32_t m = pit::modulus(c);
  switch (pit::effective_mode(c.mode_bits)) {
    case 0:
      c.ce = n % m; c.out = false; c.loaded = true;
      break;
    case 4:
      c.ce = n % m; c.out = true; c.armed = true; c.loaded = true;
      break;
    case 1: case 5:
      break;  // waits for a gate trigger
    case 2:
      if (c.loaded) { c.reload_pending = true; break; }  // at the end of this period
      c.period = n; c.ce = n; c.out = n != 1; c.loaded = true;
      break;
    default:
      if (c.loaded) { c.reload_pending = true; break; }  // at the end of this half-cycle
      c.period = n; c.out = true; c.half_left = n < 2 ? 1 : pit::mode3_half(n, true);
      c.loaded = true;
      break;
  }
}

void Pit8254::write_control(uint8_t v) {
  unsigned sc = v >> 6;
  if (sc == 3) {  // read-back: bit 5 = !COUNT, bit 4 = !STATUS, bits 3..1 = counters 2..0
    for (unsigned ch = 0; ch < 3; ++ch) {
      if (!(v & (2u << ch))) continue;
      sync(ch);
      Channel& c = state_.ch[ch];
      if (!(v & 0x20) && !c.count_latched) {
        c.count_latched = true;
        c.latch = pit::counter_value(c);
      }
      if (!(v & 0x10) && !c.status_latched) {
        c.status_latched = true;
        c.status = uint8_t((c.out ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | (c.access << 4) |
                           (c.mode_bits << 1) | (c.bcd ? 1 : 0));
      }
    }
    return;
  }
  sync(sc);
  Channel& c = state_.ch[sc];
  unsigned rw = (v >> 4) & 3;
  if (rw == kAccessLatch) {  // counter latch: a second latch before the read is ignored
    if (!c.count_latched) {
      c.count_latched = true;
      c.latch = pit::counter_value(c);
    }
    return;
  }
  // A new mode stops the channel; the count is undefined until one is written (we show 0) and
  // OUT takes the mode's initial level.
  c.ce = 0;
  c.access = uint8_t(rw);
  c.mode_bits = uint8_t((v >> 1) & 7);
  c.bcd = v & 1;
  c.write_msb_next = c.read_msb_next = false;
  c.count_latched = c.status_latched = false;
  c.null_count = true;
  c.has_count = c.loaded = c.reload_pending = c.armed = false;
  c.out = pit::effective_mode(c.mode_bits) != 0;
  if (sc == 0) { if (irq0_) irq0_->set(c.out); reschedule(); }
}

void Pit8254::set_gate(unsigned channel, bool level) {
  if (channel > 2) return;
  sync(channel);
  Channel& c = state_.ch[channel];
  bool rising = level && !c.gate;
  bool falling = !level && c.gate;
  c.gate = level;
  uint8_t mode = pit::effective_mode(c.mode_bits);
  if (falling && (mode == 2 || mode == 3)) c.out = true;  // forced high while gated off
  if (rising && c.has_count) {
    uint32_t n = pit::count_distance(c);
    switch (mode) {
      case 1:
        c.ce = n % pit::modulus(c); c.out = false; c.loaded = true; c.null_count = false;
        break;
      case 5: c.ce = n % pit::modulus(c); c.out = true; c.armed = true; c.loaded = true;
              c.null_count = false; break;
      case 2: c.period = n; c.ce = n; c.out = n != 1; c.reload_pending = false; break;
      case 3: c.period = n; c.out = true; c.half_left = n < 2 ? 1 : pit::mode3_half(n, true);
              c.reload_pending = false; break;
      default: break;  // modes 0, 4 just resume
    }
  }
  if (channel == 0) { if (irq0_) irq0_->set(c.out); reschedule(); }
}

void Pit8254::restore(const State& s) {
  state_ = s;
  // Validate: guest-influenced fields out of range become a stopped, harmless channel.
  for (auto& c : state_.ch) {
    c.mode_bits &= 7;
    if (c.access == kAccessLatch || c.access > 3) c.access = kAccessWord;
    uint32_t m = pit::modulus(c);
    c.ce %= m;
    if (c.period == 0 || c.period > m) c.period = 2;
    uint8_t mode = pit::effective_mode(c.mode_bits);
    if (mode == 2 && c.ce == 0) c.ce = c.period;
    if (mode == 2 && c.ce > c.period) c.ce = c.period;
    if (mode == 3 && (c.half_left == 0 || c.half_left > pit::mode3_half(c.period, c.out)))
      c.half_left = c.period < 2 ? 1 : pit::mode3_half(c.period, c.out);
  }
  state_.ch[0].gate = state_.ch[1].gate = true;  // tied high on the board
  // Ticks are absolute virtual time, so the Clock must be restored first; a snapshot from the
  // future (or garbage) is pulled back to now rather than freezing the channel for years.
  uint64_t now = now_tick();
  for (auto& c : state_.ch) c.seg_tick = std::min(c.seg_tick, now);
  if (irq0_) irq0_->set(state_.ch[0].out);
  reschedule();  // a deadline already in the past fires at the next run_due()
}

}  // namespace vmlab::devices
