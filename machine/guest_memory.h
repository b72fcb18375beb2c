// GuestMemory: the guest-physical address space's RAM and ROM, as one host mapping.
//
// RAM occupies [0, ram_size) of the host mapping; the mapping is shared with KVM as a memory slot
// and with the translator. ROM images (the BIOS) are separate host buffers registered at guest
// physical addresses; writes to them are ignored. Everything that is neither RAM nor ROM belongs
// to the MmioBus. The legacy hole 0xA0000-0xFFFFF is not RAM for the guest (VGA, option ROMs,
// BIOS), though the host mapping keeps the bytes so the layout stays simple.
//
// Two bitmaps, one bit per 4 KiB page:
//   dirty  - set on every guest write (snapshots, migration, display refresh)
//   code   - set by an execution core when it decodes or translates from a page; a write to such
//            a page calls the code-write listener (decoded-cache / translation-cache invalidation)
//
//   GuestMemory mem(128 << 20);
//   mem.add_rom(0xFFFF0000, bios_bytes);
//   uint8_t* p = mem.ram_ptr(0x1000, 4);      // nullptr if not plain RAM
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace vmlab::machine {

inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kPageShift = 12;

class GuestMemory {
 public:
  // ram_bytes must be a multiple of 4 KiB, at least 1 MiB, at most 3 GiB.
  explicit GuestMemory(uint64_t ram_bytes);
  ~GuestMemory();
  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  uint64_t ram_size() const { return ram_size_; }
  uint8_t* ram_base() { return ram_; }

  // Registers a read-only region; the bytes are copied. Overlapping another ROM is an error.
  void add_rom(uint32_t base, std::span<const uint8_t> bytes, std::string name);

  // Where the guest physical range [pa, pa+len) is plain, writable RAM in one piece: a host
  // pointer to it. Otherwise nullptr (ROM, MMIO, hole, beyond RAM).
  uint8_t* ram_ptr(uint64_t pa, uint32_t len);
  // Same for reading: RAM or ROM.
  const uint8_t* readable_ptr(uint64_t pa, uint32_t len) const;

  // True when pa is in [0xA0000, 0x100000), the legacy VGA/ROM hole.
  static bool in_legacy_hole(uint64_t pa) { return pa >= 0xA0000 && pa < 0x100000; }

  // Shadow RAM, as the chipset's PAM registers set it (devices/pci/pam.h): each 4 KiB page of
  // 0xC0000-0xFFFFF sends reads and writes, each on its own, either to the RAM behind it or,
  // as at power-on, to whatever else is there (a ROM, else the MmioBus). ram_ptr() gives only
  // pages that read and write RAM; readable_ptr() gives RAM for pages that read it, and nothing
  // for write-only pages (their reads and writes both go to the MmioBus, where the chipset's
  // window splits them). `base` and `size` are page-aligned inside that range; throws otherwise.
  static constexpr uint64_t kShadowStart = 0xC0000, kShadowEnd = 0x100000;
  void set_shadow(uint32_t base, uint32_t size, bool read_ram, bool write_ram);
  bool shadow_reads_ram(uint64_t pa) const { return shadow_bit(shadow_read_, pa); }
  bool shadow_writes_ram(uint64_t pa) const { return shadow_bit(shadow_write_, pa); }
  // The ROM bytes at [pa, pa+len) whatever the shadow setting; nullptr unless one ROM holds all.
  const uint8_t* rom_ptr(uint64_t pa, uint32_t len) const;

  // A20 gate: when off, physical address bit 20 is forced to 0 (8086 wrap-around).
  void set_a20(bool enabled) { a20_mask_ = enabled ? ~0ull : ~(1ull << 20); }
  bool a20() const { return a20_mask_ & (1ull << 20); }
  uint64_t a20_mask() const { return a20_mask_; }

  // Bitmaps (one bit per page).
  void mark_dirty(uint64_t pa, uint32_t len);
  bool test_and_clear_dirty(uint64_t page);
  std::vector<uint64_t>& dirty_bitmap() { return dirty_; }

  void mark_code(uint64_t page) { if (page < pages_) code_[page >> 6] |= 1ull << (page & 63); }
  bool is_code(uint64_t page) const { return page < pages_ && (code_[page >> 6] >> (page & 63)) & 1; }
  void clear_code(uint64_t page) { if (page < pages_) code_[page >> 6] &= ~(1ull << (page & 63)); }
  // Called (with the page number) when a write hits a page marked as code; the listener
  // invalidates cached decodes/translations and usually calls clear_code().
  void set_code_write_listener(std::function<void(uint64_t page)> fn) { on_code_write_ = std::move(fn); }

  // Notes a write of [pa, pa+len) by anyone (CPU, DMA, loader): dirty bits, code invalidation.
  // Fast path is inline: nothing to do when no page of the range is code.
  void note_write(uint64_t pa, uint32_t len) {
    if (len == 0) return;
    mark_dirty(pa, len);
    uint64_t first = pa >> kPageShift, last = (pa + len - 1) >> kPageShift;
    for (uint64_t p = first; p <= last; ++p)
      if (is_code(p) && on_code_write_) on_code_write_(p);
  }

  // Bulk helpers for loaders, DMA and tests; they check bounds and return false when any byte
  // is not RAM. write_phys also notes the write.
  bool write_phys(uint64_t pa, std::span<const uint8_t> bytes);
  bool read_phys(uint64_t pa, std::span<uint8_t> out) const;

 private:
  struct Rom { uint32_t base; std::vector<uint8_t> bytes; std::string name; };
  static bool shadow_bit(uint64_t bits, uint64_t pa) {
    return pa >= kShadowStart && pa < kShadowEnd && ((bits >> ((pa - kShadowStart) >> kPageShift)) & 1);
  }
  // The shadow pages [pa, end) touches, as a mask like shadow_read_ (0 when none).
  static uint64_t shadow_pages(uint64_t pa, uint64_t end);
  uint8_t* ram_ = nullptr;
  uint64_t ram_size_ = 0;
  uint64_t pages_ = 0;
  uint64_t a20_mask_ = ~0ull;
  std::vector<Rom> roms_;
  uint64_t shadow_read_ = 0, shadow_write_ = 0;  // bit n: page 0xC0000 + n * 4 KiB
  std::vector<uint64_t> dirty_;
  std::vector<uint64_t> code_;
  std::function<void(uint64_t)> on_code_write_;
};

}  // namespace vmlab::machine
