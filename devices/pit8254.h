// Intel 8254 programmable interval timer (ports 0x40-0x43; channel 0 drives IRQ0, channel 1 is
// the old DRAM-refresh timer, channel 2 feeds the speaker and is gated by port 0x61 bit 0).
//
//   Pit8254 pit(clock, &irq0);
//   io.add(0x40, 4, "pit", pit);
//   Port61 port61(clock, pit);            // devices/port61.h: channel 2 gate and OUT readback
//
// Register map (offset: read / write), Intel 8254 datasheet:
//   0-2  counter 0-2 (latched or live count, status after read-back) / count register
//   3    -- (reads 0xFF) / control word: SC1 SC0 RW1 RW0 M2 M1 M0 BCD; SC=11 is read-back,
//        RW=00 is the counter latch command.
//
// Time is lazy: nothing ticks. A channel remembers its counting element at an absolute input
// tick (`seg_tick`) and is advanced analytically (advance()) to the current tick whenever it is
// touched. The absolute tick is a pure function of virtual time, ticks(ns) =
// floor(ns * 1193182 / 1e9), so rounding never accumulates. Only channel 0's next OUT edge is
// put on the Clock, at ns_of_tick(T) = ceil(T * 1e9 / 1193182), the first nanosecond whose tick
// is >= T; edges are delivered to IRQ0 in order even if the timer runs late (at most
// kMaxCatchUpEdges per catch-up; more are coalesced, as the PIC's edge latch would do).
//
// Simplifications (documented, not bugs): a written count is loaded into the counting element
// at once (the first decrement is the next input clock) rather than on the next clock edge, and
// a gate trigger (modes 1, 2, 3, 5) likewise acts at once; the
// power-on state is "mode 0, nothing loaded, OUT low" (real parts are undefined until
// programmed); a count of 1 in mode 2 keeps OUT low and in mode 3 keeps OUT high (both are
// illegal counts in the datasheet); counts with invalid BCD digits are taken modulo 10000.
#pragma once
#include <array>
#include <cstdint>
#include "machine/clock.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class Pit8254 : public machine::BusDevice {
 public:
  static constexpr uint64_t kInputHz = 1'193'182;
  static constexpr unsigned kMaxCatchUpEdges = 256;
  static constexpr uint8_t kAccessLatch = 0, kAccessLsb = 1, kAccessMsb = 2, kAccessWord = 3;

  struct Channel {
    uint8_t mode_bits = 0;     // M2..M0 as programmed (6, 7 alias modes 2, 3)
    uint8_t access = kAccessWord;  // RW1..RW0: 1 LSB, 2 MSB, 3 LSB then MSB
    bool bcd = false;          // count in 4 BCD decades
    uint16_t cr = 0;           // count register as last written
    bool write_msb_next = false;  // write flip-flop: next byte is the MSB
    bool read_msb_next = false;   // read flip-flop: next byte is the MSB
    bool count_latched = false;   // output latch holds `latch` until read
    uint16_t latch = 0;
    bool status_latched = false;  // read-back status waits to be read
    uint8_t status = 0;
    bool null_count = true;    // count written but not yet in the counting element
    bool gate = true;          // GATE input level (channels 0/1 tied high)
    bool has_count = false;    // a complete count was written since the control word
    bool loaded = false;       // the counting element holds a count (counting can happen)
    bool reload_pending = false;  // modes 2/3: new count takes effect at the next reload
    bool armed = false;        // modes 4/5: the terminal-count strobe is still ahead
    bool out = false;          // OUT pin
    uint32_t ce = 0;           // counting element, 0..M-1 (mode 2: 1..period, M=65536/10000)
    uint32_t period = 2;       // modes 2/3: current divisor N (1..M)
    uint32_t half_left = 1;    // mode 3: input clocks left in the current half-cycle
    uint64_t seg_tick = 0;     // absolute input tick the fields above describe
    bool operator==(const Channel&) const = default;
  };
  struct State {
    std::array<Channel, 3> ch{Channel{}, Channel{}, Channel{.gate = false}};  // gate 2 via 0x61
    bool operator==(const State&) const = default;
  };

  Pit8254(machine::Clock& clock, machine::IrqLine* irq0);
  ~Pit8254() override;
  Pit8254(const Pit8254&) = delete;  // the scheduled timer points at this instance
  Pit8254& operator=(const Pit8254&) = delete;

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void set_gate(unsigned channel, bool level);  // only channel 2 is wired (port 0x61 bit 0)
  bool out(unsigned channel);                   // OUT pin now
  void reset();
  State save() const { return state_; }
  void restore(const State& s);

  static uint64_t ticks_of_ns(uint64_t ns);
  static uint64_t ns_of_tick(uint64_t tick);

 private:
  uint8_t read_port(unsigned ch);
  void write_port(unsigned ch, uint8_t v);
  void write_control(uint8_t v);
  void load_count(unsigned ch);
  void sync(unsigned ch);
  void reschedule();
  uint64_t now_tick() const { return ticks_of_ns(clock_.now_ns()); }

  State state_;
  machine::Clock& clock_;
  machine::IrqLine* irq0_;
  machine::TimerId timer_ = 0;  // pending channel-0 edge (0: none)
};

// Counting math on one channel, shared by the device and its tests (pit8254_counter.cpp).
namespace pit {
uint32_t modulus(const Pit8254::Channel& c);         // 65536 or 10000
uint32_t count_distance(const Pit8254::Channel& c);  // CR as a count of clocks (0 means M)
uint8_t effective_mode(uint8_t mode_bits);           // 6, 7 -> 2, 3
bool running(const Pit8254::Channel& c);
void advance(Pit8254::Channel& c, uint64_t k);       // k input clocks while running
uint64_t next_edge(const Pit8254::Channel& c);       // clocks to the next OUT change; 0 = none
uint16_t counter_value(const Pit8254::Channel& c);   // what a read of the count returns
uint32_t mode3_half(uint32_t n, bool high);
}  // namespace pit

}  // namespace vmlab::devices
