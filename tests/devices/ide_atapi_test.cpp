// ATAPI CD-ROM as the slave on an IDE channel: signature and IDENTIFY behaviour that drivers
// probe with, the PACKET protocol (interrupt reason, byte count limit and DRQ chunks) and the
// SCSI commands: TEST UNIT READY, INQUIRY, READ CAPACITY, READ(10)/(12), READ TOC, MODE SENSE,
// REQUEST SENSE after errors.
#include <doctest/doctest.h>

#include <cstring>

#include "devices/ide/ata_regs.h"
#include "tests/devices/ide_fixture.h"

using namespace vmlab::devices::ide;
using vmlab::test::IdeRig;

namespace {
constexpr uint64_t kBlocks = 40;

// A rig whose CD (slave) holds block b filled with (b + 1), block number in the first 4 bytes.
struct CdRig : IdeRig {
  CdRig() : IdeRig(64, kBlocks) {
    // The rig's CD is read-only: fill it through a writable twin, then attach that.
    cd = BlockBackend::memory(kBlocks * 4, false);
    std::vector<uint8_t> blk(2048);
    for (uint64_t b = 0; b < kBlocks; ++b) {
      std::memset(blk.data(), int(b + 1), blk.size());
      std::memcpy(blk.data(), &b, 4);
      cd->write(b * 4, 4, blk.data());
    }
    ch.attach(1, DriveKind::Cdrom, cd.get(), "VMCD0001");
    out(6, 0xB0);
  }
  // Issues PACKET with the given byte count limit, then the 12-byte CDB.
  void packet(std::initializer_list<uint8_t> cdb_bytes, uint16_t limit = 0xFFFE, bool dma = false) {
    uint8_t cdb[12] = {};
    size_t i = 0;
    for (uint8_t b : cdb_bytes) cdb[i++] = b;
    out(1, dma ? 1 : 0);
    out(4, uint8_t(limit));
    out(5, uint8_t(limit >> 8));
    out(7, kCmdPacket);
    REQUIRE(alt_status() == (kStDrdy | kStDsc | kStDrq));
    REQUIRE(in(2) == kIrCod);  // the device wants the command packet
    for (unsigned k = 0; k < 12; k += 2) outw(uint16_t(cdb[k] | cdb[k + 1] << 8));
  }
  uint16_t byte_count() { return uint16_t(in(4) | in(5) << 8); }
  // Reads one DRQ chunk (after its interrupt).
  std::vector<uint8_t> chunk() {
    REQUIRE(irq.level());
    REQUIRE(in(7) == (kStDrdy | kStDsc | kStDrq));
    REQUIRE(in(2) == kIrIo);
    return read_data(byte_count());
  }
  void expect_status_phase(bool error) {
    CHECK(irq.level());
    CHECK(in(2) == (kIrIo | kIrCod));
    CHECK(in(7) == (kStDrdy | kStDsc | (error ? kStErr : 0)));
  }
  std::vector<uint8_t> sense() {
    packet({kScsiRequestSense, 0, 0, 0, 18, 0});
    auto s = chunk();
    expect_status_phase(false);
    return s;
  }
};
}  // namespace

TEST_CASE("atapi_identify_device_is_aborted_with_the_packet_signature") {
  CdRig r;
  r.out(4, 0); r.out(5, 0);
  r.out(7, kCmdIdentify);
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
  CHECK(r.in(1) == kErrAbrt);
  CHECK(r.in(4) == 0x14);
  CHECK(r.in(5) == 0xEB);
  CHECK(r.in(6) == 0xB0);  // still the slave
}

TEST_CASE("atapi_identify_packet_device_describes_a_removable_cdrom") {
  CdRig r;
  r.out(7, kCmdIdentifyPacket);
  CHECK(r.irq.level());
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStDrq));
  auto id = r.read_data(512);
  CHECK((id[0] | id[1] << 8) == 0x85C0);
  CHECK(std::string(reinterpret_cast<char*>(&id[54]), 4) == "MVAL");  // "VMLAB" byte-swapped
  CHECK(r.in(7) == (kStDrdy | kStDsc));
}

TEST_CASE("atapi_test_unit_ready_inquiry_and_read_capacity") {
  CdRig r;
  r.packet({kScsiTestUnitReady});
  r.expect_status_phase(false);
  r.packet({kScsiInquiry, 0, 0, 0, 36, 0});
  auto inq = r.chunk();
  REQUIRE(inq.size() == 36);
  CHECK(inq[0] == 0x05);
  CHECK(inq[1] == 0x80);
  CHECK(std::string(inq.begin() + 8, inq.begin() + 13) == "VMLAB");
  r.expect_status_phase(false);
  r.packet({kScsiReadCapacity});
  auto cap = r.chunk();
  REQUIRE(cap.size() == 8);
  CHECK(cap[3] == kBlocks - 1);
  CHECK((cap[6] << 8 | cap[7]) == 2048);
  r.expect_status_phase(false);
}

