// The IDE part of the machine's wiring: drives from the configuration on both channels, IRQ 14
// through the PIC, the bus-master block appearing where the guest puts BAR4, DMA into guest RAM,
// setup errors for bad images.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

#include "machine/machine.h"
#include "machine/setup_error.h"

using namespace vmlab;
using machine::Machine;
using machine::MachineConfig;

namespace {

class IdleCore : public cpu::ExecutionCore {
 public:
  const char* name() const override { return "idle"; }
  cpu::Exit run(cpu::Vcpu&, uint64_t) override { return cpu::Exit{cpu::ExitReason::InternalError, 0, "idle"}; }
  void flush_code_cache() override {}
};

struct TempFile {
  std::string path;
  explicit TempFile(size_t bytes) {
    char tmpl[] = "/tmp/vmlab_idew_XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    path = tmpl;
    std::vector<uint8_t> b(bytes);
    for (size_t i = 0; i < bytes; ++i) b[i] = uint8_t(i / 512 + i);
    REQUIRE(::write(fd, b.data(), b.size()) == ssize_t(b.size()));
    ::close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
};

MachineConfig config(std::vector<machine::DriveConfig> drives) {
  MachineConfig c;
  c.ram_bytes = 4 << 20;
  c.serial = "null";
  c.debugcon = "null";
  c.deterministic = true;
  c.drives = std::move(drives);
  return c;
}

struct Rig {
  std::unique_ptr<Machine> m;
  explicit Rig(const MachineConfig& c) {
    m = std::make_unique<Machine>(c, std::make_unique<IdleCore>());
    m->reset();
  }
  uint32_t in(uint16_t port, unsigned width = 1) { return m->io().read(port, width); }
  void out(uint16_t port, uint32_t v, unsigned width = 1) { m->io().write(port, width, v); }
  void pci(unsigned reg, uint32_t v) { out(0xCF8, 0x80000000u | 1 << 11 | 1 << 8 | reg, 4); out(0xCFC, v, 4); }
};

}  // namespace

TEST_CASE("ide_wiring_puts_disks_and_cdroms_on_both_channels_by_index") {
  TempFile disk(64 * 512), iso(8 * 2048);
  Rig r(config({{disk.path, 0, false, false, false}, {iso.path, 2, true, false, false}}));
  CHECK(r.in(0x1F7) == 0x50);  // primary master: ATA disk, ready
  r.out(0x1F6, 0xB0);
  CHECK(r.in(0x1F7) == 0x00);  // primary slave absent
  CHECK(r.in(0x174) == 0x14);  // secondary master: ATAPI signature
  CHECK(r.in(0x175) == 0xEB);
  CHECK(r.in(0x376) == 0x00);
}

TEST_CASE("ide_wiring_raises_irq_14_through_the_pic_and_reads_the_image") {
  TempFile disk(64 * 512);
  Rig r(config({{disk.path, 0, false, false, false}}));
  r.out(0x1F6, 0xE0);
  r.out(0x1F2, 1);
  r.out(0x1F3, 5);
  r.out(0x1F4, 0);
  r.out(0x1F5, 0);
  r.out(0x1F7, 0x20);
  r.out(0xA0, 0x0A);  // OCW3: read IRR of the slave PIC
  CHECK((r.in(0xA0) & 0x40) != 0);  // IRQ 14 = slave input 6
  CHECK(r.in(0x1F0, 2) == uint32_t(uint8_t(5 * 512 / 512 + 5 * 512) | uint8_t(5 + 5 * 512 + 1) << 8));
}

TEST_CASE("ide_wiring_maps_the_bus_master_at_bar4_and_dma_reaches_guest_ram") {
  TempFile disk(64 * 512);
  Rig r(config({{disk.path, 0, false, false, false}}));
  CHECK(r.in(0xC000) == 0xFF);  // BAR4 not assigned: nothing there
  r.pci(0x20, 0xC001);
  r.pci(0x04, 0x0005);          // I/O decode + bus master
  // PRD at 0x8000: 512 bytes to 0x10000, end of table.
  const uint8_t prd[8] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x80};
  REQUIRE(r.m->memory().write_phys(0x8000, prd));
  r.out(0xC004, 0x8000, 4);
  r.out(0xC000, 0x08);
  r.out(0x1F6, 0xE0); r.out(0x1F2, 1); r.out(0x1F3, 3); r.out(0x1F4, 0); r.out(0x1F5, 0);
  r.out(0x1F7, 0xC8);
  r.out(0xC000, 0x09);
  CHECK(r.in(0xC002) == 0x04);  // interrupt, not active
  const uint8_t* p = r.m->memory().ram_base() + 0x10000;
  CHECK(p[0] == uint8_t(3 + 3 * 512));
  CHECK(p[511] == uint8_t(3 + 3 * 512 + 511));
  // Bus mastering enabled only after the engine was started: the transfer runs then.
  r.pci(0x20, 0xC001);
  r.pci(0x04, 0x0001);
  r.out(0xC004, 0x8000, 4);
  r.out(0xC000, 0x08);
  r.out(0xC002, 0x06);
  r.out(0x1F3, 4);
  r.out(0x1F2, 1);
  r.out(0x1F7, 0xC8);
  r.out(0xC000, 0x09);
  CHECK(r.in(0xC002) == 0x01);  // active, waiting
  r.pci(0x04, 0x0005);
  CHECK(r.in(0xC002) == 0x04);
  CHECK(p[0] == uint8_t(4 + 4 * 512));
  r.m->reset();  // PCI reset: BAR4 decode off again
  CHECK(r.in(0xC000) == 0xFF);
}

TEST_CASE("ide_wiring_setup_errors_for_missing_or_badly_sized_images") {
  CHECK_THROWS_AS(Rig(config({{"/nonexistent/x.img", 0, false, false, false}})), machine::SetupError);
  TempFile odd(1000);
  CHECK_THROWS_AS(Rig(config({{odd.path, 0, false, false, false}})), machine::SetupError);
  TempFile disk(64 * 512);
  CHECK_THROWS_AS(Rig(config({{disk.path, 1, false, false, false}, {disk.path, 1, false, false, false}})),
                  machine::SetupError);
  // An empty CD-ROM drive is fine: it answers NOT READY.
  Rig r(config({{"", 2, true, false, false}}));
  CHECK(r.in(0x175) == 0xEB);
}
