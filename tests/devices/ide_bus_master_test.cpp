// PIIX bus-master IDE DMA: PRD tables in guest memory, the start/stop and status bits, the
// SFF-8038i completion cases, bad tables (regions or tables crossing 64 KiB, memory outside RAM)
// answered with the error bit, and BAR4 mapping through the PIIX3 IDE function.
#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "devices/ide/ata_regs.h"
#include "devices/ide/bus_master.h"
#include "devices/pci/piix3.h"
#include "machine/guest_memory.h"
#include "tests/devices/ide_fixture.h"

using namespace vmlab::devices::ide;
using vmlab::machine::GuestMemory;
using vmlab::test::IdeRig;

namespace {
constexpr uint16_t kBm = 0xC000;

struct DmaRig : IdeRig {
  GuestMemory mem{4u << 20};
  BusMasterDma bm{mem, &ch, nullptr};
  bool master_enabled = true;
  DmaRig() : IdeRig(4096) {
    io.add(kBm, 16, "ide-bm", bm);
    bm.set_master_enable([this] { return master_enabled; });
  }
  void prd(uint32_t table, unsigned i, uint32_t addr, uint32_t bytes, bool eot) {
    uint8_t e[8];
    const uint32_t w = (bytes & 0xFFFF) | (eot ? 0x80000000u : 0);
    std::memcpy(e, &addr, 4);
    std::memcpy(e + 4, &w, 4);
    REQUIRE(mem.write_phys(table + 8 * i, e));
  }
  uint8_t bm_status() { return uint8_t(io.read(kBm + 2, 1)); }
  void setup(uint32_t table, bool to_memory) {
    io.write(kBm + 4, 4, table);
    io.write(kBm, 1, to_memory ? kBmCmdToMemory : 0);
    io.write(kBm + 2, 1, kBmStError | kBmStIntr);  // clear leftovers
  }
  void start(bool to_memory) { io.write(kBm, 1, (to_memory ? kBmCmdToMemory : 0) | kBmCmdStart); }
  bool mem_sector_ok(uint32_t pa, uint64_t lba) {
    const uint8_t* p = mem.ram_base() + pa;
    for (unsigned i = 0; i < 512; ++i)
      if (p[i] != vmlab::test::disk_byte(lba, i)) return false;
    return true;
  }
};
}  // namespace

TEST_CASE("bus_master_dma_read_follows_the_prd_table_and_completes_with_interrupt") {
  DmaRig r;
  // 4 sectors into two regions: 1.5 sectors at 0x10000, 2.5 sectors at 0x30000.
  r.prd(0x8000, 0, 0x10000, 768, false);
  r.prd(0x8000, 1, 0x30000, 1280, true);
  r.setup(0x8000, true);
  r.lba28(40, 4, kCmdReadDma);
  CHECK(r.alt_status() == (kStDrdy | kStDsc | kStDrq));  // waits for the engine
  CHECK_FALSE(r.irq.level());
  r.start(true);
  CHECK(r.irq.level());
  CHECK(r.bm_status() == kBmStIntr);  // done, table used up exactly: not active
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  std::vector<uint8_t> got(2048);
  std::memcpy(got.data(), r.mem.ram_base() + 0x10000, 768);
  std::memcpy(got.data() + 768, r.mem.ram_base() + 0x30000, 1280);
  for (unsigned s = 0; s < 4; ++s) CHECK(r.sector_ok(got, s * 512, 40 + s));
  r.io.write(kBm, 1, kBmCmdToMemory);  // driver stops the engine, clears INTR
  r.io.write(kBm + 2, 1, kBmStIntr);
  CHECK(r.bm_status() == 0);
}

TEST_CASE("bus_master_started_before_the_command_runs_when_the_drive_asks") {
  DmaRig r;
  r.prd(0x8000, 0, 0x20000, 512 * 3, true);
  r.setup(0x8000, true);
  r.start(true);
  CHECK(r.bm_status() == kBmStActive);
  r.lba48(7, 3, kCmdReadDmaExt);
  CHECK(r.bm_status() == kBmStIntr);
  for (unsigned s = 0; s < 3; ++s) CHECK(r.mem_sector_ok(0x20000 + s * 512, 7 + s));
}

TEST_CASE("bus_master_dma_write_reaches_the_image") {
  DmaRig r;
  for (unsigned i = 0; i < 1024; ++i) r.mem.ram_base()[0x40000 + i] = uint8_t(i * 3);
  r.prd(0x9000, 0, 0x40000, 1024, true);
  r.setup(0x9000, false);
  r.lba28(100, 2, kCmdWriteDma);
  r.start(false);
  CHECK(r.bm_status() == kBmStIntr);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  std::vector<uint8_t> back(1024);
  REQUIRE(r.disk->read(100, 2, back.data()));
  CHECK(std::memcmp(back.data(), r.mem.ram_base() + 0x40000, 1024) == 0);
}

