// One IDE channel (ATA/ATAPI-6): a command block of 8 ports (0x1F0-0x1F7 primary, 0x170-0x177
// secondary), a control block port (0x3F6 / 0x376: alternate status / device control), up to
// two drives (master and slave: ATA disks on raw images or ATAPI CD-ROMs on ISO files) and the
// INTRQ line (IRQ 14 / 15).
//
//   auto img = BlockBackend::open("disk.img", {});
//   IdeChannel ch(&irq14);
//   ch.attach(0, DriveKind::Disk, img.get(), "VM00001");
//   io.add(0x1F0, 8, "ide0", ch.command_block());
//   io.add(0x3F6, 1, "ide0-ctl", ch.control_block());
//
// Every command completes synchronously: a PIO read has its first block ready (DRQ) when the
// command register write returns; a DMA command waits (DRQ set) until the bus-master engine
// (bus_master.h) is started and moves the data in one go. Both drives latch every command
// block write (each has its own task file, as real drives do); reads come from the selected
// drive. With the slave selected but absent, status reads 0 and the other registers show the
// values written; with no drive at all the bus floats (0xFF).
//
// Register map (offset: read / write), ATA-6 section 7:
//   0 data (16 bits; a 32-bit access moves two words)   1 error / features
//   2 sector count / ATAPI interrupt reason             3 LBA low (sector number)
//   4 LBA mid (cylinder low; ATAPI byte count low)      5 LBA high (cylinder high)
//   6 device/head                                       7 status (clears INTRQ) / command
//   control block: alternate status (no INTRQ side effect) / device control (nIEN, SRST, HOB)
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>

#include "devices/ide/ata_regs.h"
#include "devices/ide/block_backend.h"
#include "machine/io_bus.h"
#include "machine/irq.h"

namespace vmlab::devices::ide {

enum class DriveKind : uint8_t { None, Disk, Cdrom };

// What the drive's data phase is doing.
enum class Xfer : uint8_t {
  None,        // no data phase (DRQ clear)
  PioIn,       // device -> host through the data port
  PioOut,      // host -> device through the data port
  DmaIn,       // device -> memory, waiting for / running the bus master
  DmaOut,      // memory -> device
  Packet,      // ATAPI: receiving the 12-byte command packet
};

class IdeChannel {
 public:
  static constexpr uint32_t kBufSize = 64 * 1024;    // one DRQ block / DMA chunk
  static constexpr uint16_t kMaxMultiple = 16;       // IDENTIFY word 47: sectors per DRQ block
  static constexpr uint32_t kCdBlock = 2048;

  // The registers of the ATA command block as one drive latches them. The "hob" copies are the
  // previous contents (LBA48 register pairs, read back with device control HOB set).
  struct TaskFile {
    uint8_t features = 0, count = 1, lba_low = 1, lba_mid = 0, lba_high = 0;
    uint8_t hob_features = 0, hob_count = 0, hob_lba_low = 0, hob_lba_mid = 0, hob_lba_high = 0;
    uint8_t device = 0;   // DEV (bit 4), LBA (bit 6), head / LBA 27:24 (bits 3-0)
    bool operator==(const TaskFile&) const = default;
  };

