// ATA disk on an IDE channel, driven through ports as a driver does: IDENTIFY words, PIO
// READ/WRITE SECTORS and MULTIPLE (DRQ blocks and their interrupts), CHS/LBA28/LBA48 addressing
// and the HOB register pairs, errors (IDNF, ABRT), nIEN, soft reset signatures, absent devices,
// save/restore and random port traffic.
#include <doctest/doctest.h>

#include <cstring>
#include <cstdio>
#include <random>
#include <unistd.h>

#include "devices/ide/ata_regs.h"
#include "tests/devices/ide_fixture.h"

using namespace vmlab::devices::ide;
using vmlab::test::IdeRig;

namespace {
uint16_t word(const std::vector<uint8_t>& id, unsigned w) { return uint16_t(id[2 * w] | id[2 * w + 1] << 8); }
std::string ata_string(const std::vector<uint8_t>& id, unsigned first, unsigned words) {
  std::string s;
  for (unsigned w = first; w < first + words; ++w) {
    s += char(id[2 * w + 1]);
    s += char(id[2 * w]);
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}
std::vector<uint8_t> identify(IdeRig& r) {
  r.out(6, 0xA0);
  r.out(7, kCmdIdentify);
  REQUIRE(r.alt_status() == (kStDrdy | kStDsc | kStDrq));
  return r.read_data(512);
}
}  // namespace

TEST_CASE("ide_disk_power_on_shows_the_ata_signature_and_ready_status") {
  IdeRig r;
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  CHECK(r.in(1) == 0x01);  // diagnostic passed
  CHECK(r.in(2) == 0x01);
  CHECK(r.in(3) == 0x01);
  CHECK(r.in(4) == 0x00);
  CHECK(r.in(5) == 0x00);
  CHECK(r.in(6) == 0xA0);  // obsolete bits read as one
  CHECK_FALSE(r.irq.level());
}

TEST_CASE("ide_disk_identify_reports_geometry_capacity_strings_modes_and_checksum") {
  IdeRig r(100000);  // 100000 sectors: 99 cylinders of 16 heads x 63 sectors
  const auto id = identify(r);
  CHECK(r.irq.level());
  CHECK((r.in(7) & kStDrq) == 0);  // all 256 words read: data phase over
  CHECK_FALSE(r.irq.level());      // the status read acknowledged the interrupt
  CHECK(word(id, 0) == 0x0040);
  CHECK(word(id, 1) == 99);
  CHECK(word(id, 3) == 16);
  CHECK(word(id, 6) == 63);
  CHECK(ata_string(id, 10, 10) == "VMTEST0001");
  CHECK(ata_string(id, 27, 20) == "VMLAB HARDDISK");
  CHECK(word(id, 47) == 0x8010);           // up to 16 sectors per DRQ block
  CHECK(word(id, 59) == 0);                // multiple mode not set yet
  CHECK((word(id, 49) & 0x0300) == 0x0300);  // LBA and DMA
  CHECK(word(id, 53) == 0x0007);
  CHECK(word(id, 54) == 99);
  CHECK((uint32_t(word(id, 57)) | uint32_t(word(id, 58)) << 16) == 99u * 16 * 63);
  CHECK((uint32_t(word(id, 60)) | uint32_t(word(id, 61)) << 16) == 100000u);
  CHECK((word(id, 83) & 0xC400) == 0x4400);  // LBA48 supported, word valid
  CHECK(word(id, 100) == uint16_t(100000));
  CHECK(word(id, 101) == uint16_t(100000 >> 16));
  CHECK(word(id, 102) == 0);
  CHECK(word(id, 103) == 0);
  CHECK((word(id, 63) & 0x0007) == 0x0007);
  CHECK((word(id, 88) & 0x003F) == 0x003F);
  CHECK((id[510]) == 0xA5);
  uint8_t sum = 0;
  for (uint8_t b : id) sum = uint8_t(sum + b);
  CHECK(sum == 0);

  // SET MULTIPLE and SET FEATURES (transfer mode) show in words 59, 63 and 88.
  r.out(2, 8);
  r.out(7, kCmdSetMultiple);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  r.out(1, 0x03);
  r.out(2, 0x42);  // UDMA 2
  r.out(7, kCmdSetFeatures);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  const auto id2 = identify(r);
  CHECK(word(id2, 59) == 0x0108);
  CHECK(word(id2, 88) == (0x003F | 0x0400));
  CHECK((word(id2, 63) & 0x0700) == 0);
}

TEST_CASE("ide_disk_read_sectors_lba28_interrupts_once_per_sector") {
  IdeRig r;
  r.lba28(10, 3, kCmdReadSectors);
  std::vector<uint8_t> all;
  for (int s = 0; s < 3; ++s) {
    CHECK(r.irq.level());
    CHECK(r.in(7) == (kStDrdy | kStDsc | kStDrq));
    auto d = r.read_data(512);
    all.insert(all.end(), d.begin(), d.end());
  }
  CHECK(r.irq_edges == 3);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  for (int s = 0; s < 3; ++s) CHECK(r.sector_ok(all, size_t(s) * 512, 10 + s));
  // The task file ends on the last sector read, the count on zero.
  CHECK(r.in(3) == 12);
  CHECK(r.in(2) == 0);
}

TEST_CASE("ide_disk_read_multiple_crosses_drq_block_boundaries_with_one_interrupt_per_block") {
  IdeRig r;
  r.out(2, 4);
  r.out(7, kCmdSetMultiple);
  r.in(7);
  const int before = r.irq_edges;
  r.lba28(100, 10, kCmdReadMultiple);  // blocks of 4, 4 and 2 sectors
  std::vector<uint8_t> all;
  const unsigned blocks[] = {4, 4, 2};
  for (unsigned b : blocks) {
    CHECK(r.irq.level());
    CHECK(r.in(7) == (kStDrdy | kStDsc | kStDrq));
    // DRQ stays set across every sector of the block: no interrupt inside a block.
    for (unsigned s = 0; s < b; ++s) {
      auto d = r.read_data(512);
      all.insert(all.end(), d.begin(), d.end());
      if (s + 1 < b) CHECK((r.alt_status() & kStDrq) != 0);
      if (s + 1 < b) CHECK_FALSE(r.irq.level());
    }
  }
  CHECK(r.irq_edges - before == 3);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  for (unsigned s = 0; s < 10; ++s) CHECK(r.sector_ok(all, s * 512, 100 + s));
}

TEST_CASE("ide_disk_read_multiple_without_set_multiple_is_aborted") {
  IdeRig r;
  r.lba28(0, 1, kCmdReadMultiple);
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
  CHECK(r.in(1) == kErrAbrt);
  // Invalid SET MULTIPLE values are aborted too and leave the mode off.
  r.out(2, 3);
  r.out(7, kCmdSetMultiple);
  CHECK(r.in(1) == kErrAbrt);
  r.out(2, 32);
  r.out(7, kCmdSetMultiple);
  CHECK(r.in(1) == kErrAbrt);
}

TEST_CASE("ide_disk_lba48_register_pairs_read_back_through_hob") {
  IdeRig r;
  r.out(2, 0x12); r.out(2, 0x34);
  r.out(3, 0x56); r.out(3, 0x78);
  r.out(4, 0x9A); r.out(4, 0xBC);
  r.out(5, 0xDE); r.out(5, 0xF0);
  CHECK(r.in(2) == 0x34);
  CHECK(r.in(5) == 0xF0);
  r.control(kCtlHob);
  CHECK(r.in(2) == 0x12);
  CHECK(r.in(3) == 0x56);
  CHECK(r.in(4) == 0x9A);
  CHECK(r.in(5) == 0xDE);
  r.out(3, 0x11);  // any command block write clears HOB
  CHECK(r.in(3) == 0x11);
  CHECK(r.in(2) == 0x34);
}

TEST_CASE("ide_disk_read_sectors_ext_uses_the_48_bit_address_and_16_bit_count") {
  IdeRig r(1024);
  r.lba48(0x201, 2, kCmdReadSectorsExt);
  auto a = r.read_data(512);
  auto b = r.read_data(512);
  CHECK(r.sector_ok(a, 0, 0x201));
  CHECK(r.sector_ok(b, 0, 0x202));
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  // A high address byte past the disk is IDNF, not a wrap to a small LBA.
  r.lba48(0x0100000001ull, 1, kCmdReadSectorsExt);
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
  CHECK(r.in(1) == kErrIdnf);
}

TEST_CASE("ide_disk_lba_past_the_end_is_idnf_for_reads_writes_and_verify") {
  IdeRig r(64);
  for (uint8_t cmd : {kCmdReadSectors, kCmdWriteSectors, kCmdReadVerify, kCmdReadDma}) {
    r.lba28(63, 2, cmd);  // the second sector does not exist
    CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
    CHECK(r.in(1) == kErrIdnf);
  }
  r.lba28(63, 1, kCmdReadVerify);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  CHECK(r.in(1) == 0);
}

TEST_CASE("ide_disk_chs_addressing_follows_initialize_device_parameters") {
  IdeRig r(4096);
  // Default translation 16 heads x 63 sectors: C/H/S 1/2/3 = (1*16+2)*63+2.
  r.out(6, 0xA0 | 2);
  r.out(2, 1); r.out(3, 3); r.out(4, 1); r.out(5, 0);
  r.out(7, kCmdReadSectors);
  CHECK(r.sector_ok(r.read_data(512), 0, (1 * 16 + 2) * 63 + 2));
  // Translation 4 heads x 17 sectors.
  r.out(6, 0xA0 | 3);
  r.out(2, 17);
  r.out(7, kCmdInitParams);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  r.out(6, 0xA0 | 2);
  r.out(2, 1); r.out(3, 3); r.out(4, 1); r.out(5, 0);
  r.out(7, kCmdReadSectors);
  CHECK(r.sector_ok(r.read_data(512), 0, (1 * 4 + 2) * 17 + 2));
  // Sector 0 and a head beyond the translation do not exist.
  r.out(6, 0xA0); r.out(3, 0); r.out(7, kCmdReadSectors);
  CHECK(r.in(1) == kErrIdnf);
  r.out(6, 0xA0 | 5); r.out(3, 1); r.out(7, kCmdReadSectors);
  CHECK(r.in(1) == kErrIdnf);
}

TEST_CASE("ide_disk_write_sectors_and_write_multiple_reach_the_image") {
  IdeRig r;
  std::vector<uint8_t> data(3 * 512);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 13 + 1);
  r.lba28(20, 3, kCmdWriteSectors);
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStDrq));
  CHECK_FALSE(r.irq.level());  // no interrupt before the first block of a PIO write
  r.write_data({data.begin(), data.begin() + 512});
  CHECK(r.irq.level());        // sector taken, next one wanted
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStDrq));
  r.write_data({data.begin() + 512, data.end()});
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  std::vector<uint8_t> back(3 * 512);
  REQUIRE(r.disk->read(20, 3, back.data()));
  CHECK(back == data);

  r.out(2, 2);
  r.out(7, kCmdSetMultiple);
  r.lba48(30, 3, kCmdWriteMultipleExt);
  r.write_data(data);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  REQUIRE(r.disk->read(30, 3, back.data()));
  CHECK(back == data);
}

