// The ATA command set of the IDE disk (ATA/ATAPI-6 section 8), and the parts of command
// execution shared with the ATAPI CD-ROM: diagnostics, SET FEATURES. (DMA data: ide_dma.cpp.)
#include <algorithm>
#include <cstring>

#include "devices/ide/ide_channel.h"

namespace vmlab::devices::ide {


void IdeChannel::execute(unsigned unit, uint8_t cmd) {
  DriveState& d = state_->drive[unit];
  d.xfer = Xfer::None;
  d.buf_pos = d.buf_len = 0;
  d.chunk_left = 0;
  d.command = cmd;
  d.packet_cmd = false;
  d.status &= uint8_t(~(kStErr | kStDrq));
  d.irq = false;  // writing the command register negates INTRQ (ATA-6 5.2.9)
  update_irq();
  if (cmd == kCmdDiagnostic) { diagnostic(); return; }
  if (drives_[unit].kind == DriveKind::Cdrom) execute_cdrom(unit, cmd);
  else execute_disk(unit, cmd);
}

void IdeChannel::finish(DriveState& d, uint8_t error) {
  d.xfer = Xfer::None;
  d.remaining = 0;
  d.error = error;
  d.status = uint8_t(kStDrdy | kStDsc | (error ? kStErr : 0));
  d.irq = true;
  update_irq();
}

// The command's starting address and sector count from the task file. CHS needs the current
// translation; an address that does not exist in it is IDNF.
bool IdeChannel::decode_address(unsigned unit, bool lba48, uint64_t* lba, uint32_t* count) {
  const DriveState& d = state_->drive[unit];
  const TaskFile& tf = d.tf;
  if (lba48) {
    *lba = uint64_t(tf.lba_low) | uint64_t(tf.lba_mid) << 8 | uint64_t(tf.lba_high) << 16 |
           uint64_t(tf.hob_lba_low) << 24 | uint64_t(tf.hob_lba_mid) << 32 |
           uint64_t(tf.hob_lba_high) << 40;
    uint32_t n = uint32_t(tf.count) | uint32_t(tf.hob_count) << 8;
    *count = n ? n : 65536;
    return true;
  }
  *count = tf.count ? tf.count : 256;
  if (tf.device & kDevLba) {
    *lba = uint64_t(tf.lba_low) | uint64_t(tf.lba_mid) << 8 | uint64_t(tf.lba_high) << 16 |
           uint64_t(tf.device & 0x0F) << 24;
    return true;
  }
  const uint32_t cyl = uint32_t(tf.lba_mid) | uint32_t(tf.lba_high) << 8;
  const uint32_t head = tf.device & 0x0F, sector = tf.lba_low;
  if (sector == 0 || sector > d.spt || head >= d.heads) return false;
  *lba = (uint64_t(cyl) * d.heads + head) * d.spt + (sector - 1);
  return true;
}

bool IdeChannel::check_range(unsigned unit, uint64_t lba, uint32_t count) {
  const uint64_t n = drives_[unit].sectors;
  return lba <= n && count <= n - lba;
}

// After a command the task file holds the address of the last sector handled (ATA-6 8.x
// "Normal outputs"); the count register counts down to zero.
void IdeChannel::set_address(DriveState& d, bool lba48, uint64_t lba) {
  TaskFile& tf = d.tf;
  tf.count = 0;
  if (lba48) {
    tf.lba_low = uint8_t(lba); tf.lba_mid = uint8_t(lba >> 8); tf.lba_high = uint8_t(lba >> 16);
    tf.hob_lba_low = uint8_t(lba >> 24); tf.hob_lba_mid = uint8_t(lba >> 32);
    tf.hob_lba_high = uint8_t(lba >> 40); tf.hob_count = 0;
  } else if (tf.device & kDevLba) {
    tf.lba_low = uint8_t(lba); tf.lba_mid = uint8_t(lba >> 8); tf.lba_high = uint8_t(lba >> 16);
    tf.device = uint8_t((tf.device & 0xF0) | ((lba >> 24) & 0x0F));
  } else {
    const uint64_t track = lba / d.spt;
    const uint64_t cyl = track / d.heads;
    tf.lba_low = uint8_t(lba % d.spt + 1);
    tf.lba_mid = uint8_t(cyl); tf.lba_high = uint8_t(cyl >> 8);
    tf.device = uint8_t((tf.device & 0xF0) | (track % d.heads));
  }
}

void IdeChannel::execute_disk(unsigned unit, uint8_t cmd) {
  DriveState& d = state_->drive[unit];
  uint64_t lba = 0;
  uint32_t count = 0;
  const bool ext = is_lba48_command(cmd);
  switch (cmd) {
    case kCmdReadSectors: case kCmdReadSectorsNoRetry: case kCmdReadSectorsExt:
    case kCmdReadMultiple: case kCmdReadMultipleExt:
    case kCmdReadDma: case kCmdReadDmaNoRetry: case kCmdReadDmaExt:
    case kCmdWriteSectors: case kCmdWriteSectorsNoRetry: case kCmdWriteSectorsExt:
    case kCmdWriteMultiple: case kCmdWriteMultipleExt:
    case kCmdWriteDma: case kCmdWriteDmaNoRetry: case kCmdWriteDmaExt: {
      const bool multiple = cmd == kCmdReadMultiple || cmd == kCmdReadMultipleExt ||
                            cmd == kCmdWriteMultiple || cmd == kCmdWriteMultipleExt;
      const bool dma = cmd == kCmdReadDma || cmd == kCmdReadDmaNoRetry || cmd == kCmdReadDmaExt ||
                       cmd == kCmdWriteDma || cmd == kCmdWriteDmaNoRetry || cmd == kCmdWriteDmaExt;
      const bool write = (cmd >= kCmdWriteSectors && cmd <= kCmdWriteMultipleExt) ||
                         cmd == kCmdWriteMultiple || cmd == kCmdWriteDma || cmd == kCmdWriteDmaNoRetry;
      if (multiple && d.multiple == 0) { abort(d); return; }  // SET MULTIPLE not done
      if (!decode_address(unit, ext, &lba, &count) || !check_range(unit, lba, count)) {
        finish(d, kErrIdnf);
        return;
      }
      const uint16_t block = dma ? uint16_t(kBufSize / kSectorSize) : multiple ? d.multiple : 1;
      if (write) start_write(unit, lba, count, block, dma);
      else start_read(unit, lba, count, block, dma);
      return;
    }
    case kCmdReadVerify: case kCmdReadVerifyNoRetry: case kCmdReadVerifyExt:
      if (!decode_address(unit, ext, &lba, &count) || !check_range(unit, lba, count)) {
        finish(d, kErrIdnf);
        return;
      }
      set_address(d, ext, lba + count - 1);
      finish(d);
      return;
    case kCmdSeek:
      if (!decode_address(unit, false, &lba, &count) || lba >= drives_[unit].sectors) {
        finish(d, kErrIdnf);
        return;
      }
      finish(d);
      return;
    case kCmdSetMultiple: {
      const uint8_t n = d.tf.count;  // 0 disables; otherwise a power of two up to word 47
      if (n > kMaxMultiple || (n & (n - 1))) { abort(d); return; }
      d.multiple = n;
      finish(d);
      return;
    }
    case kCmdInitParams: {
      const uint16_t spt = d.tf.count, heads = uint16_t((d.tf.device & 0x0F) + 1);
      if (spt == 0) { abort(d); return; }
      d.spt = spt;
      d.heads = heads;
      finish(d);
      return;
    }
    case kCmdIdentify: {
      IdentifyParams p;
      const Drive& dr = drives_[unit];
      p.sectors = dr.sectors;
      p.cylinders = dr.cylinders;
      p.cur_heads = d.heads;
      p.cur_spt = d.spt;
      p.multiple = d.multiple;
      p.xfer_mode = d.xfer_mode;
      p.serial = dr.serial;
      p.model = "VMLAB HARDDISK";
      build_identify_disk(p, d.buf.data());
      d.buf_pos = 0;
      d.buf_len = 512;
      d.remaining = 0;
      d.xfer = Xfer::PioIn;
      d.error = 0;
      d.status = kStDrdy | kStDsc | kStDrq;
      d.irq = true;
      update_irq();
      return;
    }
    case kCmdSetFeatures:
      set_features(unit);
      return;
    case kCmdFlushCache: case kCmdFlushCacheExt:
      // The data is in the host's page cache since each write returned; fsync makes it durable.
      finish(d, drives_[unit].backend && drives_[unit].backend->flush() ? 0 : kErrAbrt);
      return;
    case kCmdCheckPowerMode:
      d.tf.count = 0xFF;  // active or idle
      finish(d);
      return;
    case kCmdStandbyImmediate: case kCmdIdleImmediate: case kCmdStandby: case kCmdIdle:
    case kCmdSleep: case 0x94: case 0x95: case 0x96: case 0x97: case 0x99:
      finish(d);  // power management: the image never spins down
      return;
    default:
      if ((cmd & 0xF0) == kCmdRecalibrate) { finish(d); return; }  // no heads to move
      abort(d);  // NOP, DEVICE RESET, PACKET, IDENTIFY PACKET and everything unknown
      return;
  }
}

void IdeChannel::start_read(unsigned unit, uint64_t lba, uint32_t count, uint16_t block, bool dma) {
  DriveState& d = state_->drive[unit];
  d.lba = lba;
  d.remaining = count;
  d.block = block;
  d.error = 0;
  if (dma) {  // waits for the bus master
    d.xfer = Xfer::DmaIn;
    d.status = kStDrdy | kStDsc | kStDrq;
    request_dma();
    return;
  }
  d.xfer = Xfer::PioIn;
  if (!load_block(unit)) { finish(d, kErrUnc); return; }
  d.status = kStDrdy | kStDsc | kStDrq;
  d.irq = true;  // every DRQ block of a PIO read is announced by an interrupt
  update_irq();
}

void IdeChannel::start_write(unsigned unit, uint64_t lba, uint32_t count, uint16_t block, bool dma) {
  DriveState& d = state_->drive[unit];
  d.lba = lba;
  d.remaining = count;
  d.block = block;
  d.error = 0;
  d.buf_pos = 0;
  d.buf_len = std::min<uint32_t>(count, block) * kSectorSize;
  d.xfer = dma ? Xfer::DmaOut : Xfer::PioOut;
  d.status = kStDrdy | kStDsc | kStDrq;  // the first block of a PIO write: no interrupt
  if (dma) request_dma();
}

bool IdeChannel::load_block(unsigned unit) {
  DriveState& d = state_->drive[unit];
  const uint32_t n = std::min<uint32_t>(d.remaining, d.block);
  BlockBackend* b = drives_[unit].backend;
  if (!b || !b->read(d.lba, n, d.buf.data())) return false;
  d.buf_pos = 0;
  d.buf_len = n * kSectorSize;
  d.lba += n;
  d.remaining -= n;
  return true;
}

bool IdeChannel::store_block(unsigned unit) {
  DriveState& d = state_->drive[unit];
  const uint32_t n = d.buf_len / kSectorSize;
  BlockBackend* b = drives_[unit].backend;
  if (!b || !b->write(d.lba, n, d.buf.data())) return false;
  d.lba += n;
  d.remaining -= n;
  return true;
}

void IdeChannel::pio_in_drained(unsigned unit) {
  DriveState& d = state_->drive[unit];
  if (d.packet_cmd) { atapi_next_chunk(unit); return; }
  if (d.remaining == 0) {  // last block read: no interrupt at the end of a PIO read
    if (d.command != kCmdIdentify && d.command != kCmdIdentifyPacket)
      set_address(d, is_lba48_command(d.command), d.lba - 1);
    d.xfer = Xfer::None;
    d.status = kStDrdy | kStDsc;
    return;
  }
  if (!load_block(unit)) { finish(d, kErrUnc); return; }
  d.irq = true;
  update_irq();
}

void IdeChannel::pio_out_filled(unsigned unit) {
  DriveState& d = state_->drive[unit];
  if (!store_block(unit)) { abort(d); return; }  // read-only image or host I/O error
  if (d.remaining == 0) {
    set_address(d, is_lba48_command(d.command), d.lba - 1);
    finish(d);
    return;
  }
  d.buf_pos = 0;
  d.buf_len = std::min<uint32_t>(d.remaining, d.block) * kSectorSize;
  d.irq = true;  // next block wanted
  update_irq();
}

void IdeChannel::set_features(unsigned unit) {
  DriveState& d = state_->drive[unit];
  const uint8_t mode = d.tf.count;
  switch (d.tf.features) {
    case 0x03:  // set transfer mode: PIO default/0-4, multiword DMA 0-2, Ultra DMA 0-5
      if (mode <= 0x01 || (mode >= 0x08 && mode <= 0x0C)) break;
      if ((mode >= 0x20 && mode <= 0x22) || (mode >= 0x40 && mode <= 0x45)) { d.xfer_mode = mode; break; }
      abort(d);
      return;
    case 0x02: case 0x82:  // write cache on/off: the host page cache stays, FLUSH still syncs
    case 0xAA: case 0x55:  // read look-ahead on/off
    case 0x66: case 0xCC:  // keep / revert to power-on defaults
      break;
    default:
      abort(d);
      return;
  }
  finish(d);
}

// EXECUTE DEVICE DIAGNOSTIC: both drives run it and report their signature; device 0 posts the
// result for both (01h: device 0 passed, device 1 passed or absent) and interrupts.
void IdeChannel::diagnostic() {
  for (unsigned u = 0; u < 2; ++u) {
    if (!present(u)) continue;
    DriveState& d = state_->drive[u];
    set_signature(u);
    d.xfer = Xfer::None;
    d.remaining = 0;
    d.error = 0x01;
    d.status = drives_[u].kind == DriveKind::Disk ? uint8_t(kStDrdy | kStDsc) : 0;
  }
  for (DriveState& d : state_->drive) d.tf.device = 0;  // device 0 selected afterwards
  const unsigned u = present(0) ? 0 : 1;
  state_->drive[u].irq = true;
  update_irq();
}

}  // namespace vmlab::devices::ide
