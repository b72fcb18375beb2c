// The 8042 keyboard controller of the PC/AT with its PS/2 keyboard and mouse. Data port 0x60
// (offset 0), status/command port 0x64 (offset 4). Port 0x61 sits between them and belongs to
// another device (Port61), so the machine registers the two one-port facades below.
//
//   I8042 kbc(&irq1, &irq12, [&](bool on) { a20.set_kbc(on); }, [&] { machine.request_reset(); });
//   io.add(0x60, 1, "i8042-data", kbc.data_port());
//   io.add(0x64, 1, "i8042-cmd", kbc.command_port());
//   kbc.keyboard().key_down(0x1C);                    // host input, set-2 scancodes
//
// I8042 itself is also a BusDevice spanning 0x60-0x64 (offsets 1-3 read 0xFF, writes dropped)
// for a bus where nothing else claims 0x61-0x63; the PC machine must use the facades.
//
// Output buffer: one byte, refilled when the guest reads 0x60, from (in order) a pending
// controller reply, the keyboard's queue, the mouse's queue. Keyboard bytes pass through the
// set-2 -> set-1 translation (F0 xx -> xx|0x80) when command byte bit 6 is set. IRQ1 is high
// while the buffer holds a keyboard byte and command byte bit 0 is set; IRQ12 likewise for a
// mouse byte (AUXB) with bit 1. Each refill lowers and re-raises the line so an edge-triggered
// PIC sees every byte.
//
// Controller commands (port 0x64; from the IBM PC/AT technical reference and the PS/2 8042
// documentation): 20-3F read RAM (20 = command byte), 60-7F write RAM, A7/A8 disable/enable
// mouse, A9 mouse interface test (00), AA self-test (55), AB keyboard interface test (00),
// AD/AE disable/enable keyboard, C0 read input port, D0/D1 read/write output port (bit 0 = 0
// resets the CPU, bit 1 = A20 gate), D2/D3 write keyboard/mouse output buffer, D4 write to the
// mouse, DD/DF disable/enable A20, E0 read test inputs (00), F0-FF pulse output port bits 0-3
// low (bit 0 = reset, so FE resets). Other commands are ignored and counted.
//
// Power-on values: vmlab boots multiboot kernels with no BIOS, so reset leaves the controller
// as a PC BIOS does after POST: command byte 0x45 (IRQ1 on, system flag, translation on; mouse
// interrupt off), status system flag set, output port with A20 enabled (as QEMU), keyboard
// scanning, mouse reset and not reporting.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include "devices/ps2_keyboard.h"
#include "devices/ps2_mouse.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices {

class I8042 : public machine::BusDevice {
 public:
  // Status register (port 0x64 read).
  static constexpr uint8_t kStOutFull = 0x01, kStInFull = 0x02, kStSystem = 0x04,
                           kStCommand = 0x08, kStUnlocked = 0x10, kStAuxData = 0x20,
                           kStTimeout = 0x40, kStParity = 0x80;
  // Command byte (RAM byte 0).
  static constexpr uint8_t kCbKbdInt = 0x01, kCbAuxInt = 0x02, kCbSystem = 0x04,
                           kCbKbdDisable = 0x10, kCbAuxDisable = 0x20, kCbTranslate = 0x40;
  // Output port (D0/D1).
  static constexpr uint8_t kOutReset = 0x01, kOutA20 = 0x02, kOutKbdFull = 0x10,
                           kOutAuxFull = 0x20;

  struct State {
    std::array<uint8_t, 32> ram{kCbKbdInt | kCbSystem | kCbTranslate};  // [0] = command byte
    uint8_t status = kStUnlocked | kStSystem;  // bits 2-7 (OBF/AUXB live in obf/obf_aux)
    uint8_t output_port = kOutReset | kOutA20 | 0xC0;  // not in reset, A20 on (see doc)
    uint8_t pending_cmd = 0;         // command waiting for a data byte on 0x60 (60-7F, D1-D4)
    bool obf = false;                // output buffer full
    bool obf_aux = false;            // ... with a mouse byte (status AUXB)
    uint8_t obuf = 0;                // the output buffer
    bool reply_pending = false;      // a controller reply waiting for the output buffer
    bool reply_aux = false;          // ... to be delivered as mouse data (D3)
    uint8_t reply = 0;
    bool xlat_break = false;         // translation saw F0, the next code gets bit 7
    uint64_t ignored_commands = 0;   // unknown controller commands (guest nonsense, counted)
    uint64_t lost_replies = 0;       // a controller reply overwrote one not yet read
    Ps2Keyboard::State keyboard;
    Ps2Mouse::State mouse;
    bool operator==(const State&) const = default;
  };

  I8042(machine::IrqLine* irq1, machine::IrqLine* irq12, std::function<void(bool)> set_a20 = {},
        std::function<void()> request_reset = {});
  I8042(const I8042&) = delete;  // the keyboard and mouse call back into this object
  I8042& operator=(const I8042&) = delete;

  // The whole 0x60-0x64 window (offset 0 data, 4 status/command).
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  // One-port views for the PC's port map, where 0x61 belongs to someone else.
  machine::BusDevice& data_port() { return data_port_; }
  machine::BusDevice& command_port() { return command_port_; }

  uint8_t read_data();
  uint8_t read_status() const;
  void write_data(uint8_t v);
  void write_command(uint8_t v);

  Ps2Keyboard& keyboard() { return keyboard_; }
  Ps2Mouse& mouse() { return mouse_; }

  // Power-on: controller, keyboard and mouse. Re-announces the A20 output.
  void reset();
  State save() const;
  void restore(const State& s);

 private:
  class Port : public machine::BusDevice {
   public:
    Port(I8042& c, bool command) : c_(c), command_(command) {}
    uint32_t read(uint64_t, unsigned width) override;
    void write(uint64_t, unsigned width, uint32_t value) override;
   private:
    I8042& c_;
    bool command_;
  };

  uint8_t command_byte() const { return state_.ram[0]; }
  void write_output_port(uint8_t v);
  void controller_reply(uint8_t b, bool aux = false);
  void refill();
  bool take_keyboard_byte(uint8_t& out);
  void update_irqs();
  void set_command_byte(uint8_t v);

  State state_;
  Ps2Keyboard keyboard_;
  Ps2Mouse mouse_;
  machine::IrqLine* irq1_;
  machine::IrqLine* irq12_;
  std::function<void(bool)> set_a20_;
  std::function<void()> request_reset_;
  Port data_port_{*this, false};
  Port command_port_{*this, true};
};

// The set-2 -> set-1 translation the 8042 applies to keyboard bytes (index: set-2 code).
extern const std::array<uint8_t, 256> kSet2ToSet1;

}  // namespace vmlab::devices