TEST_CASE("ide_disk_write_to_a_read_only_image_is_aborted") {
  IdeRig r;
  auto ro = BlockBackend::memory(64, true);
  IdeChannel ch(nullptr);
  ch.attach(0, DriveKind::Disk, ro.get(), "RO");
  auto& cmd = ch.command_block();
  cmd.write(6, 1, 0xE0); cmd.write(2, 1, 1); cmd.write(3, 1, 0); cmd.write(7, 1, kCmdWriteSectors);
  for (int i = 0; i < 256; ++i) cmd.write(0, 2, 0x1234);
  CHECK(cmd.read(7, 1) == (kStDrdy | kStDsc | kStErr));
  CHECK(cmd.read(1, 1) == kErrAbrt);
}

TEST_CASE("ide_disk_unknown_commands_and_packet_commands_are_aborted") {
  IdeRig r;
  for (uint8_t cmd : {uint8_t(0x00), uint8_t(0xA0), uint8_t(0xA1), uint8_t(0x08), uint8_t(0xFF), uint8_t(0x5C)}) {
    r.out(7, cmd);
    CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
    CHECK(r.in(1) == kErrAbrt);
  }
  r.out(1, 0x77);  // unknown SET FEATURES subcommand
  r.out(7, kCmdSetFeatures);
  CHECK(r.in(1) == kErrAbrt);
}