TEST_CASE("bus_master_prd_larger_than_the_transfer_stays_active_with_interrupt") {
  DmaRig r;
  r.prd(0x8000, 0, 0x20000, 0, true);  // 0 = 64 KiB
  r.setup(0x8000, true);
  r.lba28(0, 1, kCmdReadDma);
  r.start(true);
  CHECK(r.bm_status() == (kBmStActive | kBmStIntr));
  CHECK(r.mem_sector_ok(0x20000, 0));
}

TEST_CASE("bus_master_prd_smaller_than_the_transfer_ends_inactive_without_interrupt") {
  DmaRig r;
  r.prd(0x8000, 0, 0x20000, 512, true);
  r.setup(0x8000, true);
  r.lba28(0, 2, kCmdReadDma);
  r.start(true);
  CHECK(r.bm_status() == 0);  // active 0, interrupt 0, error 0: the PRDs were too small
  CHECK_FALSE(r.irq.level());
  CHECK((r.alt_status() & kStDrq) != 0);  // the drive still waits for the rest
  // A new table continues where the transfer stopped.
  r.prd(0x8100, 0, 0x30000, 512, true);
  r.io.write(kBm, 1, kBmCmdToMemory);
  r.io.write(kBm + 4, 4, 0x8100);
  r.start(true);
  CHECK(r.bm_status() == kBmStIntr);
  CHECK(r.mem_sector_ok(0x20000, 0));
  CHECK(r.mem_sector_ok(0x30000, 1));
}

TEST_CASE("bus_master_prd_region_crossing_64k_is_rejected_with_the_error_bit") {
  DmaRig r;
  r.prd(0x8000, 0, 0x1FF00, 512, true);  // 0x1FF00 + 512 crosses 0x20000
  r.setup(0x8000, true);
  r.lba28(0, 1, kCmdReadDma);
  r.start(true);
  CHECK(r.bm_status() == (kBmStError | kBmStIntr));  // drive aborted and interrupted
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
  CHECK(r.in(1) == kErrAbrt);
  CHECK(r.mem.ram_base()[0x1FF00] == 0);  // nothing was written
  CHECK(r.bm.bad_prds() == 1);
}

TEST_CASE("bus_master_prd_table_crossing_a_64k_boundary_is_rejected_with_the_error_bit") {
  DmaRig r;
  // Table at 0x2FFF8: its first entry is the last 8 bytes below 0x30000, the second would be
  // fetched from the next 64 KiB page.
  r.prd(0x2FFF8, 0, 0x10000, 512, false);
  r.prd(0x2FFF8, 1, 0x11000, 512, true);
  r.setup(0x2FFF8, true);
  r.lba28(0, 2, kCmdReadDma);
  r.start(true);
  CHECK((r.bm_status() & (kBmStError | kBmStActive)) == kBmStError);
  CHECK(r.in(1) == kErrAbrt);
  CHECK(r.mem_sector_ok(0x10000, 0));  // the first region was already moved
}

TEST_CASE("bus_master_prd_outside_ram_gets_the_error_bit_never_a_crash") {
  DmaRig r;
  const uint32_t addrs[] = {0x3FFF00, 0x400000, 0xFFFF0000u, 0xB8000, 0xFFFFFE00u};
  for (uint32_t a : addrs) {
    r.prd(0x8000, 0, a, 512, true);
    r.setup(0x8000, true);
    r.lba28(0, 1, kCmdReadDma);
    r.start(true);
    CHECK((r.bm_status() & kBmStError) != 0);
    CHECK(r.in(1) == kErrAbrt);
    r.io.write(kBm, 1, 0);
  }
  // The table itself outside RAM.
  r.setup(0xFFFFFFF0u, true);
  r.lba28(0, 1, kCmdReadDma);
  r.start(true);
  CHECK((r.bm_status() & kBmStError) != 0);
  // A write from memory outside RAM does not touch the image.
  r.prd(0x8000, 0, 0x500000, 512, true);
  r.setup(0x8000, false);
  r.lba28(3, 1, kCmdWriteDma);
  r.start(false);
  CHECK((r.bm_status() & kBmStError) != 0);
  CHECK(r.disk->sectors_written == 0);
}

TEST_CASE("bus_master_direction_mismatch_and_disabled_mastering") {
  DmaRig r;
  r.prd(0x8000, 0, 0x20000, 512, true);
  r.setup(0x8000, false);  // engine reads memory, drive wants to write it
  r.lba28(0, 1, kCmdReadDma);
  r.start(false);
  CHECK((r.bm_status() & kBmStError) != 0);
  r.io.write(kBm, 1, 0);

  r.master_enabled = false;  // PCI command bit 2 clear: the engine cannot master the bus
  r.setup(0x8000, true);
  r.lba28(0, 1, kCmdReadDma);
  r.start(true);
  CHECK(r.bm_status() == kBmStActive);
  CHECK((r.alt_status() & kStDrq) != 0);
  CHECK(r.mem.ram_base()[0x20004] == 0);
  r.master_enabled = true;  // the driver sets the command bit late: the transfer runs then
  r.bm.master_enabled();
  CHECK(r.bm_status() == kBmStIntr);
  CHECK(r.mem_sector_ok(0x20000, 0));
}

