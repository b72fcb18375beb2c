// 8254 counting element math: how one channel's count and OUT pin evolve over k input clocks,
// per mode (Intel 8254 datasheet, "Mode definitions"). Pure functions of Pit8254::Channel so the
// device can advance lazily, in one step, however much virtual time has passed.
#include "devices/pit8254.h"

namespace vmlab::devices::pit {

uint32_t modulus(const Pit8254::Channel& c) { return c.bcd ? 10000u : 65536u; }

uint32_t count_distance(const Pit8254::Channel& c) {
  uint32_t v = c.cr;
  if (c.bcd) {
    v = ((v >> 12) & 0xF) * 1000 + ((v >> 8) & 0xF) * 100 + ((v >> 4) & 0xF) * 10 + (v & 0xF);
    v %= 10000;  // invalid BCD digits: modulo the decade range
  }
  return v == 0 ? modulus(c) : v;
}

uint8_t effective_mode(uint8_t mode_bits) {
  mode_bits &= 7;
  return mode_bits >= 6 ? uint8_t(mode_bits - 4) : mode_bits;
}

bool running(const Pit8254::Channel& c) {
  if (!c.loaded) return false;
  switch (effective_mode(c.mode_bits)) {
    case 0: return c.gate && !c.write_msb_next;  // the first byte of a word count stops it
    case 1: case 5: return true;                 // gate only triggers
    default: return c.gate;                      // modes 2, 3, 4: gate low suspends
  }
}

uint32_t mode3_half(uint32_t n, bool high) { return high ? (n + 1) / 2 : n / 2; }

// Clocks from a down-counter value to its terminal count (0 means a full wrap).
static uint64_t to_terminal(uint32_t ce, uint32_t m) { return ce == 0 ? m : ce; }

static uint32_t count_down(uint32_t ce, uint64_t k, uint32_t m) {
  uint32_t step = uint32_t(k % m);
  return (ce + m - step) % m;
}

// Modes 2/3: a count written while counting becomes the divisor at the reload point.
static void take_pending_count(Pit8254::Channel& c) {
  if (!c.reload_pending) return;
  c.period = count_distance(c);
  c.reload_pending = false;
  c.null_count = false;
}

void advance(Pit8254::Channel& c, uint64_t k) {
  if (k == 0) return;
  uint32_t m = modulus(c);
  uint8_t mode = effective_mode(c.mode_bits);
  // A count written to a running channel is in the element one clock later (modes 1/5 and a
  // pending 2/3 reload clear this when they actually load it).
  if (!c.reload_pending && mode != 1 && mode != 5) c.null_count = false;
  switch (mode) {
    case 0: case 1:
      // OUT (low since the count was loaded / triggered) rises at terminal count and stays.
      if (!c.out && k >= to_terminal(c.ce, m)) c.out = true;
      c.ce = count_down(c.ce, k, m);
      return;
    case 4: case 5:
      if (!c.out) c.out = true;  // the terminal-count strobe lasts one clock
      if (c.armed) {
        uint64_t t = to_terminal(c.ce, m);
        if (k >= t) { c.armed = false; c.out = (k != t); }
      }
      c.ce = count_down(c.ce, k, m);
      return;
    case 2:
      // ce runs period..1; OUT is low while ce == 1, and the next clock reloads.
      if (k >= c.ce) {
        k -= c.ce;
        take_pending_count(c);
        c.ce = c.period;
        k %= c.period;
        c.ce = uint32_t(c.period - k);
      } else {
        c.ce = uint32_t(c.ce - k);
      }
      c.out = c.ce != 1;
      return;
    default:  // 3: square wave, high for ceil(N/2) clocks, low for floor(N/2)
      while (k > 0) {
        if (c.period < 2) { c.out = true; c.half_left = 1; return; }  // count 1: held high
        if (k < c.half_left) { c.half_left = uint32_t(c.half_left - k); return; }
        k -= c.half_left;
        c.out = !c.out;
        take_pending_count(c);
        if (c.period < 2) continue;
        c.half_left = mode3_half(c.period, c.out);
        k %= c.period;  // whole periods change nothing (high + low halves = N)
      }
      return;
  }
}

uint64_t next_edge(const Pit8254::Channel& c) {
  if (!running(c)) return 0;
  uint32_t m = modulus(c);
  switch (effective_mode(c.mode_bits)) {
    case 0: case 1: return c.out ? 0 : to_terminal(c.ce, m);
    case 4: case 5:
      if (!c.out) return 1;
      return c.armed ? to_terminal(c.ce, m) : 0;
    case 2:
      if (c.ce > 1) return c.ce - 1;
      // ce == 1 (OUT low): the reload raises OUT unless the divisor stays 1.
      if (c.reload_pending ? count_distance(c) > 1 : c.period > 1) return 1;
      return 0;
    default:
      if (c.period < 2) return 0;
      return c.half_left;
  }
}

static uint16_t to_bcd(uint32_t v) {
  return uint16_t((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

uint16_t counter_value(const Pit8254::Channel& c) {
  uint32_t m = modulus(c);
  uint32_t v = c.ce % m;
  if (c.loaded && effective_mode(c.mode_bits) == 3) {
    // The element counts down by two; an odd N starts its high half at N-1 and reaches 0.
    bool odd_high = (c.period & 1) && c.out;
    v = (2 * c.half_left - (odd_high ? 2 : 0)) % m;
  }
  return c.bcd ? to_bcd(v) : uint16_t(v);
}

}  // namespace vmlab::devices::pit
