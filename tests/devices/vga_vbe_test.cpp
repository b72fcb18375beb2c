// Bochs VBE dispi interface (ID negotiation, mode set, GETCAPS, banked window, panning limits)
// and the PCI display function (identity, prefetchable BAR0 sizing, LFB mapping that follows
// the BAR and the memory-enable bit).
#include <doctest/doctest.h>

#include "devices/pci/pci_device.h"
#include "devices/vga/vga.h"
#include "devices/vga/vga_pci.h"
#include "machine/io_bus.h"
#include "tests/devices/vga_test_util.h"

using namespace vmlab::devices::vga;
using namespace vga_test;
namespace pci = vmlab::devices::pci;

TEST_CASE("vga: dispi ID negotiation accepts B0C0-B0C5 only") {
  Vga v;
  CHECK(in_dispi(v, kDispiId) == 0xB0C0);
  out_dispi(v, kDispiId, 0xB0C5);
  CHECK(in_dispi(v, kDispiId) == 0xB0C5);
  out_dispi(v, kDispiId, 0xB0C6);  // newer than we implement: keeps the old answer
  CHECK(in_dispi(v, kDispiId) == 0xB0C5);
  out_dispi(v, kDispiId, 0xB0C2);
  CHECK(in_dispi(v, kDispiId) == 0xB0C2);
  CHECK(in_dispi(v, kDispiVideoMemory64k) == 256);
  CHECK(in_dispi(v, 0x0F) == 0);
  // Byte access to the data port and its high byte at 0x1D0.
  v.dispi_ports().write(0, 2, kDispiVideoMemory64k);
  CHECK(v.dispi_ports().read(1, 1) == 0x00);
  CHECK(v.dispi_ports().read(2, 1) == 0x01);
  CHECK(v.dispi_ports().read(0, 2) == kDispiVideoMemory64k);
}

TEST_CASE("vga: dispi mode set as bochs-drm does it") {
  Vga v;
  out_dispi(v, kDispiEnable, 0);
  out_dispi(v, kDispiBpp, 32);
  out_dispi(v, kDispiXres, 800);
  out_dispi(v, kDispiYres, 600);
  out_dispi(v, kDispiBank, 0);
  v.framebuffer().write(0, 4, 0x12345678);  // old contents before the switch
  out_dispi(v, kDispiEnable, kDispiEnabled | kDispiLfbEnabled);
  CHECK(v.vbe_enabled());
  CHECK(in_dispi(v, kDispiVirtWidth) == 800);
  CHECK(in_dispi(v, kDispiVirtHeight) == (16u << 20) / (800 * 4));
  CHECK(v.state().vram[0] == 0);  // cleared (no NOCLEARMEM)
  // Geometry is frozen while enabled.
  out_dispi(v, kDispiXres, 1024);
  CHECK(in_dispi(v, kDispiXres) == 800);
  // A wider virtual screen for panning; a too-wide one is refused.
  out_dispi(v, kDispiVirtWidth, 1600);
  CHECK(in_dispi(v, kDispiVirtWidth) == 1600);
  CHECK(in_dispi(v, kDispiVirtHeight) == (16u << 20) / (1600 * 4));
  out_dispi(v, kDispiVirtWidth, 700);
  CHECK(in_dispi(v, kDispiVirtWidth) == 1600);
  out_dispi(v, kDispiYOffset, 600);
  CHECK(in_dispi(v, kDispiYOffset) == 600);
  // Banked window: bank 2 at 0xA0000.
  out_dispi(v, kDispiBank, 2);
  v.legacy_window().write(0x10, 1, 0xAB);
  CHECK(v.state().vram[2 * 0x10000 + 0x10] == 0xAB);
  CHECK(v.legacy_window().read(0x10000, 1) == 0xFF);  // only 64K of window
  out_dispi(v, kDispiBank, 256);  // past video memory: ignored
  CHECK(in_dispi(v, kDispiBank) == 2);
  // The LFB sees the same bytes.
  CHECK(v.framebuffer().read(2 * 0x10000 + 0x10, 1) == 0xAB);
  v.framebuffer().write(kVramSize - 4, 4, 0xCAFEF00D);
  CHECK(v.framebuffer().read(kVramSize - 4, 4) == 0xCAFEF00D);
  // Disable: back to VGA text.
  out_dispi(v, kDispiEnable, 0);
  CHECK_FALSE(v.vbe_enabled());
  out_dispi(v, kDispiXres, 1024);
  CHECK(in_dispi(v, kDispiXres) == 1024);
}

