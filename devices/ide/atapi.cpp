// The ATAPI CD-ROM: the ATA commands a PACKET device answers, the PACKET protocol (ATA-6
// 9.10: command packet, DRQ data chunks sized by the host's byte count limit, interrupt reason
// in the sector count register) and the SCSI/MMC-2 commands a CD driver needs to read an ISO:
// TEST UNIT READY, REQUEST SENSE, INQUIRY, READ CAPACITY, READ(10), READ(12), READ TOC
// (formats 0 and 1), MODE SENSE (pages 01h, 2Ah, 3Fh), START STOP UNIT, PREVENT ALLOW.
//
// NOT implemented (answered with ILLEGAL REQUEST / invalid opcode, which drivers handle):
// GET CONFIGURATION, GET EVENT STATUS NOTIFICATION, READ DISC INFORMATION, audio commands,
// media change (no unit attention is ever reported; eject is ignored).
#include <algorithm>
#include <cstring>

#include "devices/ide/ide_channel.h"

namespace vmlab::devices::ide {

namespace {
uint32_t be16(const uint8_t* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const uint8_t* p) { return be16(p) << 16 | be16(p + 2); }
void put_be16(uint8_t* p, uint32_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
void put_be32(uint8_t* p, uint32_t v) { put_be16(p, v >> 16); put_be16(p + 2, v); }
void put_str(uint8_t* p, const char* s, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = *s ? uint8_t(*s++) : ' ';
}
// A TOC address: LBA, or MSF with the 2-second (150-frame) lead-in offset.
void put_toc_addr(uint8_t* p, uint32_t lba, bool msf) {
  if (!msf) { put_be32(p, lba); return; }
  const uint32_t f = lba + 150;
  p[0] = 0;
  p[1] = uint8_t(f / (75 * 60));
  p[2] = uint8_t(f / 75 % 60);
  p[3] = uint8_t(f % 75);
}
}  // namespace

void IdeChannel::execute_cdrom(unsigned unit, uint8_t cmd) {
  DriveState& d = state_->drive[unit];
  switch (cmd) {
    case kCmdPacket:
      d.dma = d.tf.features & 0x01;
      d.byte_limit = uint16_t(d.tf.lba_mid | d.tf.lba_high << 8);
      d.xfer = Xfer::Packet;
      d.buf_pos = 0;
      d.buf_len = 12;
      d.tf.count = kIrCod;  // the device wants the command packet
      d.error = 0;
      d.status = kStDrdy | kStDsc | kStDrq;  // no interrupt: DRQ within 50 us (word 0 bits 6-5)
      return;
    case kCmdIdentifyPacket: {
      IdentifyParams p;
      p.xfer_mode = d.xfer_mode;
      p.serial = drives_[unit].serial;
      p.model = "VMLAB CD-ROM";
      build_identify_packet(p, d.buf.data());
      d.buf_pos = 0;
      d.buf_len = 512;
      d.remaining = 0;
      d.chunk_left = 0;
      d.xfer = Xfer::PioIn;
      d.error = 0;
      d.status = kStDrdy | kStDsc | kStDrq;
      d.irq = true;
      update_irq();
      return;
    }
    case kCmdDeviceReset:  // resets this device only; no interrupt (ATA-6 8.7)
      set_signature(unit, false);
      d.error = 0x01;
      d.status = 0;
      return;
    case kCmdSetFeatures:
      set_features(unit);
      return;
    case kCmdCheckPowerMode:
      d.tf.count = 0xFF;
      finish(d);
      return;
    case kCmdStandbyImmediate: case kCmdIdleImmediate: case kCmdStandby: case kCmdIdle:
    case kCmdSleep:
      finish(d);
      return;
    case kCmdIdentify: case kCmdReadSectors: case kCmdReadSectorsNoRetry:
      // A PACKET device aborts these and shows its signature, which is how drivers tell it
      // from a disk (ATA-6 8.15.5, 8.27.5).
      set_signature(unit, false);
      abort(d);
      return;
    default:
      abort(d);
      return;
  }
}

void IdeChannel::atapi_ok(unsigned unit) {
  DriveState& d = state_->drive[unit];
  d.xfer = Xfer::None;
  d.remaining = 0;
  d.chunk_left = 0;
  d.tf.count = kIrIo | kIrCod;  // status phase
  d.error = 0;
  d.status = kStDrdy | kStDsc;
  d.irq = true;
  update_irq();
}

// CHECK CONDITION: the sense key goes to the error register's high nibble, the details to
// REQUEST SENSE.
void IdeChannel::atapi_error(unsigned unit, uint8_t key, uint8_t asc) {
  DriveState& d = state_->drive[unit];
  d.sense_key = key;
  d.asc = asc;
  d.ascq = 0;
  d.xfer = Xfer::None;
  d.remaining = 0;
  d.chunk_left = 0;
  d.tf.count = kIrIo | kIrCod;
  d.error = uint8_t(key << 4 | (asc == kAscInvalidOpcode ? kErrAbrt : 0));
  d.status = kStDrdy | kStDsc | kStErr;
  d.irq = true;
  update_irq();
}

// Data in buf[0, len) (already cut to the allocation length) goes to the host.
void IdeChannel::atapi_data(unsigned unit, uint32_t len) {
  DriveState& d = state_->drive[unit];
  if (len == 0) { atapi_ok(unit); return; }
  d.buf_pos = 0;
  d.buf_len = len;
  d.remaining = 0;
  if (d.dma) {
    d.xfer = Xfer::DmaIn;
    d.status = kStDrdy | kStDsc | kStDrq;
    request_dma();
    return;
  }
  d.xfer = Xfer::PioIn;
  atapi_next_chunk(unit);
}

// The next DRQ chunk of a PIO data phase: at most the byte count limit (even; 0 means the
// largest), announced by an interrupt with the count in LBA mid/high.
void IdeChannel::atapi_next_chunk(unsigned unit) {
  DriveState& d = state_->drive[unit];
  if (d.buf_pos >= d.buf_len) {
    if (d.remaining == 0) { atapi_ok(unit); return; }
    if (!atapi_load_blocks(unit)) { atapi_error(unit, 0x03, 0x11); return; }
  }
  uint32_t limit = d.byte_limit & ~1u;
  if (limit == 0) limit = 0xFFFE;
  const uint32_t chunk = std::min(limit, d.buf_len - d.buf_pos);
  d.chunk_left = chunk;
  d.tf.lba_mid = uint8_t(chunk);
  d.tf.lba_high = uint8_t(chunk >> 8);
  d.tf.count = kIrIo;
  d.xfer = Xfer::PioIn;
  d.status = kStDrdy | kStDsc | kStDrq;
  d.irq = true;
  update_irq();
}

bool IdeChannel::atapi_load_blocks(unsigned unit) {
  DriveState& d = state_->drive[unit];
  BlockBackend* b = drives_[unit].backend;
  const uint32_t per = kCdBlock / kSectorSize;
  const uint32_t n = std::min<uint32_t>(d.remaining, kBufSize / kCdBlock);
  if (!b || !b->read(d.lba * per, n * per, d.buf.data())) return false;
  d.buf_pos = 0;
  d.buf_len = n * kCdBlock;
  d.lba += n;
  d.remaining -= n;
  return true;
}

void IdeChannel::atapi_read(unsigned unit, uint64_t lba, uint32_t blocks) {
  DriveState& d = state_->drive[unit];
  BlockBackend* b = drives_[unit].backend;
  if (!b) { atapi_error(unit, kSenseNotReady, kAscNoMedium); return; }
  const uint64_t capacity = b->sectors() / (kCdBlock / kSectorSize);
  if (lba > capacity || blocks > capacity - lba) {
    atapi_error(unit, kSenseIllegalRequest, kAscLbaOutOfRange);
    return;
  }
  if (blocks == 0) { atapi_ok(unit); return; }
  d.lba = lba;
  d.remaining = blocks;
  d.buf_pos = d.buf_len = 0;
  if (d.dma) {  // the DMA loop loads blocks as it goes
    d.xfer = Xfer::DmaIn;
    d.status = kStDrdy | kStDsc | kStDrq;
    request_dma();
    return;
  }
  atapi_next_chunk(unit);
}

void IdeChannel::packet(unsigned unit) {
  DriveState& d = state_->drive[unit];
  uint8_t cdb[12];
  std::memcpy(cdb, d.buf.data(), sizeof cdb);
  d.command = cdb[0];
  d.packet_cmd = true;
  d.xfer = Xfer::None;
  BlockBackend* b = drives_[unit].backend;
  const uint32_t capacity = b ? uint32_t(std::min<uint64_t>(b->sectors() / 4, 0xFFFFFFFFu)) : 0;
  uint8_t* out = d.buf.data();
  if (cdb[0] != kScsiRequestSense) d.sense_key = d.asc = d.ascq = 0;
  switch (cdb[0]) {
    case kScsiTestUnitReady:
      if (!b) atapi_error(unit, kSenseNotReady, kAscNoMedium);
      else atapi_ok(unit);
      return;
    case kScsiRequestSense: {
      std::memset(out, 0, 18);
      out[0] = 0x70;  // current error, fixed format
      out[2] = d.sense_key;
      out[7] = 10;    // additional length
      out[12] = d.asc;
      out[13] = d.ascq;
      d.sense_key = d.asc = d.ascq = 0;
      atapi_data(unit, std::min<uint32_t>(18, cdb[4]));
      return;
    }
    case kScsiInquiry: {
      std::memset(out, 0, 36);
      out[0] = 0x05;  // CD/DVD device
      out[1] = 0x80;  // removable
      out[2] = 0x00;
      out[3] = 0x21;  // ATAPI version 2, response data format 1
      out[4] = 31;    // additional length
      put_str(out + 8, "VMLAB", 8);
      put_str(out + 16, "CD-ROM", 16);
      put_str(out + 32, "0.1", 4);
      atapi_data(unit, std::min<uint32_t>(36, be16(cdb + 3)));
      return;
    }
    case kScsiReadCapacity:
      if (!b) { atapi_error(unit, kSenseNotReady, kAscNoMedium); return; }
      put_be32(out, capacity ? capacity - 1 : 0);  // last block
      put_be32(out + 4, kCdBlock);
      atapi_data(unit, 8);
      return;
    case kScsiRead10:
      atapi_read(unit, be32(cdb + 2), be16(cdb + 7));
      return;
    case kScsiRead12:
      atapi_read(unit, be32(cdb + 2), be32(cdb + 6));
      return;
    case kScsiReadToc: {
      if (!b) { atapi_error(unit, kSenseNotReady, kAscNoMedium); return; }
      const bool msf = cdb[1] & 0x02;
      uint8_t format = cdb[2] & 0x0F;
      if (format == 0) format = cdb[9] >> 6;  // the older (SFF-8020) place for the format
      const uint8_t start = cdb[6];
      uint32_t n = 4;
      out[2] = 1;  // first track / session
      out[3] = 1;  // last
      auto desc = [&](uint8_t track, uint32_t lba) {
        out[n] = 0; out[n + 1] = 0x14;  // ADR 1, data track
        out[n + 2] = track; out[n + 3] = 0;
        put_toc_addr(out + n + 4, lba, msf);
        n += 8;
      };
      if (format == 0) {
        if (start > 1 && start != 0xAA) { atapi_error(unit, kSenseIllegalRequest, kAscInvalidField); return; }
        if (start <= 1) desc(1, 0);
        desc(0xAA, capacity);  // lead-out
      } else if (format == 1) {  // session info: one session starting at track 1
        desc(1, 0);
      } else {
        atapi_error(unit, kSenseIllegalRequest, kAscInvalidField);
        return;
      }
      put_be16(out, n - 2);
      atapi_data(unit, std::min<uint32_t>(n, be16(cdb + 7)));
      return;
    }
    case kScsiModeSense6: case kScsiModeSense10: {
      const bool ten = cdb[0] == kScsiModeSense10;
      const uint8_t page = cdb[2] & 0x3F;
      const uint32_t hdr = ten ? 8 : 4;
      std::memset(out, 0, 64);
      uint32_t n = hdr;
      if (page == 0x01 || page == 0x3F) {  // read error recovery: defaults
        out[n] = 0x01; out[n + 1] = 0x0A;
        n += 12;
      }
      if (page == 0x2A || page == 0x3F) {  // CD capabilities and mechanical status (MMC-2)
        uint8_t* p = out + n;
        p[0] = 0x2A; p[1] = 0x12;
        p[6] = 0x29;                 // tray loader, eject, lock
        put_be16(p + 8, 706);        // maximum read speed, kB/s (4x)
        put_be16(p + 10, 0);
        put_be16(p + 12, 512);       // buffer, KiB
        put_be16(p + 14, 706);       // current read speed
        n += 20;
      }
      if (n == hdr) { atapi_error(unit, kSenseIllegalRequest, kAscInvalidField); return; }
      if (ten) { put_be16(out, n - 2); out[2] = 0x01; }   // 120 mm data CD
      else { out[0] = uint8_t(n - 1); out[1] = 0x01; }
      atapi_data(unit, std::min<uint32_t>(n, ten ? be16(cdb + 7) : cdb[4]));
      return;
    }
    case kScsiStartStopUnit: case kScsiPreventAllow: case kScsiSeek10:
      atapi_ok(unit);
      return;
    default:
      atapi_error(unit, kSenseIllegalRequest, kAscInvalidOpcode);
      return;
  }
}

}  // namespace vmlab::devices::ide