TEST_CASE("ide_disk_flush_cache_syncs_the_backend_and_interrupts") {
  IdeRig r;
  r.out(7, kCmdFlushCache);
  CHECK(r.irq.level());
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  r.out(7, kCmdFlushCacheExt);
  CHECK(r.disk->flushes == 2);
}

TEST_CASE("ide_disk_nien_keeps_intrq_low_and_clearing_it_shows_the_pending_interrupt") {
  IdeRig r;
  r.control(kCtlNien);
  r.lba28(0, 1, kCmdReadSectors);
  CHECK_FALSE(r.irq.level());
  CHECK((r.alt_status() & kStDrq) != 0);  // polling still works
  r.control(0);
  CHECK(r.irq.level());
  r.alt_status();
  CHECK(r.irq.level());  // alternate status does not acknowledge
  r.in(7);
  CHECK_FALSE(r.irq.level());
}

TEST_CASE("ide_soft_reset_is_busy_while_asserted_then_shows_both_signatures") {
  IdeRig r(2048, 16);
  r.lba28(5, 2, kCmdReadSectors);  // leave a transfer half done
  r.read_data(100);
  r.control(kCtlSrst | kCtlNien);
  CHECK(r.alt_status() == kStBsy);
  r.out(7, kCmdIdentify);  // ignored while in reset
  r.control(kCtlNien);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  CHECK(r.in(1) == 0x01);
  CHECK(r.in(4) == 0x00);
  CHECK(r.in(5) == 0x00);
  CHECK(r.in(6) == 0xA0);  // device 0 selected
  r.out(6, 0xB0);
  CHECK(r.in(2) == 0x01);
  CHECK(r.in(3) == 0x01);
  CHECK(r.in(4) == 0x14);  // ATAPI signature EB14h
  CHECK(r.in(5) == 0xEB);
  CHECK(r.in(7) == 0x00);  // PACKET device: DRDY clear after reset
  CHECK_FALSE(r.irq.level());
}