  struct DriveState {
    TaskFile tf;
    uint8_t status = kStDrdy | kStDsc;  // power-on: ready (a CD-ROM reports 0: see reset())
    uint8_t error = 0x01;               // diagnostic code: no error detected
    bool irq = false;                   // INTRQ requested (cleared by reading status)
    Xfer xfer = Xfer::None;
    uint8_t command = 0;                // command of the data phase (ATAPI: packet opcode)
    uint32_t buf_pos = 0, buf_len = 0;  // data phase window in `buf`
    uint64_t lba = 0;                   // next sector (CD: 2048-byte block) to load / store
    uint32_t remaining = 0;             // sectors (blocks) not yet moved to/from the image
    uint16_t block = 1;                 // sectors per DRQ block of the running command
    uint16_t multiple = 0;              // SET MULTIPLE value, 0 = READ/WRITE MULTIPLE disabled
    uint16_t heads = 16, spt = 63;      // current CHS translation (INITIALIZE DEVICE PARAMETERS)
    uint8_t xfer_mode = 0x22;           // SET FEATURES 03h value: default MWDMA 2
    // ATAPI
    uint16_t byte_limit = 0;            // host's byte count limit for each DRQ chunk
    uint32_t chunk_left = 0;            // bytes left in the current DRQ chunk
    bool dma = false;                   // the packet asked for DMA (features bit 0)
    bool packet_cmd = false;            // a PACKET command is running (chunked data phase)
    uint8_t sense_key = 0, asc = 0, ascq = 0;  // REQUEST SENSE data
    std::array<uint8_t, kBufSize> buf{};
    bool operator==(const DriveState&) const = default;
  };

  struct State {
    std::array<DriveState, 2> drive{};
    uint8_t control = 0;     // device control: nIEN, SRST, HOB
    bool operator==(const State&) const = default;
  };

  explicit IdeChannel(machine::IrqLine* irq);
  IdeChannel(const IdeChannel&) = delete;
  IdeChannel& operator=(const IdeChannel&) = delete;

  // Host configuration (before reset): unit 0 master, 1 slave. `backend` must outlive the
  // channel; nullptr with DriveKind::Cdrom is an empty drive.
  void attach(unsigned unit, DriveKind kind, BlockBackend* backend, std::string serial);
  DriveKind kind(unsigned unit) const { return drives_[unit & 1].kind; }
  bool has_drives() const { return drives_[0].kind != DriveKind::None || drives_[1].kind != DriveKind::None; }

  machine::BusDevice& command_block() { return command_port_; }
  machine::BusDevice& control_block() { return control_port_; }

  void reset();  // power-on / hardware reset: both drives get their signature
  State save() const { return *state_; }
  void restore(const State& s);
  bool intrq() const;  // the INTRQ pin

  // Bus-master side. The selected drive waits for DMA: its direction (true: device -> memory).
  bool dma_requested(bool* to_memory) const;
  // Moves data for the waiting DMA command. `move(data, len)` copies between the drive's buffer
  // and guest memory (direction as above) and returns how many bytes it moved; fewer than `len`
  // means the PRD table ended or failed and the drive keeps waiting at that byte. Returns true
  // when the command completed (INTRQ raised).
  bool dma_transfer(const std::function<uint32_t(uint8_t* data, uint32_t len)>& move);
  // The bus master failed (PRD outside RAM...): the drive ends the command with ABRT.
  void dma_abort();

  // Host hooks for the bus master: called when INTRQ rises (its status INTR bit), and when
  // a drive starts waiting for DMA (a bus master already started can run at once).
  void on_interrupt(std::function<void()> fn) { on_interrupt_ = std::move(fn); }
  void on_dma_request(std::function<void()> fn) { on_dma_request_ = std::move(fn); }

  uint64_t bad_accesses() const { return bad_accesses_; }

 private:
  struct Drive {  // host side, not device state
    DriveKind kind = DriveKind::None;
    BlockBackend* backend = nullptr;
    std::string serial;
    uint64_t sectors = 0;
    uint16_t cylinders = 0;  // default geometry: 16 heads, 63 sectors per track
  };
  class CommandPort : public machine::BusDevice {
   public:
    explicit CommandPort(IdeChannel& c) : c_(c) {}
    uint32_t read(uint64_t offset, unsigned width) override;
    void write(uint64_t offset, unsigned width, uint32_t value) override;
   private:
    IdeChannel& c_;
  };
  class ControlPort : public machine::BusDevice {
   public:
    explicit ControlPort(IdeChannel& c) : c_(c) {}
    uint32_t read(uint64_t offset, unsigned width) override;
    void write(uint64_t offset, unsigned width, uint32_t value) override;
   private:
    IdeChannel& c_;
  };

