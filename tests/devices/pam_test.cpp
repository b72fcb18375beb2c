// The i440FX PAM registers (0x59-0x5F): register decoding, each mode's reads and writes as the
// CPU sees them (mmu physical access over GuestMemory and the shadow window), the reset value,
// the memory-map callback, KVM's slot plan, and the machine's wiring.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "cpu/vcpu.h"
#include "devices/pci/pam.h"
#include "devices/pci/pci_bus.h"
#include "devices/pci/pci_host.h"
#include "kvm_backend/kvm_memory.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"
#include "machine/machine.h"
#include "mmu/linear_access.h"

using namespace vmlab;
using devices::pci::I440fxHostBridge;
using devices::pci::PamRegion;

namespace {

// A 4 MiB machine without a CPU core: a 128 KiB ROM at 0xE0000 (byte = 0xA0 + page index, so a
// read tells which page answered), the host bridge on the PCI bus, its window on the MMIO bus.
struct PamRig {
  machine::GuestMemory mem{4u << 20};
  machine::IoBus io;
  machine::MmioBus mmio;
  cpu::Vcpu v{mem, io, mmio};
  I440fxHostBridge hb{&mem};
  devices::pci::PciBus bus;
  devices::pci::PciHost host{bus};
  int map_changes = 0;

  PamRig() {
    std::vector<uint8_t> rom(0x20000);
    for (size_t i = 0; i < rom.size(); ++i) rom[i] = uint8_t(0xA0 + (i >> 12));
    mem.add_rom(0xE0000, rom, "bios-legacy");
    bus.add(0, 0, "i440fx", hb);
    io.add(0xCF8, 8, "pci-host", host);
    mmio.add(0xC0000, 0x40000, "pam-shadow", hb.shadow_window());
    hb.on_memory_map_change([this] { ++map_changes; });
  }
  // As SeaBIOS does it: dword configuration writes at 0x58 and 0x5C.
  void set_pam(unsigned reg, uint8_t value) {
    const unsigned dword = reg & ~3u, lane = reg & 3u;
    io.write(0xCF8, 4, 0x80000000u | dword);
    uint32_t d = io.read(0xCFC, 4);
    d = (d & ~(0xFFu << (8 * lane))) | uint32_t(value) << (8 * lane);
    io.write(0xCFC, 4, d);
  }
  uint8_t cpu_read(uint64_t pa) { return uint8_t(mmu::read_physical(v, pa, 1)); }
  void cpu_write(uint64_t pa, uint8_t b) { mmu::write_physical(v, pa, 1, b); }
  uint8_t ram(uint64_t pa) { return mem.ram_base()[pa]; }
};

}  // namespace

TEST_CASE("pam_registers_decode_into_thirteen_regions_with_read_and_write_enables") {
  std::array<uint8_t, devices::pci::kPamRegisters> regs{};
  auto r = devices::pci::pam_regions(regs);
  CHECK(r[0] == PamRegion{0xF0000, 0x10000, false, false});
  for (unsigned i = 1; i < r.size(); ++i) {
    CHECK(r[i].base == 0xC0000 + (i - 1) * 0x4000);
    CHECK(r[i].size == 0x4000);
    CHECK_FALSE(r[i].read_ram);
    CHECK_FALSE(r[i].write_ram);
  }
  regs = {0x3F, 0x21, 0x03, 0, 0, 0, 0x10};  // PAM0's low nibble is reserved: ignored
  r = devices::pci::pam_regions(regs);
  CHECK(r[0] == PamRegion{0xF0000, 0x10000, true, true});
  CHECK(r[1] == PamRegion{0xC0000, 0x4000, true, false});   // PAM1 low nibble: read-only
  CHECK(r[2] == PamRegion{0xC4000, 0x4000, false, true});   // PAM1 high nibble: write-only
  CHECK(r[3] == PamRegion{0xC8000, 0x4000, true, true});    // PAM2 low nibble: read/write
  CHECK(r[4] == PamRegion{0xCC000, 0x4000, false, false});
  CHECK(r[11] == PamRegion{0xE8000, 0x4000, false, false});
  CHECK(r[12] == PamRegion{0xEC000, 0x4000, true, false});  // PAM6 high nibble
}

TEST_CASE("pam_reset_value_sends_everything_to_the_rom_and_the_pci_bus") {
  PamRig r;
  for (unsigned i = 0; i < devices::pci::kPamRegisters; ++i) CHECK(r.hb.byte(0x59 + i) == 0);
  CHECK(r.cpu_read(0xF0000) == 0xB0);                    // the ROM
  CHECK(r.cpu_read(0xE0000) == 0xA0);
  CHECK(r.cpu_read(0xC0000) == 0xFF);                    // no ROM there: nothing answers
  CHECK(r.mem.ram_ptr(0xF0000, 1) == nullptr);
  r.cpu_write(0xF0000, 0x11);
  r.cpu_write(0xC0000, 0x22);
  CHECK(r.ram(0xF0000) == 0);                            // shadow RAM untouched
  CHECK(r.ram(0xC0000) == 0);
  CHECK(r.cpu_read(0xF0000) == 0xB0);
  CHECK(r.map_changes == 0);
}

