// Bus: address-range dispatch for the I/O port space and the MMIO space (see io_bus.h).
#include "machine/io_bus.h"

#include <fmt/format.h>
#include <stdexcept>

namespace vmlab::machine {

namespace {
// Per-address counts stop growing here: a guest sweeping MMIO must not grow host memory.
constexpr size_t kMaxTrackedAddresses = 4096;

uint32_t width_mask(unsigned width) { return width >= 4 ? 0xFFFFFFFFu : (1u << (8 * width)) - 1; }
bool valid_width(unsigned w) { return w == 1 || w == 2 || w == 4; }
}  // namespace

void Bus::add(uint64_t base, uint64_t size, std::string name, BusDevice& dev) {
  if (size == 0 || base + size < base)
    throw std::invalid_argument(
        fmt::format("{} bus: region '{}' at {:#x} has a bad size {:#x}", name_, name, base, size));
  auto next = regions_.lower_bound(base);
  if (next != regions_.end() && next->second.base < base + size)
    throw std::invalid_argument(fmt::format(
        "{} bus: region '{}' [{:#x}, {:#x}) overlaps '{}' [{:#x}, {:#x})", name_, name, base,
        base + size, next->second.name, next->second.base, next->second.base + next->second.size));
  if (next != regions_.begin()) {
    const Region& prev = std::prev(next)->second;
    if (prev.base + prev.size > base)
      throw std::invalid_argument(fmt::format(
          "{} bus: region '{}' [{:#x}, {:#x}) overlaps '{}' [{:#x}, {:#x})", name_, name, base,
          base + size, prev.name, prev.base, prev.base + prev.size));
  }
  regions_.emplace(base, Region{base, size, std::move(name), &dev, {}});
}

void Bus::remove(uint64_t base) { regions_.erase(base); }

const Bus::Region* Bus::find(uint64_t addr) const {
  auto it = regions_.upper_bound(addr);
  if (it == regions_.begin()) return nullptr;
  const Region& r = std::prev(it)->second;
  return addr - r.base < r.size ? &r : nullptr;
}

Bus::Region* Bus::find(uint64_t addr) {
  return const_cast<Region*>(static_cast<const Bus*>(this)->find(addr));
}

void Bus::count_address(uint64_t addr, bool write) {
  auto it = by_address_.find(addr);
  if (it == by_address_.end()) {
    if (by_address_.size() >= kMaxTrackedAddresses) return;
    it = by_address_.emplace(addr, RegionCounts{}).first;
  }
  (write ? it->second.writes : it->second.reads)++;
}

uint32_t Bus::read(uint64_t addr, unsigned width) {
  if (!valid_width(width)) width = 1;  // callers only use 1/2/4; anything else is a core bug
  count_address(addr, false);
  Region* r = find(addr);
  if (r && addr + width - r->base <= r->size) {
    r->counts.reads++;
    return r->dev->read(addr - r->base, width) & width_mask(width);
  }
  if (!r && width > 1) {
    // Entirely unclaimed? Then one unclaimed access, not `width` of them.
    bool any = false;
    for (unsigned i = 1; i < width; ++i) any |= find(addr + i) != nullptr;
    if (!any) {
      stats_.unclaimed_reads++;
      return width_mask(width);
    }
  }
  if (!r && width == 1) {
    stats_.unclaimed_reads++;
    return 0xFF;
  }
  // Straddles two regions or a claimed and an unclaimed address: byte cycles, little-endian.
  uint32_t value = 0;
  for (unsigned i = 0; i < width; ++i) {
    uint32_t byte = 0xFF;
    if (Region* b = find(addr + i)) {
      b->counts.reads++;
      byte = b->dev->read(addr + i - b->base, 1) & 0xFF;
    } else {
      stats_.unclaimed_reads++;
    }
    value |= byte << (8 * i);
  }
  return value;
}

void Bus::write(uint64_t addr, unsigned width, uint32_t value) {
  if (!valid_width(width)) width = 1;
  value &= width_mask(width);
  count_address(addr, true);
  Region* r = find(addr);
  if (r && addr + width - r->base <= r->size) {
    r->counts.writes++;
    r->dev->write(addr - r->base, width, value);
    return;
  }
  bool any = r != nullptr;
  for (unsigned i = 1; i < width && !any; ++i) any = find(addr + i) != nullptr;
  if (!any) {
    stats_.unclaimed_writes++;
    return;
  }
  for (unsigned i = 0; i < width; ++i) {
    if (Region* b = find(addr + i)) {
      b->counts.writes++;
      b->dev->write(addr + i - b->base, 1, (value >> (8 * i)) & 0xFF);
    } else {
      stats_.unclaimed_writes++;
    }
  }
}

std::vector<std::pair<std::string, Bus::RegionCounts>> Bus::region_counts() const {
  std::vector<std::pair<std::string, RegionCounts>> out;
  out.reserve(regions_.size());
  for (const auto& [base, r] : regions_) out.emplace_back(r.name, r.counts);
  return out;
}

std::vector<Bus::RegionInfo> Bus::regions() const {
  std::vector<RegionInfo> out;
  out.reserve(regions_.size());
  for (const auto& [base, r] : regions_) out.push_back({r.base, r.size, r.name});
  return out;
}

}  // namespace vmlab::machine