  // ide_channel.cpp: registers
  unsigned selected() const { return (state_->drive[0].tf.device & kDevSlave) ? 1 : 0; }
  DriveState& sel() { return state_->drive[selected()]; }
  bool present(unsigned unit) const { return drives_[unit].kind != DriveKind::None; }
  uint8_t read_reg(unsigned reg);
  void write_reg(unsigned reg, uint8_t v);
  uint8_t status_now(unsigned unit) const;
  uint32_t data_read(unsigned width);
  void data_write(unsigned width, uint32_t v);
  void write_control(uint8_t v);
  void set_signature(unsigned unit, bool select_master = true);
  void update_irq();
  void request_dma() { if (on_dma_request_) on_dma_request_(); }

  // ata_commands.cpp: the ATA command set
  void execute(unsigned unit, uint8_t cmd);
  void execute_disk(unsigned unit, uint8_t cmd);
  void finish(DriveState& d, uint8_t error = 0);           // end of command, INTRQ
  void abort(DriveState& d) { finish(d, kErrAbrt); }
  bool decode_address(unsigned unit, bool lba48, uint64_t* lba, uint32_t* count);
  bool check_range(unsigned unit, uint64_t lba, uint32_t count);
  void set_address(DriveState& d, bool lba48, uint64_t lba);
  void start_read(unsigned unit, uint64_t lba, uint32_t count, uint16_t block, bool dma);
  void start_write(unsigned unit, uint64_t lba, uint32_t count, uint16_t block, bool dma);
  bool load_block(unsigned unit);   // PIO/DMA in: next block of sectors into buf
  bool store_block(unsigned unit);  // PIO/DMA out: buf to the image
  void pio_in_drained(unsigned unit);
  void pio_out_filled(unsigned unit);
  void set_features(unsigned unit);
  void diagnostic();

  // atapi.cpp: PACKET and the SCSI/MMC commands of a CD-ROM
  void execute_cdrom(unsigned unit, uint8_t cmd);
  void packet(unsigned unit);
  void atapi_data(unsigned unit, uint32_t len);   // buf[0, len) goes to the host
  void atapi_next_chunk(unsigned unit);
  bool atapi_load_blocks(unsigned unit);
  void atapi_ok(unsigned unit);
  void atapi_error(unsigned unit, uint8_t key, uint8_t asc);
  void atapi_read(unsigned unit, uint64_t lba, uint32_t blocks);

  std::unique_ptr<State> state_;  // heap: 128 KiB of buffers
  std::array<Drive, 2> drives_;
  machine::IrqLine* irq_;
  CommandPort command_port_{*this};
  ControlPort control_port_{*this};
  uint64_t bad_accesses_ = 0;  // odd widths, writes to an absent drive...
  bool intrq_level_ = false;   // last INTRQ level seen (edge detection for on_interrupt_)
  std::function<void()> on_interrupt_, on_dma_request_;
};

// Snapshots copy the state as bytes.
static_assert(std::is_trivially_copyable_v<IdeChannel::State>);

// IDENTIFY DEVICE / IDENTIFY PACKET DEVICE data (ata_identify.cpp), as 256 little-endian words.
struct IdentifyParams {
  uint64_t sectors = 0;
  uint16_t cylinders = 0, heads = 16, spt = 63;  // default geometry
  uint16_t cur_heads = 16, cur_spt = 63;         // current translation
  uint16_t multiple = 0;                         // current SET MULTIPLE value
  uint8_t xfer_mode = 0x22;                      // SET FEATURES transfer mode
  std::string serial, model;
};
void build_identify_disk(const IdentifyParams& p, uint8_t out[512]);
void build_identify_packet(const IdentifyParams& p, uint8_t out[512]);

}  // namespace vmlab::devices::ide