TEST_CASE("pam_read_write_mode_makes_the_region_plain_ram") {
  PamRig r;
  r.set_pam(0x59, 0x30);
  CHECK(r.map_changes == 1);
  CHECK(r.cpu_read(0xF0000) == 0);                       // RAM behind the ROM (never written)
  r.cpu_write(0xF1234, 0x5A);
  CHECK(r.ram(0xF1234) == 0x5A);
  CHECK(r.cpu_read(0xF1234) == 0x5A);
  CHECK(r.mem.ram_ptr(0xF0000, 0x10000) == r.mem.ram_base() + 0xF0000);
  CHECK(*r.mem.rom_ptr(0xF1234, 1) == 0xB1);             // the ROM itself is unchanged
  CHECK(r.cpu_read(0xEFFFF) == 0xAF);                    // the next region still reads the ROM
  CHECK(r.mem.ram_ptr(0xEF000, 0x2000) == nullptr);      // a range over two modes is no pointer
}

TEST_CASE("pam_read_only_mode_reads_shadow_ram_and_drops_writes") {
  PamRig r;
  r.set_pam(0x5D, 0x03);                                 // PAM4 low: 0xD8000 read/write
  r.cpu_write(0xD8000, 0x77);
  r.set_pam(0x5D, 0x01);                                 // now read-only
  CHECK(r.map_changes == 2);
  CHECK(r.cpu_read(0xD8000) == 0x77);
  CHECK(r.mem.readable_ptr(0xD8000, 4) == r.mem.ram_base() + 0xD8000);
  CHECK(r.mem.ram_ptr(0xD8000, 1) == nullptr);
  r.cpu_write(0xD8000, 0x99);                            // write-protected: dropped
  CHECK(r.ram(0xD8000) == 0x77);
  CHECK(r.cpu_read(0xD8000) == 0x77);
  // SeaBIOS's pattern: copy the ROM into RAM with 0x30, then lock it with 0x10.
  r.set_pam(0x59, 0x30);
  for (uint32_t a = 0xF0000; a < 0x100000; ++a) r.cpu_write(a, uint8_t(*r.mem.rom_ptr(a, 1) ^ 0xFF));
  r.set_pam(0x59, 0x10);
  CHECK(r.cpu_read(0xF0000) == uint8_t(0xB0 ^ 0xFF));
  r.cpu_write(0xF0000, 0);
  CHECK(r.cpu_read(0xF0000) == uint8_t(0xB0 ^ 0xFF));
  CHECK(r.mmio.stats().unclaimed_writes == 0);           // the window saw the dropped writes
}

TEST_CASE("pam_write_only_mode_reads_the_rom_and_writes_shadow_ram") {
  PamRig r;
  r.set_pam(0x5E, 0x02);                                 // PAM5 low: 0xE0000 write-only
  CHECK(r.mem.readable_ptr(0xE0000, 1) == nullptr);      // both directions go to the window
  CHECK(r.mem.ram_ptr(0xE0000, 1) == nullptr);
  CHECK(r.cpu_read(0xE0000) == 0xA0);                    // the ROM
  r.cpu_write(0xE0010, 0x42);
  CHECK(r.ram(0xE0010) == 0x42);
  CHECK(r.cpu_read(0xE0010) == 0xA0);                    // still the ROM
  std::vector<uint8_t> host(1);
  REQUIRE(r.mem.read_phys(0xE0010, host));
  CHECK(host[0] == 0xA0);
  r.set_pam(0x5E, 0x01);                                 // read-only: the written byte appears
  CHECK(r.cpu_read(0xE0010) == 0x42);
  REQUIRE(r.mem.read_phys(0xE0010, host));
  CHECK(host[0] == 0x42);
}

TEST_CASE("pam_disabled_segment_without_rom_reads_all_ones_and_keeps_its_ram") {
  PamRig r;
  r.set_pam(0x5A, 0x30);                                 // PAM1 high: 0xC4000 read/write
  r.cpu_write(0xC4000, 0x12);
  r.set_pam(0x5A, 0x00);
  CHECK(r.cpu_read(0xC4000) == 0xFF);
  r.cpu_write(0xC4000, 0x34);
  CHECK(r.ram(0xC4000) == 0x12);
  CHECK(r.hb.shadow_window().dropped_writes() >= 1);
  r.set_pam(0x5A, 0x10);                                 // read-only: the RAM was kept
  CHECK(r.cpu_read(0xC4000) == 0x12);
}

