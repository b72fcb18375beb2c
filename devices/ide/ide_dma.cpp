// The drive side of a DMA command: what the bus-master engine (bus_master.cpp) calls to move
// the data of the selected drive's waiting READ/WRITE DMA or ATAPI DMA command, buffer by
// buffer, and to abort it when the PRD table is bad.
#include <algorithm>

#include "devices/ide/ide_channel.h"

namespace vmlab::devices::ide {

bool IdeChannel::dma_requested(bool* to_memory) const {
  const unsigned u = (state_->drive[0].tf.device & kDevSlave) ? 1 : 0;
  if (!present(u) || (state_->control & kCtlSrst)) return false;
  const Xfer x = state_->drive[u].xfer;
  if (x != Xfer::DmaIn && x != Xfer::DmaOut) return false;
  if (to_memory) *to_memory = x == Xfer::DmaIn;
  return true;
}

bool IdeChannel::dma_transfer(const std::function<uint32_t(uint8_t*, uint32_t)>& move) {
  if (!dma_requested(nullptr)) return false;
  const unsigned u = selected();
  DriveState& d = state_->drive[u];
  const bool cd = d.packet_cmd;
  if (d.xfer == Xfer::DmaIn) {
    for (;;) {
      if (d.buf_pos >= d.buf_len) {
        if (d.remaining == 0) {
          if (cd) { atapi_ok(u); return true; }
          set_address(d, is_lba48_command(d.command), d.lba - 1);
          finish(d);
          return true;
        }
        if (!(cd ? atapi_load_blocks(u) : load_block(u))) {
          if (cd) atapi_error(u, 0x03, 0x11);  // MEDIUM ERROR, unrecovered read error
          else finish(d, kErrUnc);
          return true;
        }
      }
      const uint32_t want = d.buf_len - d.buf_pos;
      const uint32_t got = move(d.buf.data() + d.buf_pos, want);
      d.buf_pos += std::min(got, want);
      if (got < want) return false;  // PRD table ended: the drive keeps waiting
    }
  }
  for (;;) {  // DmaOut (disks only: the CD-ROM never writes)
    const uint32_t want = d.buf_len - d.buf_pos;
    const uint32_t got = move(d.buf.data() + d.buf_pos, want);
    d.buf_pos += std::min(got, want);
    if (got < want) return false;
    if (!store_block(u)) { abort(d); return true; }
    if (d.remaining == 0) {
      set_address(d, is_lba48_command(d.command), d.lba - 1);
      finish(d);
      return true;
    }
    d.buf_pos = 0;
    d.buf_len = std::min<uint32_t>(d.remaining, d.block) * kSectorSize;
  }
}

void IdeChannel::dma_abort() {
  if (!dma_requested(nullptr)) return;
  const unsigned u = selected();
  if (drives_[u].kind == DriveKind::Cdrom) atapi_error(u, 0x0B, 0x00);  // ABORTED COMMAND
  else abort(state_->drive[u]);
}

}  // namespace vmlab::devices::ide
