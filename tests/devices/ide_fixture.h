// Shared rig for the IDE tests: one channel at 0x1F0/0x3F6 on an IoBus with an in-memory disk
// (and optionally a slave CD-ROM), driven through ports the way a driver does.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "devices/ide/block_backend.h"
#include "devices/ide/ide_channel.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::test {

using devices::ide::BlockBackend;
using devices::ide::DriveKind;
using devices::ide::IdeChannel;

// Sector s of the test disk holds bytes (s * 7 + i) & 0xFF, with the LBA in its first 4 bytes.
inline uint8_t disk_byte(uint64_t lba, unsigned i) {
  if (i < 4) return uint8_t(lba >> (8 * i));
  return uint8_t(lba * 7 + i);
}

struct IdeRig {
  static constexpr uint16_t kCmd = 0x1F0, kCtl = 0x3F6;
  machine::IrqLine irq;
  int irq_edges = 0;
  std::unique_ptr<BlockBackend> disk;
  std::unique_ptr<BlockBackend> cd;
  IdeChannel ch{&irq};
  machine::IoBus io;

  explicit IdeRig(uint64_t sectors = 2048, uint64_t cd_blocks = 0, bool disk_present = true) {
    irq.connect([this](bool level) { if (level) irq_edges++; });
    if (disk_present) {
      disk = BlockBackend::memory(sectors);
      std::vector<uint8_t> sec(512);
      for (uint64_t s = 0; s < sectors; ++s) {
        for (unsigned i = 0; i < 512; ++i) sec[i] = disk_byte(s, i);
        disk->write(s, 1, sec.data());
      }
      disk->sectors_written = 0;
      ch.attach(0, DriveKind::Disk, disk.get(), "VMTEST0001");
    }
    if (cd_blocks) {
      cd = BlockBackend::memory(cd_blocks * 4, true);
      ch.attach(1, DriveKind::Cdrom, cd.get(), "VMCD0001");
    }
    io.add(kCmd, 8, "ide0", ch.command_block());
    io.add(kCtl, 1, "ide0-ctl", ch.control_block());
  }
  uint8_t in(unsigned reg) { return uint8_t(io.read(kCmd + reg, 1)); }
  void out(unsigned reg, uint8_t v) { io.write(kCmd + reg, 1, v); }
  uint16_t inw() { return uint16_t(io.read(kCmd, 2)); }
  void outw(uint16_t v) { io.write(kCmd, 2, v); }
  uint8_t alt_status() { return uint8_t(io.read(kCtl, 1)); }
  void control(uint8_t v) { io.write(kCtl, 1, v); }
  // LBA28 task file + command.
  void lba28(uint32_t lba, uint8_t count, uint8_t cmd, unsigned dev = 0) {
    out(6, uint8_t(0xE0 | dev << 4 | ((lba >> 24) & 0x0F)));
    out(2, count);
    out(3, uint8_t(lba));
    out(4, uint8_t(lba >> 8));
    out(5, uint8_t(lba >> 16));
    out(7, cmd);
  }
  // LBA48: high bytes first (they move into the "previous" half of each register pair).
  void lba48(uint64_t lba, uint16_t count, uint8_t cmd) {
    out(6, 0x40);
    out(2, uint8_t(count >> 8));
    out(3, uint8_t(lba >> 24));
    out(4, uint8_t(lba >> 32));
    out(5, uint8_t(lba >> 40));
    out(2, uint8_t(count));
    out(3, uint8_t(lba));
    out(4, uint8_t(lba >> 8));
    out(5, uint8_t(lba >> 16));
    out(7, cmd);
  }
  std::vector<uint8_t> read_data(size_t bytes) {
    std::vector<uint8_t> v;
    for (size_t i = 0; i < bytes; i += 2) {
      uint16_t w = inw();
      v.push_back(uint8_t(w));
      v.push_back(uint8_t(w >> 8));
    }
    return v;
  }
  void write_data(const std::vector<uint8_t>& v) {
    for (size_t i = 0; i + 1 < v.size(); i += 2) outw(uint16_t(v[i] | v[i + 1] << 8));
  }
  bool sector_ok(const std::vector<uint8_t>& v, size_t off, uint64_t lba) {
    for (unsigned i = 0; i < 512; ++i)
      if (v[off + i] != disk_byte(lba, i)) return false;
    return true;
  }
};

}  // namespace vmlab::test
