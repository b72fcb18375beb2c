// The PIIX bus-master IDE engine (SFF-8038i "Bus Master Programming Interface for IDE ATA
// Controllers"; PIIX3 datasheet 2.7): the 16-byte I/O block behind the IDE function's BAR4, one
// half per channel, that moves a DMA command's data between a drive and guest memory following
// a Physical Region Descriptor table.
//
//   BusMasterDma bm(mem, &primary, &secondary);       // IdeChannels; nullptr: channel absent
//   bm.set_master_enable([&] { return ide_fn.command() & kCmdBusMaster; });
//   io.add(bar4_base, 16, "ide-busmaster", bm);        // Piix3Ide::attach_bus_master does this
//
// Registers (offset within each 8-byte half: primary at 0, secondary at 8):
//   0 command: bit 0 start/stop, bit 3 direction (1 = the bus master writes memory)
//   2 status:  bit 0 active (RO), bit 1 error (RW1C), bit 2 interrupt (RW1C),
//              bits 5/6 drive 0/1 DMA capable (RW, for the BIOS), bit 7 simplex (0)
//   4 PRD table address (dword aligned; bits 1-0 read zero)
// A PRD is 8 bytes: the region's physical address (bit 0 zero), its byte count (bit 0 zero,
// 0 = 64 KiB) and, in bit 31 of the second dword, end of table (EOT).
//
// The transfer runs in one go as soon as the engine is started and the selected drive waits
// for DMA (in either order), and only while the PCI command register enables bus mastering.
// Outcomes (SFF-8038i table 2):
//   transfer done, PRDs used up exactly   -> active 0, interrupt 1
//   transfer done, PRD bytes left over    -> active 1, interrupt 1
//   PRDs used up first                    -> active 0, interrupt 0 (the drive keeps waiting)
//   bad PRD table                         -> active 0, error 1; the drive aborts the command
//                                            (ERR/ABRT and an interrupt), so interrupt is 1
// "Bad" is what the spec forbids or what a PCI master abort would be: a region or a table
// that crosses a 64 KiB boundary, or memory that is not RAM (outside RAM, ROM, the VGA/BIOS
// hole). The direction bit disagreeing with the drive's command is treated the same way.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "devices/ide/ide_channel.h"
#include "machine/guest_memory.h"
#include "machine/io_bus.h"

namespace vmlab::devices::ide {

class BusMasterDma : public machine::BusDevice {
 public:
  static constexpr uint32_t kSize = 16;

  struct Channel {
    uint8_t command = 0;     // start (bit 0), direction (bit 3)
    uint8_t status = 0;      // active, error, interrupt, drive DMA capable
    uint32_t prdt = 0;       // PRD table address
    // Where the engine is in the table while active.
    uint32_t next_prd = 0;   // address of the next descriptor to fetch
    uint32_t cur_addr = 0;   // current region: next byte
    uint32_t cur_left = 0;   // bytes left in the current region
    bool eot = false;        // the current region is the last one
    bool operator==(const Channel&) const = default;
  };
  struct State {
    std::array<Channel, 2> ch{};
    bool operator==(const State&) const = default;
  };

  BusMasterDma(machine::GuestMemory& mem, IdeChannel* primary, IdeChannel* secondary);
  BusMasterDma(const BusMasterDma&) = delete;
  BusMasterDma& operator=(const BusMasterDma&) = delete;

  // PCI command register bit 2 (bus master enable); default: always enabled.
  void set_master_enable(std::function<bool()> fn) { master_enable_ = std::move(fn); }
  // Bus mastering was just enabled: run a transfer that was started and waiting for it.
  void master_enabled() { try_transfer(0); try_transfer(1); }

  uint32_t read(uint64_t offset, unsigned width) override;
  void write(uint64_t offset, unsigned width, uint32_t value) override;
  void reset() { state_ = State{}; }
  State save() const { return state_; }
  void restore(const State& s);

  uint64_t bad_prds() const { return bad_prds_; }  // guest errors answered with status.error

 private:
  enum class Move { Ok, Short, Bad };
  uint8_t read_byte(unsigned off) const;
  void write_byte(unsigned off, uint8_t v);
  void try_transfer(unsigned c);
  uint32_t move(unsigned c, uint8_t* data, uint32_t len, bool to_memory, Move* why);
  bool fetch_prd(unsigned c);

  State state_;
  machine::GuestMemory& mem_;
  std::array<IdeChannel*, 2> channels_;
  std::function<bool()> master_enable_;
  uint64_t bad_prds_ = 0;
  bool logged_ = false;
};

static_assert(std::is_trivially_copyable_v<BusMasterDma::State>);

}  // namespace vmlab::devices::ide