TEST_CASE("pam_callback_fires_only_when_a_region_changes_and_reset_restores_the_rom") {
  PamRig r;
  r.set_pam(0x5F, 0x04);                                 // reserved bits only: no change
  CHECK(r.hb.byte(0x5F) == 0);
  CHECK(r.map_changes == 0);
  r.set_pam(0x5F, 0x33);
  CHECK(r.map_changes == 1);
  r.set_pam(0x5F, 0x33);
  CHECK(r.map_changes == 1);
  const auto saved = r.hb.save();
  r.hb.reset();
  CHECK(r.map_changes == 2);
  CHECK(r.hb.byte(0x5F) == 0);
  CHECK(r.cpu_read(0xEC000) == 0xAC);
  r.hb.restore(saved);
  CHECK(r.map_changes == 3);
  CHECK(r.mem.ram_ptr(0xEC000, 0x4000) != nullptr);
  CHECK(r.mem.ram_ptr(0xE8000, 0x8000) != nullptr);
}

TEST_CASE("pam_set_shadow_rejects_ranges_outside_the_shadow_area") {
  machine::GuestMemory mem(2u << 20);
  CHECK_THROWS_AS(mem.set_shadow(0xB0000, 0x1000, true, true), std::invalid_argument);
  CHECK_THROWS_AS(mem.set_shadow(0xFF000, 0x2000, true, true), std::invalid_argument);
  CHECK_THROWS_AS(mem.set_shadow(0xC0800, 0x1000, true, true), std::invalid_argument);
  mem.set_shadow(0xFF000, 0x1000, true, true);
  CHECK(mem.ram_ptr(0xFF000, 0x1000) != nullptr);
  CHECK(mem.ram_ptr(0xFF000, 0x1001) == nullptr);       // runs past the shadow area
  CHECK(mem.ram_ptr(0xFEFFF, 2) == nullptr);             // starts in a page without shadow RAM
}

TEST_CASE("pam_kvm_slot_plan_maps_read_write_shadow_as_ram_and_read_only_as_rom") {
  PamRig r;
  r.set_pam(0x59, 0x30);                                 // 0xF0000 read/write
  r.set_pam(0x5E, 0x11);                                 // 0xE0000-0xE7FFF read-only
  const std::vector<kvm_backend::MemorySlot> plan = kvm_backend::plan_memory_slots(r.mem);
  bool ram_seen = false, ro_seen = false;
  for (const auto& s : plan) {
    if (s.gpa == 0xF0000) {
      ram_seen = true;
      CHECK(s == kvm_backend::MemorySlot{0xF0000, 0x10000, r.mem.ram_base() + 0xF0000, false});
    }
    if (s.gpa == 0xE0000) {
      ro_seen = true;
      CHECK(s.rom);
      CHECK(s.size == 0x8000);
      CHECK(s.host == r.mem.ram_base() + 0xE0000);
    }
  }
  CHECK(ram_seen);
  CHECK(ro_seen);
}

namespace {
class PamScriptedCore : public cpu::ExecutionCore {
 public:
  int flushes = 0;
  const char* name() const override { return "scripted"; }
  cpu::Exit run(cpu::Vcpu&, uint64_t) override { return cpu::Exit{cpu::ExitReason::Halted, 0, ""}; }
  void flush_code_cache() override { ++flushes; }
};
}  // namespace

TEST_CASE("pam_machine_applies_pam_and_drops_cached_code_and_translations") {
  machine::MachineConfig c;
  c.ram_bytes = 4 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.deterministic = true;
  auto core = std::make_unique<PamScriptedCore>();
  PamScriptedCore* sc = core.get();
  machine::Machine m(c, std::move(core));
  m.reset();
  CHECK(m.memory().ram_ptr(0xF0000, 1) == nullptr);
  const int flushes = sc->flushes;
  const uint64_t tlb_flushes = m.vcpu().tlb.stats.flushes_full;
  m.io().write(0xCF8, 4, 0x80000058);
  m.io().write(0xCFC, 4, 0x00003000);                    // PAM0 (0x59) = 0x30
  CHECK(m.memory().ram_ptr(0xF0000, 0x10000) != nullptr);
  CHECK(sc->flushes == flushes + 1);
  CHECK(m.vcpu().tlb.stats.flushes_full > tlb_flushes);
  CHECK((m.vcpu().attention.load() & cpu::kAttnStop) != 0);
  m.reset();                                             // the chipset's reset value again
  CHECK(m.memory().ram_ptr(0xF0000, 1) == nullptr);
  m.io().write(0xCF8, 4, 0x80000058);
  CHECK((m.io().read(0xCFC, 4) & 0xFF00) == 0u);
}
