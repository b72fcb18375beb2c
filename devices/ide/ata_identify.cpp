// IDENTIFY DEVICE (ECh) and IDENTIFY PACKET DEVICE (A1h) data, ATA/ATAPI-6 tables 26 and 31.
// Strings are space-padded and stored with the two bytes of each word swapped (the first
// character in the high byte), as drives do. Word 255 is the integrity word: A5h and a checksum
// that makes all 512 bytes sum to zero.
#include <algorithm>
#include <cstring>

#include "devices/ide/ide_channel.h"

namespace vmlab::devices::ide {

namespace {
struct Words {
  uint16_t w[256] = {};
  void str(unsigned first, unsigned nwords, const std::string& s) {
    for (unsigned i = 0; i < nwords * 2; ++i) {
      uint8_t c = i < s.size() ? uint8_t(s[i]) : ' ';
      uint16_t& word = w[first + i / 2];
      word = (i & 1) ? uint16_t((word & 0xFF00) | c) : uint16_t((word & 0x00FF) | (c << 8));
    }
  }
  void dword(unsigned first, uint32_t v) { w[first] = uint16_t(v); w[first + 1] = uint16_t(v >> 16); }
  void out(uint8_t* o) {
    w[255] = 0x00A5;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 255; ++i) sum = uint8_t(sum + (w[i] & 0xFF) + (w[i] >> 8));
    sum = uint8_t(sum + 0xA5);
    w[255] = uint16_t(0x00A5 | (uint8_t(-sum) << 8));
    for (unsigned i = 0; i < 256; ++i) { o[2 * i] = uint8_t(w[i]); o[2 * i + 1] = uint8_t(w[i] >> 8); }
  }
};

// Words 63 and 88: supported modes in the low byte, the selected one in the high byte.
void dma_modes(Words& id, uint8_t xfer_mode) {
  id.w[63] = 0x0007;  // multiword DMA 0-2 supported
  id.w[88] = 0x003F;  // Ultra DMA 0-5 supported
  if ((xfer_mode & 0xF8) == 0x20 && (xfer_mode & 7) <= 2) id.w[63] |= uint16_t(0x100 << (xfer_mode & 7));
  if ((xfer_mode & 0xF8) == 0x40 && (xfer_mode & 7) <= 5) id.w[88] |= uint16_t(0x100 << (xfer_mode & 7));
}
}  // namespace

void build_identify_disk(const IdentifyParams& p, uint8_t out[512]) {
  Words id;
  id.w[0] = 0x0040;                      // fixed device, ATA
  id.w[1] = p.cylinders;                 // default geometry
  id.w[3] = p.heads;
  id.w[6] = p.spt;
  id.str(10, 10, p.serial);
  id.str(23, 4, "0.1.0");                // firmware revision
  id.str(27, 20, p.model);
  id.w[47] = 0x8000 | IdeChannel::kMaxMultiple;  // READ/WRITE MULTIPLE: up to 16 sectors
  id.w[49] = 0x0300;                     // LBA and DMA supported
  id.w[50] = 0x4000;
  id.w[51] = 0x0200;                     // PIO mode 2 timing (obsolete field)
  id.w[53] = 0x0007;                     // words 54-58, 64-70 and 88 are valid
  // Current translation; its capacity is what CHS addressing reaches.
  uint64_t cur_cyl = std::min<uint64_t>(p.sectors / (uint64_t(p.cur_heads) * p.cur_spt), 65535);
  uint64_t cur_cap = std::min<uint64_t>(cur_cyl * p.cur_heads * p.cur_spt, 0xFFFFFFFFu);
  id.w[54] = uint16_t(cur_cyl);
  id.w[55] = p.cur_heads;
  id.w[56] = p.cur_spt;
  id.dword(57, uint32_t(cur_cap));
  id.w[59] = p.multiple ? uint16_t(0x0100 | p.multiple) : 0;  // multiple setting valid
  id.dword(60, uint32_t(std::min<uint64_t>(p.sectors, 0x0FFFFFFF)));  // LBA28 capacity
  dma_modes(id, p.xfer_mode);
  id.w[64] = 0x0003;                     // PIO modes 3 and 4
  id.w[65] = 120; id.w[66] = 120; id.w[67] = 120; id.w[68] = 120;  // cycle times, ns
  id.w[80] = 0x007E;                     // ATA-1 .. ATA-6
  id.w[82] = 0x0020;                     // write cache supported
  id.w[83] = 0x7400;                     // LBA48, FLUSH CACHE, FLUSH CACHE EXT (bit 14: valid)
  id.w[84] = 0x4000;
  id.w[85] = 0x0020;                     // write cache enabled
  id.w[86] = 0x3400;
  id.w[87] = 0x4000;
  id.w[93] = 0x4000 | 0x2000 | 0x0001;   // valid; 80-conductor cable; device 0 by jumper
  uint64_t cap48 = p.sectors;
  for (unsigned i = 0; i < 4; ++i) id.w[100 + i] = uint16_t(cap48 >> (16 * i));
  id.out(out);
}

void build_identify_packet(const IdentifyParams& p, uint8_t out[512]) {
  Words id;
  // ATAPI (10b), CD-ROM (05h), removable, DRQ within 50 us of PACKET, 12-byte packets.
  id.w[0] = 0x8000 | 0x0500 | 0x0080 | 0x0040;
  id.str(10, 10, p.serial);
  id.str(23, 4, "0.1.0");
  id.str(27, 20, p.model);
  id.w[49] = 0x0300;                     // LBA, DMA
  id.w[53] = 0x0006;                     // words 64-70 and 88 valid
  dma_modes(id, p.xfer_mode);
  id.w[64] = 0x0003;
  id.w[65] = 120; id.w[66] = 120; id.w[67] = 120; id.w[68] = 120;
  id.w[80] = 0x007E;
  id.w[93] = 0x4000 | 0x2000 | 0x0001;
  id.out(out);
}

}  // namespace vmlab::devices::ide
