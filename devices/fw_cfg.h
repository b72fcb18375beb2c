// QEMU's fw_cfg ("firmware configuration") device, traditional I/O interface only: the host
// publishes numbered items (RAM size, CPU count, named files such as ACPI tables) and firmware
// reads them a byte at a time. Facts from QEMU's docs/specs/fw_cfg.rst.
//
//   FwCfg cfg(ram_bytes, cpus);
//   cfg.add_file("etc/acpi/tables", bytes);   // selector 0x0020, 0x0021, ... in add order
//   io.add(0x510, 2, "fw_cfg", cfg);
//
// Ports (offsets from 0x510):
//   0 selector: a 16-bit write selects an item and rewinds its offset to 0.
//   1 data:     a byte read returns the next byte of the item; past its end (or for a selector
//               that names no item) reads return 0 and the offset stops moving.
// A byte read at offset 0 also reads the data stream, and a wider read returns consecutive data
// bytes (low byte first), both as QEMU's combined port does. Data-port writes are ignored (QEMU
// 2.4+), and so is a byte write to the selector; both are counted.
// The selector's bit 14 (the old "write channel" flag) is ignored when looking items up, as in
// QEMU; bit 15 (architecture-specific items, e.g. 0x8000+) is part of the key.
//
// Not implemented: the DMA interface (FW_CFG_ID bit 1 stays clear, there is no DMA port), the
// MMIO variant, and writable items.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include "machine/io_bus.h"

namespace vmlab::devices {

class FwCfg : public machine::BusDevice {
 public:
  // Item keys (docs/specs/fw_cfg.rst, "Selector Register ... Keys").
  static constexpr uint16_t kSignature = 0x0000, kId = 0x0001, kRamSize = 0x0003,
                            kNbCpus = 0x0005, kMaxCpus = 0x000F, kFileDir = 0x0019,
                            kFileFirst = 0x0020, kFileLast = 0x3FFF;
  static constexpr uint16_t kWriteChannel = 0x4000;  // ignored in the selector
  static constexpr uint32_t kFeatureTraditional = 1;  // FW_CFG_ID bit 0
  static constexpr size_t kFileNameSize = 56;         // including the terminating NUL
  static constexpr size_t kFileDirEntrySize = 64;     // u32 size, u16 select, u16 rsvd, name

  struct State {
    uint16_t selector = kSignature;  // last selector written (QEMU's reset selects key 0)
    uint32_t offset = 0;             // next byte of the selected item; never past its end
    bool operator==(const State&) const = default;
  };

  FwCfg(uint64_t ram_bytes, uint16_t cpus);

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; }
  State save() const { return state_; }
  void restore(const State& s);

  // Host configuration (not guest state: a snapshot is restored into a device configured the
  // same way). Keys in the file range or FILE_DIR throw std::invalid_argument.
  void set_bytes(uint16_t key, std::vector<uint8_t> bytes);
  void set_u16(uint16_t key, uint16_t v);  // little-endian, as QEMU's fw_cfg_add_i16
  void set_u32(uint16_t key, uint32_t v);
  void set_u64(uint16_t key, uint64_t v);
  // Adds a named file and returns its selector. Throws std::invalid_argument for an empty name,
  // a name of 56 bytes or more, a duplicate name, or when the selector range is full.
  uint16_t add_file(const std::string& name, std::vector<uint8_t> bytes);

  uint64_t ignored_writes() const { return ignored_writes_; }

 private:
  static uint16_t key_of(uint16_t selector) { return uint16_t(selector & ~kWriteChannel); }
  const std::vector<uint8_t>* item(uint16_t selector) const;
  uint8_t read_data();
  void rebuild_file_dir();

  State state_;
  std::map<uint16_t, std::vector<uint8_t>> items_;  // key -> contents
  std::vector<std::pair<std::string, uint16_t>> files_;  // name, selector, in add order
  uint64_t ignored_writes_ = 0;  // host-side statistic
};

}  // namespace vmlab::devices