TEST_CASE("vga: dispi GETCAPS reports the maxima and impossible modes stay off") {
  Vga v;
  out_dispi(v, kDispiEnable, kDispiGetCaps);
  CHECK(in_dispi(v, kDispiXres) == kVbeMaxXres);
  CHECK(in_dispi(v, kDispiYres) == kVbeMaxYres);
  CHECK(in_dispi(v, kDispiBpp) == 32);
  out_dispi(v, kDispiEnable, 0);
  CHECK(in_dispi(v, kDispiXres) == 640);
  out_dispi(v, kDispiBpp, 12);  // not a VBE depth
  CHECK(in_dispi(v, kDispiBpp) == 8);
  out_dispi(v, kDispiXres, 4000);  // beyond the maximum
  CHECK(in_dispi(v, kDispiXres) == 640);
  out_dispi(v, kDispiXres, 0);
  out_dispi(v, kDispiEnable, kDispiEnabled);  // 0 x 480 cannot be shown
  CHECK_FALSE(v.vbe_enabled());
  // NOCLEARMEM keeps video memory.
  out_dispi(v, kDispiXres, 320);
  out_dispi(v, kDispiYres, 200);
  v.framebuffer().write(100, 1, 0x5A);
  out_dispi(v, kDispiEnable, kDispiEnabled | kDispiNoClearMem);
  CHECK(v.vbe_enabled());
  CHECK(v.framebuffer().read(100, 1) == 0x5A);
}

TEST_CASE("vga: PCI function 1234:1111 sizes a prefetchable 16 MiB BAR0 and maps the LFB there") {
  Vga v;
  vmlab::machine::MmioBus mmio;
  {
    VgaPci fn(v, mmio);
    CHECK(fn.config_read(0x00, 4) == 0x11111234u);
    CHECK((fn.config_read(0x08, 4) >> 8) == 0x030000u);
    CHECK(fn.config_read(0x10, 4) == 0x00000008u);  // memory, 32-bit, prefetchable
    fn.config_write(0x10, 4, 0xFFFFFFFF);           // size probe
    CHECK(fn.config_read(0x10, 4) == 0xFF000008u);
    fn.config_write(0x10, 4, 0xE0000000);
    CHECK_FALSE(fn.lfb_base());                      // memory decoding still off
    CHECK_FALSE(mmio.claimed(0xE0000000));
    fn.config_write(0x04, 2, pci::kCmdMemory);
    REQUIRE(fn.lfb_base());
    CHECK(*fn.lfb_base() == 0xE0000000u);
    mmio.write(0xE0000000 + 0x40, 4, 0x11223344);
    CHECK(v.state().vram[0x40] == 0x44);
    CHECK(mmio.read(0xE0FFFFFC, 4) == v.framebuffer().read(kVramSize - 4, 4));
    CHECK_FALSE(mmio.claimed(0xE1000000));
    // The OS moves the BAR: the old range floats, the new one shows the same memory.
    fn.config_write(0x10, 4, 0xF1234567);  // low bits hard-wired: 0xF1000000
    CHECK(*fn.lfb_base() == 0xF1000000u);
    CHECK_FALSE(mmio.claimed(0xE0000000));
    CHECK(mmio.read(0xF1000040, 4) == 0x11223344u);
    // Memory decoding off: unmapped.
    fn.config_write(0x04, 2, 0);
    CHECK_FALSE(fn.lfb_base());
    CHECK(mmio.read(0xF1000040, 4) == 0xFFFFFFFFu);
    // A BAR over another region is refused without harm, and works once moved away.
    vmlab::machine::MmioBus* bus = &mmio;
    struct Dummy : vmlab::machine::BusDevice {
      uint32_t read(uint64_t, unsigned) override { return 0; }
      void write(uint64_t, unsigned, uint32_t) override {}
    } other;
    bus->add(0xD0000000, 0x1000, "other", other);
    fn.config_write(0x10, 4, 0xD0000000);
    fn.config_write(0x04, 2, pci::kCmdMemory);
    CHECK_FALSE(fn.lfb_base());
    CHECK(fn.refused_mappings() == 1);
    fn.config_write(0x10, 4, 0xC0000000);
    CHECK(*fn.lfb_base() == 0xC0000000u);
    // Reset unmaps it again (command register back to 0).
    fn.reset();
    CHECK_FALSE(fn.lfb_base());
    fn.config_write(0x10, 4, 0xC0000000);
    fn.config_write(0x04, 2, pci::kCmdMemory);
    bus->remove(0xD0000000);
  }
  CHECK_FALSE(mmio.claimed(0xC0000000));  // the destructor unmapped it
}