TEST_CASE("ide_absent_slave_reads_status_zero_and_an_empty_channel_floats") {
  IdeRig r;
  r.out(6, 0xB0);
  CHECK(r.in(7) == 0x00);
  CHECK(r.alt_status() == 0x00);
  r.out(4, 0x5A);
  CHECK(r.in(4) == 0x5A);  // the registers written are still there (device 0 shadows them)
  r.out(7, kCmdIdentify);  // nobody executes it
  CHECK(r.in(7) == 0x00);
  CHECK_FALSE(r.irq.level());
  IdeRig empty(0, 0, false);
  CHECK(empty.in(7) == 0xFF);
  CHECK(empty.alt_status() == 0xFF);
  CHECK(empty.in(4) == 0xFF);
}

TEST_CASE("ide_execute_device_diagnostic_reports_passed_and_interrupts") {
  IdeRig r;
  r.out(4, 0x33);
  r.out(7, kCmdDiagnostic);
  CHECK(r.irq.level());
  CHECK(r.in(1) == 0x01);
  CHECK(r.in(4) == 0x00);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
}

TEST_CASE("ide_channel_fresh_equals_reset_and_save_restore_round_trips_identically") {
  IdeRig r;
  CHECK(r.ch.save() == [] { IdeRig fresh; fresh.ch.reset(); return fresh.ch.save(); }());
  r.out(2, 4);
  r.out(7, kCmdSetMultiple);
  r.lba28(50, 8, kCmdReadMultiple);
  auto first = r.read_data(700);  // stop inside the first block
  const IdeChannel::State s = r.ch.save();

  IdeRig other;
  other.ch.restore(s);
  const IdeChannel::State s2 = other.ch.save();
  CHECK(std::memcmp(&s, &s2, sizeof s) == 0);
  CHECK(s == s2);
  CHECK(other.irq.level() == r.irq.level());
  // Both continue the same way.
  auto a = r.read_data(4 * 512 - 700 + 4 * 512);
  auto b = other.read_data(4 * 512 - 700 + 4 * 512);
  CHECK(a == b);
  first.insert(first.end(), a.begin(), a.end());
  for (unsigned i = 0; i < 8; ++i) CHECK(r.sector_ok(first, i * 512, 50 + i));
  r.ch.reset();
  CHECK(r.in(7) == (kStDrdy | kStDsc));
}

TEST_CASE("ide_restore_clamps_impossible_values") {
  IdeRig r;
  IdeChannel::State s = r.ch.save();
  s.drive[0].buf_pos = 999999;
  s.drive[0].buf_len = 0xFFFFFFFF;
  s.drive[0].xfer = static_cast<Xfer>(77);
  s.drive[0].multiple = 7;
  s.drive[0].heads = 0;
  r.ch.restore(s);
  const auto t = r.ch.save();
  CHECK(t.drive[0].buf_len <= IdeChannel::kBufSize);
  CHECK(t.drive[0].buf_pos <= t.drive[0].buf_len);
  CHECK(t.drive[0].xfer == Xfer::None);
  CHECK(t.drive[0].multiple == 0);
  CHECK(t.drive[0].heads == 16);
  for (int i = 0; i < 100; ++i) r.inw();  // no data phase: reads answer all-ones, no crash
}