TEST_CASE("atapi_read10_is_split_into_chunks_of_the_byte_count_limit") {
  CdRig r;
  // READ(10) of 3 blocks from block 5 with a 3000-byte limit: 3000, 3000, 144 bytes? No: the
  // device fills a chunk up to the limit from what it has buffered.
  r.packet({kScsiRead10, 0, 0, 0, 0, 5, 0, 0, 3, 0}, 3000);
  std::vector<uint8_t> all;
  int chunks = 0;
  while (r.alt_status() & kStDrq) {
    auto c = r.chunk();
    CHECK(c.size() <= 3000);
    all.insert(all.end(), c.begin(), c.end());
    chunks++;
  }
  CHECK(chunks == 3);
  REQUIRE(all.size() == 3 * 2048);
  for (unsigned b = 0; b < 3; ++b) {
    uint32_t n;
    std::memcpy(&n, &all[b * 2048], 4);
    CHECK(n == 5 + b);
    CHECK(all[b * 2048 + 100] == 6 + b);
  }
  r.expect_status_phase(false);
}

TEST_CASE("atapi_read12_and_zero_length_reads") {
  CdRig r;
  r.packet({kScsiRead12, 0, 0, 0, 0, 39, 0, 0, 0, 1});
  auto c = r.chunk();
  REQUIRE(c.size() == 2048);
  CHECK(c[4] == 40);
  r.expect_status_phase(false);
  r.packet({kScsiRead10, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  r.expect_status_phase(false);
}

TEST_CASE("atapi_read_past_the_end_checks_and_request_sense_reports_lba_out_of_range") {
  CdRig r;
  r.packet({kScsiRead10, 0, 0, 0, 0, 39, 0, 0, 2, 0});
  r.expect_status_phase(true);
  CHECK((r.in(1) >> 4) == kSenseIllegalRequest);
  auto s = r.sense();
  REQUIRE(s.size() == 18);
  CHECK(s[0] == 0x70);
  CHECK(s[2] == kSenseIllegalRequest);
  CHECK(s[12] == kAscLbaOutOfRange);
  // Sense is cleared once reported.
  s = r.sense();
  CHECK(s[2] == 0);
}

TEST_CASE("atapi_unknown_opcode_is_illegal_request_with_abrt") {
  CdRig r;
  r.packet({0x46});  // GET CONFIGURATION: not implemented
  r.expect_status_phase(true);
  CHECK(r.in(1) == (kSenseIllegalRequest << 4 | kErrAbrt));
  CHECK(r.sense()[12] == kAscInvalidOpcode);
}

TEST_CASE("atapi_read_toc_format_0_in_lba_and_msf") {
  CdRig r;
  r.packet({kScsiReadToc, 0, 0, 0, 0, 0, 0, 0, 100, 0});
  auto t = r.chunk();
  r.expect_status_phase(false);
  REQUIRE(t.size() == 20);
  CHECK((t[0] << 8 | t[1]) == 18);
  CHECK(t[2] == 1);
  CHECK(t[3] == 1);
  CHECK(t[5] == 0x14);   // data track
  CHECK(t[6] == 1);
  CHECK(t[14] == 0xAA);  // lead-out
  CHECK(t[19] == kBlocks);
  r.packet({kScsiReadToc, 0x02, 0, 0, 0, 0, 0, 0, 100, 0});  // MSF
  t = r.chunk();
  r.expect_status_phase(false);
  CHECK(t[9] == 0);  CHECK(t[10] == 2);  CHECK(t[11] == 0);  // track 1 at 00:02:00
  const uint32_t f = kBlocks + 150;
  CHECK(t[17] == f / 4500);
  CHECK(t[18] == f / 75 % 60);
  CHECK(t[19] == f % 75);
  // Allocation length cuts the data; a bad starting track is an invalid field.
  r.packet({kScsiReadToc, 0, 0, 0, 0, 0, 0, 0, 4, 0});
  CHECK(r.chunk().size() == 4);
  r.expect_status_phase(false);
  r.packet({kScsiReadToc, 0, 0, 0, 0, 0, 5, 0, 100, 0});
  r.expect_status_phase(true);
  CHECK(r.sense()[12] == kAscInvalidField);
}

TEST_CASE("atapi_mode_sense_returns_the_capabilities_page") {
  CdRig r;
  r.packet({kScsiModeSense10, 0, 0x2A, 0, 0, 0, 0, 0, 64, 0});
  auto m = r.chunk();
  r.expect_status_phase(false);
  REQUIRE(m.size() == 28);
  CHECK(m[8] == 0x2A);
  CHECK(m[9] == 0x12);
  r.packet({kScsiModeSense6, 0, 0x05, 0, 64, 0});
  r.expect_status_phase(true);
}

TEST_CASE("atapi_empty_drive_is_not_ready_medium_not_present") {
  IdeRig r(64);
  r.ch.attach(1, DriveKind::Cdrom, nullptr, "EMPTY");
  r.out(6, 0xB0);
  r.out(4, 0xFE); r.out(5, 0xFF);
  r.out(7, kCmdPacket);
  for (int i = 0; i < 6; ++i) r.outw(0);  // TEST UNIT READY
  CHECK(r.in(7) == (kStDrdy | kStDsc | kStErr));
  CHECK((r.in(1) >> 4) == kSenseNotReady);
}

TEST_CASE("atapi_save_restore_mid_packet_round_trips") {
  CdRig r;
  r.packet({kScsiRead10, 0, 0, 0, 0, 1, 0, 0, 2, 0}, 2048);
  r.in(7);
  r.read_data(1000);
  const auto s = r.ch.save();
  CdRig o;
  o.ch.restore(s);
  CHECK(o.ch.save() == s);
  CHECK(r.read_data(1048) == o.read_data(1048));
  auto a = r.chunk();
  auto b = o.chunk();
  CHECK(a == b);
  CHECK(a[4] == 3);
}
