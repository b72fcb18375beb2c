// PIIX bus-master IDE DMA (see bus_master.h).
#include "devices/ide/bus_master.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace vmlab::devices::ide {

BusMasterDma::BusMasterDma(machine::GuestMemory& mem, IdeChannel* primary, IdeChannel* secondary)
    : mem_(mem), channels_{primary, secondary} {
  for (unsigned c = 0; c < 2; ++c) {
    if (!channels_[c]) continue;
    channels_[c]->on_interrupt([this, c] { state_.ch[c].status |= kBmStIntr; });
    channels_[c]->on_dma_request([this, c] { try_transfer(c); });
  }
}

void BusMasterDma::restore(const State& s) {
  state_ = s;
  for (Channel& ch : state_.ch) {
    ch.command &= kBmCmdStart | kBmCmdToMemory;
    ch.status &= kBmStActive | kBmStError | kBmStIntr | kBmStDrive0Dma | kBmStDrive1Dma;
    ch.prdt &= ~3u;
    ch.next_prd &= ~3u;
    if (ch.cur_left > 0x10000) ch.cur_left = 0;
  }
}

uint8_t BusMasterDma::read_byte(unsigned off) const {
  const Channel& ch = state_.ch[(off >> 3) & 1];
  switch (off & 7) {
    case 0: return ch.command;
    case 2: return ch.status;
    case 4: case 5: case 6: case 7: return uint8_t(ch.prdt >> (8 * ((off & 7) - 4)));
    default: return 0;  // device-specific / reserved bytes
  }
}

void BusMasterDma::write_byte(unsigned off, uint8_t v) {
  const unsigned c = (off >> 3) & 1;
  Channel& ch = state_.ch[c];
  switch (off & 7) {
    case 0: {
      const bool was = ch.command & kBmCmdStart;
      ch.command = v & (kBmCmdStart | kBmCmdToMemory);
      if (!was && (v & kBmCmdStart)) {  // start: walk the table from its first descriptor
        ch.status |= kBmStActive;
        ch.next_prd = ch.prdt;
        ch.cur_left = 0;
        ch.eot = false;
        try_transfer(c);
      } else if (was && !(v & kBmCmdStart)) {
        ch.status &= ~kBmStActive;  // stop: an unfinished transfer is abandoned
      }
      return;
    }
    case 2:
      ch.status = uint8_t((ch.status & ~(kBmStDrive0Dma | kBmStDrive1Dma)) |
                          (v & (kBmStDrive0Dma | kBmStDrive1Dma)));
      ch.status &= uint8_t(~(v & (kBmStError | kBmStIntr)));  // write one to clear
      return;
    case 4: case 5: case 6: case 7: {
      const unsigned shift = 8 * ((off & 7) - 4);
      ch.prdt = (ch.prdt & ~(0xFFu << shift)) | (uint32_t(v) << shift);
      ch.prdt &= ~3u;
      return;
    }
    default:
      return;
  }
}

uint32_t BusMasterDma::read(uint64_t offset, unsigned width) {
  uint32_t v = 0;
  for (unsigned i = 0; i < width; ++i)
    v |= uint32_t(offset + i < kSize ? read_byte(unsigned(offset + i)) : 0xFF) << (8 * i);
  return v;
}

void BusMasterDma::write(uint64_t offset, unsigned width, uint32_t value) {
  for (unsigned i = 0; i < width; ++i)
    if (offset + i < kSize) write_byte(unsigned(offset + i), uint8_t(value >> (8 * i)));
}

// Loads the next descriptor. False when the table is bad: not in RAM, or running over the
// 64 KiB boundary it started in, or describing a region that crosses a 64 KiB boundary.
bool BusMasterDma::fetch_prd(unsigned c) {
  Channel& ch = state_.ch[c];
  if ((ch.next_prd ^ ch.prdt) & 0xFFFF0000u) return false;  // the table crossed 64 KiB
  uint8_t prd[8];
  if (!mem_.read_phys(ch.next_prd, prd)) return false;
  uint32_t addr, word;
  std::memcpy(&addr, prd, 4);
  std::memcpy(&word, prd + 4, 4);
  ch.next_prd += 8;
  ch.cur_addr = addr & ~1u;
  ch.cur_left = (word & 0xFFFE) ? (word & 0xFFFE) : 0x10000;
  ch.eot = word & 0x80000000u;
  if ((ch.cur_addr & 0xFFFF) + ch.cur_left > 0x10000) return false;  // region crosses 64 KiB
  return true;
}

uint32_t BusMasterDma::move(unsigned c, uint8_t* data, uint32_t len, bool to_memory, Move* why) {
  Channel& ch = state_.ch[c];
  uint32_t done = 0;
  while (done < len) {
    if (ch.cur_left == 0) {
      if (ch.eot) { *why = Move::Short; return done; }  // the table ran out
      if (!fetch_prd(c)) { *why = Move::Bad; return done; }
    }
    const uint32_t n = std::min(len - done, ch.cur_left);
    if (to_memory) {
      uint8_t* p = mem_.ram_ptr(ch.cur_addr, n);
      if (!p) { *why = Move::Bad; return done; }
      std::memcpy(p, data + done, n);
      mem_.note_write(ch.cur_addr, n);
    } else {
      const uint8_t* p = mem_.ram_ptr(ch.cur_addr, n);
      if (!p) { *why = Move::Bad; return done; }
      std::memcpy(data + done, p, n);
    }
    ch.cur_addr += n;
    ch.cur_left -= n;
    done += n;
  }
  *why = Move::Ok;
  return done;
}

void BusMasterDma::try_transfer(unsigned c) {
  Channel& ch = state_.ch[c];
  IdeChannel* ide = channels_[c];
  if (!ide || !(ch.command & kBmCmdStart) || !(ch.status & kBmStActive)) return;
  if (master_enable_ && !master_enable_()) return;  // cannot master the bus: nothing moves
  bool to_memory = false;
  if (!ide->dma_requested(&to_memory)) return;
  Move why = Move::Ok;
  bool bad = to_memory != bool(ch.command & kBmCmdToMemory);
  if (!bad) {
    const bool done = ide->dma_transfer([&](uint8_t* data, uint32_t len) {
      return move(c, data, len, to_memory, &why);
    });
    bad = why == Move::Bad;
    if (!bad) {
      // Done with the table used up exactly, or the table ran out first: no longer active.
      // Done with PRD bytes left over: stays active until the driver stops the engine.
      const bool table_used_up = ch.cur_left == 0 && ch.eot;
      if (!done || table_used_up) ch.status &= ~kBmStActive;
      return;
    }
  }
  bad_prds_++;
  if (!logged_) {
    logged_ = true;
    std::fprintf(stderr, "vmlab: ide: bad bus-master DMA (PRD table at %#x: region outside RAM, "
                 "crossing 64 KiB, or wrong direction); answered with the error bit\n", ch.prdt);
  }
  ch.status = uint8_t((ch.status & ~kBmStActive) | kBmStError);
  ide->dma_abort();
}

}  // namespace vmlab::devices::ide