TEST_CASE("ide_random_port_traffic_never_crashes_and_keeps_buffer_invariants") {
  for (uint64_t cd : {0u, 8u}) {
    IdeRig r(256, cd);
    std::mt19937 rng(1234 + unsigned(cd));
    // Commands are biased towards ones that start data phases.
    const uint8_t cmds[] = {0x20, 0x24, 0x29, 0x30, 0x34, 0x39, 0xC4, 0xC5, 0xC6, 0xC8, 0xCA,
                            0x25, 0x35, 0xEC, 0xA1, 0xA0, 0x90, 0x91, 0xEF, 0xE7, 0x40, 0x70};
    for (int i = 0; i < 200000; ++i) {
      const unsigned op = rng() % 16;
      const unsigned reg = rng() % 8;
      const uint32_t v = rng();
      const unsigned width = 1u << (rng() % 3);
      if (op < 3) r.io.write(IdeRig::kCmd, width, v);
      else if (op < 6) r.io.read(IdeRig::kCmd, width);
      else if (op == 6) r.out(7, cmds[v % sizeof cmds]);
      else if (op == 7) r.control(uint8_t(v & 0x86));
      else if (op < 11) r.io.write(IdeRig::kCmd + reg, width, v);
      else r.io.read(IdeRig::kCmd + reg, width);
      if (i % 1000 == 0) {
        const auto s = r.ch.save();
        for (const auto& d : s.drive) {
          REQUIRE(d.buf_len <= IdeChannel::kBufSize);
          REQUIRE(d.buf_pos <= d.buf_len);
        }
      }
    }
    r.control(kCtlSrst);
    r.control(0);
    CHECK(r.in(7) == (kStDrdy | kStDsc));  // a soft reset always recovers the drive
  }
}

TEST_CASE("ide_writing_the_command_register_negates_a_pending_interrupt") {
  IdeRig r;
  r.out(7, kCmdFlushCache);
  CHECK(r.irq.level());
  const int edges = r.irq_edges;
  r.out(7, kCmdFlushCache);  // not acknowledged: the new command lowers INTRQ, then raises it
  CHECK(r.irq.level());
  CHECK(r.irq_edges == edges + 1);
}

TEST_CASE("ide_disk_beyond_lba28_reports_capped_words_and_reaches_high_sectors_with_lba48") {
  char tmpl[] = "/tmp/vmlab_ide_big_XXXXXX";
  const int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  const uint64_t sectors = 0x200000000ull;  // 8 TiB, sparse
  REQUIRE(ftruncate(fd, off_t(sectors * 512)) == 0);
  close(fd);
  auto img = BlockBackend::open(tmpl, {});
  std::remove(tmpl);  // the open descriptor keeps it alive
  IdeRig r(1);
  r.ch.attach(0, DriveKind::Disk, img.get(), "BIG");
  const auto id = identify(r);
  CHECK(word(id, 1) == 16383);
  CHECK((uint32_t(word(id, 60)) | uint32_t(word(id, 61)) << 16) == 0x0FFFFFFFu);
  CHECK(word(id, 100) == 0);
  CHECK(word(id, 101) == 0);
  CHECK(word(id, 102) == 2);
  CHECK(word(id, 103) == 0);
  const uint64_t lba = 0x1ABCDEF12ull;
  std::vector<uint8_t> data(512, 0x5C);
  r.lba48(lba, 1, kCmdWriteSectorsExt);
  r.write_data(data);
  CHECK(r.in(7) == (kStDrdy | kStDsc));
  std::vector<uint8_t> back(512);
  REQUIRE(img->read(lba, 1, back.data()));
  CHECK(back == data);
  r.lba48(lba, 1, kCmdReadSectorsExt);
  CHECK(r.read_data(512) == data);
  // The last-sector address in both halves of the register pairs.
  CHECK(r.in(3) == 0x12);
  CHECK(r.in(5) == 0xCD);
  r.control(kCtlHob);
  CHECK(r.in(3) == 0xAB);
  CHECK(r.in(4) == 0x01);
  r.lba48(sectors, 1, kCmdReadSectorsExt);
  CHECK(r.in(1) == kErrIdnf);
}
