// A VGA adapter with the Bochs VBE ("dispi") extension, as QEMU's `-vga std` and Bochs show it:
// the standard register set (misc output, sequencer, CRTC, graphics controller, attribute
// controller, DAC, input status with retrace bits in virtual time), 256 KiB of display memory
// in four planes behind the legacy window 0xA0000-0xBFFFF (read modes 0/1, write modes 0-3,
// chain-4, odd/even), and 16 MiB of video memory that the dispi interface shows as a linear
// framebuffer (the PCI function in vga_pci.h puts it at its BAR0).
//
//   Vga vga(&clock);                                  // clock: retrace bits; nullptr in tests
//   io.add(0x3B0, 0x30, "vga", vga);                  // 0x3B0-0x3DF
//   io.add(0x1CE, 3, "vbe-dispi", vga.dispi_ports()); // index 0x1CE, data 0x1CF (+0x1D0: its
//                                                     // high byte when written with OUT DX,AX)
//   mmio.add(0xA0000, 0x20000, "vga-window", vga.legacy_window());
//   render(vga, image);                               // vga_render.h
//
// Video memory layout (QEMU's): planar byte `a` of plane `p` is vram[a * 4 + p], so chain-4
// (plane = address & 3) is simply vram[address] and the first 256 KiB hold the four planes.
// The VBE modes use vram from offset 0 linearly.
//
// Power-on state is what a VGA BIOS leaves after setting mode 3 (80x25 colour text, 9x16 cells,
// the default font in plane 2, the EGA colours in the DAC), because vmlab boots multiboot
// kernels directly and they write to 0xB8000 at once.
//
// Not modelled (documented in docs/devices/vga.md): CRTC timing beyond the display sizes,
// smooth scrolling (AR13, CR08), line compare (split screen), the CRT interrupt, blink,
// underline, 4-bpp VBE, the VGA BIOS itself.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "machine/clock.h"
#include "machine/io_bus.h"

namespace vmlab::devices::vga {

inline constexpr uint32_t kVramSize = 16u << 20;    // VBE video memory (QEMU's default)
inline constexpr uint32_t kPlaneSize = 64u << 10;   // per plane: 4 planes = 256 KiB
inline constexpr unsigned kVbeMaxXres = 2560, kVbeMaxYres = 1600, kVbeMaxBpp = 32;

// Bochs VBE dispi register indices and ENABLE bits (Bochs iodev/display/vga.h).
enum DispiIndex : uint16_t {
  kDispiId = 0, kDispiXres, kDispiYres, kDispiBpp, kDispiEnable, kDispiBank, kDispiVirtWidth,
  kDispiVirtHeight, kDispiXOffset, kDispiYOffset, kDispiVideoMemory64k, kDispiRegs
};
inline constexpr uint16_t kDispiIdMin = 0xB0C0, kDispiIdMax = 0xB0C5;
inline constexpr uint16_t kDispiEnabled = 0x01, kDispiGetCaps = 0x02, kDispi8BitDac = 0x20,
                          kDispiLfbEnabled = 0x40, kDispiNoClearMem = 0x80;

// The standard 64-colour EGA palette a BIOS loads in DAC entries 0-63 for the text modes.
std::array<uint8_t, 768> ega_palette();

class Vga : public machine::BusDevice {
 public:
  struct State {
    uint8_t misc = 0x67;          // misc output: colour I/O (0x3Dx), RAM enable, 28 MHz clock
    uint8_t feature = 0;          // feature control (written at 0x3BA/0x3DA, read at 0x3CA)
    uint8_t vga_enable = 1;       // 0x3C3 bit 0 (stored only)
    uint8_t seq_index = 0;
    std::array<uint8_t, 5> seq{0x03, 0x00, 0x03, 0x00, 0x02};  // SR0-SR4, mode 3
    uint8_t crtc_index = 0;
    std::array<uint8_t, 0x19> crtc{0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                   0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                   0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};  // CR00-CR18
    uint8_t gr_index = 0;
    std::array<uint8_t, 9> gr{0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};  // GR0-8
    uint8_t ar_index = 0x20;      // bits 0-4 index, bit 5 palette address source (display on)
    bool ar_flip_flop = false;    // false: the next 0x3C0 write is an index, true: data
    std::array<uint8_t, 0x15> ar{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39,
                                 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08,
                                 0x00};  // AR00-AR14
    uint8_t pel_mask = 0xFF;      // 0x3C6
    uint8_t dac_read_index = 0;   // next entry 0x3C9 reads
    uint8_t dac_write_index = 0;  // next entry 0x3C9 writes
    uint8_t dac_sub = 0;          // 0-2: red, green, blue within the entry
    bool dac_reading = false;     // last index written was 0x3C7 (DAC state reads 3)
    std::array<uint8_t, 3> dac_cache{};   // a written entry takes effect after its blue
    std::array<uint8_t, 768> palette = ega_palette();  // DAC, 6-bit (8-bit with kDispi8BitDac)
    std::array<uint8_t, 4> latch{};       // one byte per plane, loaded by planar reads
    uint16_t dispi_index = 0;
    std::array<uint16_t, kDispiRegs> dispi{kDispiIdMin, 640, 480, 8, 0, 0, 640, 480, 0, 0,
                                           uint16_t(kVramSize >> 16)};
    std::vector<uint8_t> vram = std::vector<uint8_t>(kVramSize);
    bool operator==(const State&) const = default;
  };

