// IDE channel: the command and control block registers, reset, signatures and INTRQ (see
// ide_channel.h). Command execution is in ata_commands.cpp and atapi.cpp.
#include "devices/ide/ide_channel.h"

#include <algorithm>
#include <cstring>

namespace vmlab::devices::ide {

IdeChannel::IdeChannel(machine::IrqLine* irq) : state_(std::make_unique<State>()), irq_(irq) {}

void IdeChannel::attach(unsigned unit, DriveKind kind, BlockBackend* backend, std::string serial) {
  Drive& d = drives_[unit & 1];
  d.kind = kind;
  d.backend = backend;
  d.serial = std::move(serial);
  d.sectors = backend ? backend->sectors() : 0;
  // Default geometry: 16 heads, 63 sectors per track, as many cylinders as fit (at most 16383,
  // the ATA limit for word 1; larger disks are reached through LBA) and, as QEMU, at least 2:
  // SeaBIOS refuses every CHS access to a disk that reports 0 cylinders.
  d.cylinders = uint16_t(std::clamp<uint64_t>(d.sectors / (16 * 63), d.sectors ? 2 : 0, 16383));
  reset();
}

// The signature a drive leaves in its task file after power-on, reset or diagnostics (ATA-6
// 9.12): count 1, LBA low 1, LBA mid/high 0000h for ATA and EB14h for ATAPI (PACKET devices).
void IdeChannel::set_signature(unsigned unit, bool select_master) {
  TaskFile& tf = state_->drive[unit].tf;
  tf.count = 1;
  tf.lba_low = 1;
  const bool atapi = drives_[unit].kind == DriveKind::Cdrom;
  tf.lba_mid = atapi ? 0x14 : 0x00;
  tf.lba_high = atapi ? 0xEB : 0x00;
  if (select_master) tf.device = 0;
}

void IdeChannel::reset() {
  *state_ = State{};
  for (unsigned u = 0; u < 2; ++u) {
    set_signature(u);
    DriveState& d = state_->drive[u];
    // An ATAPI device clears DRDY after reset until it sees IDENTIFY PACKET DEVICE / PACKET
    // (ATA-6 9.12, "DRDY ... shall be cleared to zero" for PACKET devices).
    d.status = drives_[u].kind == DriveKind::Disk ? uint8_t(kStDrdy | kStDsc) : 0;
  }
  update_irq();
}

void IdeChannel::restore(const State& s) {
  *state_ = s;
  State& st = *state_;
  st.control &= kCtlNien | kCtlSrst | kCtlHob;
  for (DriveState& d : st.drive) {
    if (d.xfer > Xfer::Packet) d.xfer = Xfer::None;
    if (d.buf_len > kBufSize) d.buf_len = kBufSize;
    if (d.buf_pos > d.buf_len) d.buf_pos = d.buf_len;
    if (d.multiple > kMaxMultiple || (d.multiple & (d.multiple - 1))) d.multiple = 0;
    if (d.block == 0 || d.block > kBufSize / kSectorSize) d.block = 1;
    if (d.heads == 0 || d.heads > 16) d.heads = 16;
    if (d.spt == 0) d.spt = 63;
    d.status &= ~kStBsy;
  }
  intrq_level_ = intrq();  // a restored line is not a new edge
  if (irq_) irq_->set(intrq_level_);
}

// INTRQ: driven by the selected drive only, and only while nIEN is clear (ATA-6 5.2.9).
bool IdeChannel::intrq() const {
  if (state_->control & kCtlNien) return false;
  unsigned s = (state_->drive[0].tf.device & kDevSlave) ? 1 : 0;
  return present(s) && state_->drive[s].irq;
}

void IdeChannel::update_irq() {
  const bool level = intrq();
  if (irq_) irq_->set(level);
  const bool rose = level && !intrq_level_;
  intrq_level_ = level;
  if (rose && on_interrupt_) on_interrupt_();
}

uint8_t IdeChannel::status_now(unsigned unit) const {
  if (!has_drives()) return 0xFF;         // nothing drives the bus: it floats high
  if (!present(unit)) return 0x00;        // device 0 answers for an absent device 1
  if (state_->control & kCtlSrst) return kStBsy;
  return state_->drive[unit].status;
}

uint8_t IdeChannel::read_reg(unsigned reg) {
  if (!has_drives()) return 0xFF;
  const unsigned u = selected();
  const DriveState& d = state_->drive[u];
  const TaskFile& tf = d.tf;
  const bool hob = state_->control & kCtlHob;
  switch (reg) {
    case 1: return present(u) ? d.error : 0x00;
    case 2: return hob ? tf.hob_count : tf.count;
    case 3: return hob ? tf.hob_lba_low : tf.lba_low;
    case 4: return hob ? tf.hob_lba_mid : tf.lba_mid;
    case 5: return hob ? tf.hob_lba_high : tf.lba_high;
    case 6: return uint8_t(tf.device | 0xA0);  // bits 7 and 5 are obsolete, read as one
    case 7: {
      uint8_t st = status_now(u);
      if (present(u) && d.irq) {  // reading status acknowledges the interrupt
        state_->drive[u].irq = false;
        update_irq();
      }
      return st;
    }
  }
  return 0xFF;
}

void IdeChannel::write_reg(unsigned reg, uint8_t v) {
  state_->control &= ~kCtlHob;  // any command block write clears HOB (ATA-6 7.9)
  if (reg == 7) {
    const unsigned u = selected();
    if (!present(u) || (state_->control & kCtlSrst)) { bad_accesses_++; return; }
    if (state_->drive[u].status & kStBsy) return;  // a busy drive ignores commands
    execute(u, v);
    return;
  }
  // Both drives latch the task file; the previous value moves to the "hob" copy.
  for (DriveState& d : state_->drive) {
    TaskFile& tf = d.tf;
    switch (reg) {
      case 1: tf.hob_features = tf.features; tf.features = v; break;
      case 2: tf.hob_count = tf.count; tf.count = v; break;
      case 3: tf.hob_lba_low = tf.lba_low; tf.lba_low = v; break;
      case 4: tf.hob_lba_mid = tf.lba_mid; tf.lba_mid = v; break;
      case 5: tf.hob_lba_high = tf.lba_high; tf.lba_high = v; break;
      case 6: tf.device = v & 0x5F; break;
    }
  }
  if (reg == 6) update_irq();  // the other drive now drives INTRQ
}

void IdeChannel::write_control(uint8_t v) {
  const uint8_t before = state_->control;
  state_->control = v & (kCtlNien | kCtlSrst | kCtlHob);
  if ((before & kCtlSrst) && !(v & kCtlSrst)) {
    // End of a soft reset: both drives abandon any command, report their signature and become
    // ready (ATAPI: DRDY clear). SET MULTIPLE and the CHS translation survive.
    for (unsigned u = 0; u < 2; ++u) {
      DriveState& d = state_->drive[u];
      d.xfer = Xfer::None;
      d.buf_pos = d.buf_len = 0;
      d.remaining = 0;
      d.chunk_left = 0;
      d.irq = false;
      d.error = 0x01;
      d.status = drives_[u].kind == DriveKind::Disk ? uint8_t(kStDrdy | kStDsc) : 0;
      set_signature(u);
    }
  }
  update_irq();
}

// The data port: 16-bit words; a 32-bit access (PIIX allows them) moves two words. A byte access
// is not defined for the data port: it moves one byte of the buffer.
uint32_t IdeChannel::data_read(unsigned width) {
  const unsigned u = selected();
  DriveState& d = state_->drive[u];
  if (!present(u) || d.xfer != Xfer::PioIn) {  // no data phase: the bus floats
    bad_accesses_++;
    return width == 4 ? 0xFFFFFFFF : width == 2 ? 0xFFFF : 0xFF;
  }
  uint32_t v = 0;
  unsigned n = std::min<uint32_t>(width, d.buf_len - d.buf_pos);
  for (unsigned i = 0; i < n; ++i) v |= uint32_t(d.buf[d.buf_pos + i]) << (8 * i);
  d.buf_pos += n;
  if (d.chunk_left) d.chunk_left -= std::min<uint32_t>(n, d.chunk_left);
  if (d.buf_pos >= d.buf_len || (d.packet_cmd && d.chunk_left == 0))
    pio_in_drained(u);
  return v;
}

void IdeChannel::data_write(unsigned width, uint32_t v) {
  const unsigned u = selected();
  DriveState& d = state_->drive[u];
  if (!present(u) || (d.xfer != Xfer::PioOut && d.xfer != Xfer::Packet)) { bad_accesses_++; return; }
  unsigned n = std::min<uint32_t>(width, d.buf_len - d.buf_pos);
  for (unsigned i = 0; i < n; ++i) d.buf[d.buf_pos + i] = uint8_t(v >> (8 * i));
  d.buf_pos += n;
  if (d.buf_pos >= d.buf_len) {
    if (d.xfer == Xfer::Packet) packet(u);
    else pio_out_filled(u);
  }
}

uint32_t IdeChannel::CommandPort::read(uint64_t offset, unsigned width) {
  if (offset == 0) return c_.data_read(width);
  uint32_t v = 0;  // wider accesses to the byte registers read consecutive registers
  for (unsigned i = 0; i < width; ++i)
    v |= uint32_t(offset + i < 8 ? c_.read_reg(unsigned(offset + i)) : 0xFF) << (8 * i);
  return v;
}

void IdeChannel::CommandPort::write(uint64_t offset, unsigned width, uint32_t value) {
  if (offset == 0) { c_.data_write(width, value); return; }
  for (unsigned i = 0; i < width; ++i)
    if (offset + i < 8) c_.write_reg(unsigned(offset + i), uint8_t(value >> (8 * i)));
}

uint32_t IdeChannel::ControlPort::read(uint64_t offset, unsigned width) {
  if (offset != 0) return 0xFFFFFFFF;
  uint32_t v = c_.status_now(c_.selected());  // alternate status: no side effect
  return width == 1 ? v : v | (0xFFFFFF00u & (width == 2 ? 0xFF00u : 0xFFFFFF00u));
}

void IdeChannel::ControlPort::write(uint64_t offset, unsigned, uint32_t value) {
  if (offset == 0) c_.write_control(uint8_t(value));
}

}  // namespace vmlab::devices::ide