TEST_CASE("bus_master_registers_read_back_and_save_restore_round_trips") {
  DmaRig r;
  r.io.write(kBm + 4, 4, 0x12345677);
  CHECK(r.io.read(kBm + 4, 4) == 0x12345674u);  // dword aligned
  r.io.write(kBm + 2, 1, 0x60 | kBmStActive);   // DMA-capable bits stick; active is read-only
  CHECK(r.bm_status() == 0x60);
  r.io.write(kBm, 1, 0xFF);
  CHECK(r.io.read(kBm, 1) == (kBmCmdStart | kBmCmdToMemory));
  CHECK(r.io.read(kBm + 8, 4) == 0u);  // secondary half
  const auto s = r.bm.save();
  vmlab::machine::GuestMemory mem2(4u << 20);
  BusMasterDma other(mem2, nullptr, nullptr);
  other.restore(s);
  CHECK(other.save() == s);
  r.bm.reset();
  CHECK(r.bm.save() == BusMasterDma::State{});
}

TEST_CASE("bus_master_atapi_dma_read_of_cd_blocks") {
  DmaRig r;
  auto cd = BlockBackend::memory(8 * 4);
  std::vector<uint8_t> blk(2048, 0xCD);
  cd->write(8, 4, blk.data());  // block 2
  r.ch.attach(1, DriveKind::Cdrom, cd.get(), "CD");
  r.prd(0x8000, 0, 0x20000, 2048, true);
  r.setup(0x8000, true);
  r.out(6, 0xB0);
  r.out(1, 0x01);  // DMA
  r.out(4, 0xFE); r.out(5, 0xFF);
  r.out(7, kCmdPacket);
  const uint8_t cdb[12] = {kScsiRead10, 0, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0};
  for (unsigned k = 0; k < 12; k += 2) r.outw(uint16_t(cdb[k] | cdb[k + 1] << 8));
  r.start(true);
  CHECK(r.bm_status() == kBmStIntr);
  CHECK(r.in(2) == (kIrIo | kIrCod));
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  CHECK(r.mem.ram_base()[0x20000] == 0xCD);
  CHECK(r.mem.ram_base()[0x207FF] == 0xCD);
}

TEST_CASE("piix3_ide_bar4_maps_the_bus_master_block_on_the_io_bus") {
  GuestMemory mem(2u << 20);
  vmlab::machine::IoBus io;
  BusMasterDma bm(mem, nullptr, nullptr);
  vmlab::devices::pci::Piix3Ide fn;
  fn.attach_bus_master(io, bm);
  CHECK_FALSE(io.claimed(0xC000));
  fn.config_write(0x20, 4, 0xC001);
  CHECK_FALSE(io.claimed(0xC000));  // I/O decode still off
  fn.config_write(0x04, 2, vmlab::devices::pci::kCmdIo | vmlab::devices::pci::kCmdBusMaster);
  CHECK(io.claimed(0xC000));
  CHECK(io.claimed(0xC00F));
  io.write(0xC004, 4, 0x1000);
  CHECK(bm.save().ch[0].prdt == 0x1000u);
  fn.config_write(0x20, 4, 0xD001);  // moved
  CHECK_FALSE(io.claimed(0xC000));
  CHECK(io.claimed(0xD000));
  // A base on top of another device is not mapped (no exception escapes the config write).
  BusMasterDma other(mem, nullptr, nullptr);
  io.add(0xE000, 8, "other", other);
  fn.config_write(0x20, 4, 0xE001);
  CHECK_FALSE(io.claimed(0xD000));
  CHECK(fn.bar_conflicts() == 1);
  fn.config_write(0x04, 2, 0);
  fn.config_write(0x20, 4, 0xD001);
  fn.config_write(0x04, 2, vmlab::devices::pci::kCmdIo);
  CHECK(io.claimed(0xD000));
  fn.reset();
  CHECK_FALSE(io.claimed(0xD000));
  CHECK(io.claimed(0xE000));  // the other device is untouched
}

TEST_CASE("bus_master_random_register_and_prd_traffic_never_crashes") {
  DmaRig r;
  std::mt19937 rng(77);
  for (int i = 0; i < 50000; ++i) {
    const uint32_t v = rng();
    switch (rng() % 8) {
      case 0: r.io.write(kBm + rng() % 16, 1u << (rng() % 3), v); break;
      case 1: r.io.read(kBm + rng() % 16, 1u << (rng() % 3)); break;
      case 2: r.prd(0x8000, rng() % 4, v & (rng() % 2 ? 0x3FFFFF : 0xFFFFFFFF), rng(), rng() % 2); break;
      case 3: r.lba28(v % 5000, uint8_t(v >> 16), (v >> 8) % 2 ? kCmdReadDma : kCmdWriteDma); break;
      case 4: r.io.write(kBm + 4, 4, (v % 3) ? 0x8000 : v); break;
      case 5: r.io.write(kBm, 1, uint8_t(v) & 9); break;
      case 6: r.in(7); break;
      default: r.control(uint8_t(v & 6)); r.control(0); break;
    }
  }
  r.control(kCtlSrst);
  r.control(0);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
}