  explicit Vga(const machine::Clock* clock = nullptr);
  Vga(const Vga&) = delete;  // the bus adapters refer to this instance
  Vga& operator=(const Vga&) = delete;

  // Ports 0x3B0-0x3DF; offset 0 is 0x3B0. 2- and 4-byte accesses are byte cycles in order
  // (OUT DX,AX to 0x3C4 writes the index, then the data).
  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;

  machine::BusDevice& legacy_window() { return window_; }  // 0xA0000-0xBFFFF, offset 0 = 0xA0000
  machine::BusDevice& dispi_ports() { return dispi_port_; } // 0x1CE-0x1D0
  machine::BusDevice& framebuffer() { return lfb_; }        // the 16 MiB LFB, offset 0 = vram[0]

  void reset();  // power-on state, default font in plane 2
  const State& save() const { return state_; }
  void restore(const State& s);  // clamps every field to what the hardware can hold
  const State& state() const { return state_; }

  // Derived views the renderer and tests use.
  bool vbe_enabled() const { return state_.dispi[kDispiEnable] & kDispiEnabled; }
  bool color_io() const { return state_.misc & 1; }  // CRTC and status 1 at 0x3Dx, else 0x3Bx
  unsigned vbe_bytes_per_pixel() const { return (state_.dispi[kDispiBpp] + 7) / 8; }
  // DAC entry as 8-bit R, G, B (6-bit values scaled up unless the 8-bit DAC is on).
  std::array<uint8_t, 3> dac_rgb(uint8_t index) const;
  // Input status 1 as the guest would read it now (no side effect).
  uint8_t input_status1() const;

  // Host-side counters (not device state).
  uint64_t ignored_writes() const { return ignored_writes_; }
  // Bumped by every register, memory, dispi and framebuffer write (and reset/restore): the
  // window redraws only when it moved, so an idle guest costs nothing to display.
  uint64_t change_count() const { return changes_; }

 private:
  // Port side (vga_ports.cpp).
  uint8_t read_port(unsigned port);
  void write_port(unsigned port, uint8_t v);
  uint8_t read_dac_data();
  void write_dac_data(uint8_t v);
  void write_crtc(uint8_t v);
  // Memory side (vga_memory.cpp); `offset` is relative to 0xA0000.
  uint8_t window_read(uint32_t offset);
  void window_write(uint32_t offset, uint8_t v);
  uint8_t planar_read(uint32_t addr);
  void planar_write(uint32_t addr, uint8_t v);
  // Dispi side (vga_dispi.cpp).
  uint16_t dispi_read(uint16_t index) const;
  void dispi_write(uint16_t index, uint16_t v);
  void vbe_enable(uint16_t v);
  uint32_t vbe_max_virt_height(uint16_t virt_width) const;

  void load_default_font();

  template <auto Read, auto Write>
  class Adapter : public machine::BusDevice {
   public:
    explicit Adapter(Vga& v) : v_(v) {}
    uint32_t read(uint64_t offset, unsigned width) override { return (v_.*Read)(offset, width); }
    void write(uint64_t offset, unsigned width, uint32_t value) override {
      (v_.*Write)(offset, width, value);
    }
   private:
    Vga& v_;
  };
  uint32_t window_bus_read(uint64_t offset, unsigned width);
  void window_bus_write(uint64_t offset, unsigned width, uint32_t value);
  uint32_t dispi_bus_read(uint64_t offset, unsigned width);
  void dispi_bus_write(uint64_t offset, unsigned width, uint32_t value);
  uint32_t lfb_bus_read(uint64_t offset, unsigned width);
  void lfb_bus_write(uint64_t offset, unsigned width, uint32_t value);

  State state_;
  const machine::Clock* clock_;
  uint64_t status_reads_ = 0;  // without a clock, retrace toggles with every status read
  uint64_t changes_ = 0;
  uint64_t ignored_writes_ = 0;
  Adapter<&Vga::window_bus_read, &Vga::window_bus_write> window_{*this};
  Adapter<&Vga::dispi_bus_read, &Vga::dispi_bus_write> dispi_port_{*this};
  Adapter<&Vga::lfb_bus_read, &Vga::lfb_bus_write> lfb_{*this};
};

}  // namespace vmlab::devices::vga
