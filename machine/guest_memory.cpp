// GuestMemory: RAM as one anonymous host mapping, ROM regions as separate buffers, and the
// per-page dirty / code bitmaps. See guest_memory.h for the layout rules.
#include "machine/guest_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

#include "machine/setup_error.h"

namespace vmlab::machine {

namespace {
constexpr uint64_t kMinRam = 1ull << 20;
constexpr uint64_t kMaxRam = 3ull << 30;  // leaves the top GiB for MMIO, ROM and the PCI hole
constexpr uint64_t kHoleStart = 0xA0000, kHoleEnd = 0x100000;
}  // namespace

GuestMemory::GuestMemory(uint64_t ram_bytes) {
  if (ram_bytes < kMinRam || ram_bytes > kMaxRam || ram_bytes % kPageSize != 0)
    throw std::invalid_argument(fmt::format(
        "guest RAM size {} bytes is not a multiple of 4 KiB between 1 MiB and 3 GiB", ram_bytes));
  // MAP_NORESERVE: a 3 GiB guest that touches 20 MiB costs 20 MiB of host memory.
  void* p = mmap(nullptr, ram_bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw SetupError(fmt::format("-m {}: cannot map {} MiB of host address space for guest RAM "
                                 "({}); give the guest less memory (-m) or raise the limit "
                                 "(ulimit -v)", ram_bytes >> 20, ram_bytes >> 20,
                                 std::strerror(errno)));
  ram_ = static_cast<uint8_t*>(p);
  ram_size_ = ram_bytes;
  pages_ = ram_bytes >> kPageShift;
  dirty_.assign((pages_ + 63) / 64, 0);
  code_.assign((pages_ + 63) / 64, 0);
}

GuestMemory::~GuestMemory() {
  if (ram_) munmap(ram_, ram_size_);
}

void GuestMemory::add_rom(uint32_t base, std::span<const uint8_t> bytes, std::string name) {
  uint64_t end = uint64_t(base) + bytes.size();
  if (bytes.empty() || end > (1ull << 32))
    throw std::invalid_argument(fmt::format("ROM '{}' at {:#x} (+{:#x}) is empty or beyond 4 GiB",
                                            name, base, bytes.size()));
  // RAM may only be shadowed by ROM inside the legacy hole (BIOS and option ROMs live there).
  bool in_hole = base >= kHoleStart && end <= kHoleEnd;
  if (!in_hole && base < ram_size_)
    throw std::invalid_argument(
        fmt::format("ROM '{}' at {:#x} overlaps guest RAM (size {:#x})", name, base, ram_size_));
  for (const Rom& r : roms_) {
    if (base < r.base + r.bytes.size() && r.base < end)
      throw std::invalid_argument(
          fmt::format("ROM '{}' at {:#x} overlaps ROM '{}' at {:#x}", name, base, r.name, r.base));
  }
  roms_.push_back(Rom{base, std::vector<uint8_t>(bytes.begin(), bytes.end()), std::move(name)});
}

uint64_t GuestMemory::shadow_pages(uint64_t pa, uint64_t end) {
  if (end <= kShadowStart || pa >= kShadowEnd) return 0;
  const uint64_t first = (std::max(pa, kShadowStart) - kShadowStart) >> kPageShift;
  const uint64_t last = (std::min(end, kShadowEnd) - 1 - kShadowStart) >> kPageShift;
  const uint64_t upto_last = last == 63 ? ~0ull : (1ull << (last + 1)) - 1;
  return upto_last & ~((1ull << first) - 1);
}

void GuestMemory::set_shadow(uint32_t base, uint32_t size, bool read_ram, bool write_ram) {
  const uint64_t end = uint64_t(base) + size;
  if (size == 0 || base < kShadowStart || end > kShadowEnd || (base | size) % kPageSize != 0)
    throw std::invalid_argument(fmt::format("shadow range {:#x} (+{:#x}) is not whole pages of "
                                            "0xC0000-0xFFFFF", base, size));
  const uint64_t pages = shadow_pages(base, end);
  shadow_read_ = read_ram ? shadow_read_ | pages : shadow_read_ & ~pages;
  shadow_write_ = write_ram ? shadow_write_ | pages : shadow_write_ & ~pages;
}

uint8_t* GuestMemory::ram_ptr(uint64_t pa, uint32_t len) {
  uint64_t end = pa + len;
  if (len == 0 || end > ram_size_ || end < pa) return nullptr;
  if (pa < kHoleEnd && end > kHoleStart) {
    // The legacy hole is RAM only where the chipset maps shadow RAM for reads and writes.
    const uint64_t pages = shadow_pages(pa, end);
    const bool all_shadow = pa >= kShadowStart && end <= kShadowEnd;
    if (!all_shadow || (pages & ~(shadow_read_ & shadow_write_))) return nullptr;
  }
  return ram_ + pa;
}

const uint8_t* GuestMemory::rom_ptr(uint64_t pa, uint32_t len) const {
  uint64_t end = pa + len;
  if (len == 0 || end < pa) return nullptr;
  for (const Rom& r : roms_)
    if (pa >= r.base && end <= r.base + r.bytes.size()) return r.bytes.data() + (pa - r.base);
  return nullptr;
}

const uint8_t* GuestMemory::readable_ptr(uint64_t pa, uint32_t len) const {
  uint64_t end = pa + len;
  if (len == 0 || end < pa) return nullptr;
  if (const uint64_t pages = shadow_pages(pa, end); pages & (shadow_read_ | shadow_write_)) {
    // Shadow RAM reads only where every page reads RAM; a write-only page is nothing here, so
    // its reads (from the ROM) and writes (to RAM) both reach the chipset's MMIO window.
    const bool all_shadow = pa >= kShadowStart && end <= kShadowEnd;
    return all_shadow && !(pages & ~shadow_read_) ? ram_ + pa : nullptr;
  }
  for (const Rom& r : roms_)
    if (pa >= r.base && end <= r.base + r.bytes.size()) return r.bytes.data() + (pa - r.base);
  if (end > ram_size_) return nullptr;
  if (pa < kHoleEnd && end > kHoleStart) return nullptr;
  return ram_ + pa;
}

void GuestMemory::mark_dirty(uint64_t pa, uint32_t len) {
  if (len == 0 || pa >= ram_size_) return;
  uint64_t first = pa >> kPageShift;
  uint64_t last = std::min<uint64_t>((pa + len - 1) >> kPageShift, pages_ - 1);
  for (uint64_t p = first; p <= last; ++p) dirty_[p >> 6] |= 1ull << (p & 63);
}

bool GuestMemory::test_and_clear_dirty(uint64_t page) {
  if (page >= pages_) return false;
  uint64_t bit = 1ull << (page & 63);
  bool was = dirty_[page >> 6] & bit;
  dirty_[page >> 6] &= ~bit;
  return was;
}

bool GuestMemory::write_phys(uint64_t pa, std::span<const uint8_t> bytes) {
  if (bytes.empty()) return true;
  if (bytes.size() > ram_size_) return false;
  uint8_t* p = ram_ptr(pa, uint32_t(bytes.size()));
  if (!p) return false;
  std::memcpy(p, bytes.data(), bytes.size());
  note_write(pa, uint32_t(bytes.size()));
  return true;
}

bool GuestMemory::read_phys(uint64_t pa, std::span<uint8_t> out) const {
  // The range may run from RAM into a ROM (or the reverse): copy piece by piece.
  uint64_t pos = pa, end = pa + out.size();
  if (end < pa) return false;
  while (pos < end) {
    uint64_t chunk_end = 0;
    const uint8_t* src = nullptr;
    if (shadow_reads_ram(pos)) {  // shadow RAM, page by page
      src = ram_ + pos;
      chunk_end = (pos | (kPageSize - 1)) + 1;
    }
    for (const Rom& r : roms_) {
      if (src) break;
      if (pos >= r.base && pos < r.base + r.bytes.size()) {
        src = r.bytes.data() + (pos - r.base);
        chunk_end = r.base + r.bytes.size();
        // The next shadow page may read RAM instead.
        if (pos >= kShadowStart && pos < kShadowEnd) chunk_end = std::min(chunk_end, (pos | (kPageSize - 1)) + 1);
        break;
      }
    }
    if (!src) {
      if (pos >= ram_size_ || in_legacy_hole(pos)) return false;
      src = ram_ + pos;
      chunk_end = pos < kHoleStart ? std::min(kHoleStart, ram_size_) : ram_size_;
    }
    chunk_end = std::min(chunk_end, end);
    std::memcpy(out.data() + (pos - pa), src, chunk_end - pos);
    pos = chunk_end;
  }
  return true;
}

}  // namespace vmlab::machine
