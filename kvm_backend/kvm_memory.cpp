// KvmMemory: GuestMemory's RAM and ROM as KVM memory slots (see kvm_memory.h).
#include "kvm_backend/kvm_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "kvm_backend/kvm_device.h"

namespace vmlab::kvm_backend {

using machine::kPageSize;

namespace {
constexpr uint64_t kHoleStart = 0xA0000, kHoleEnd = 0x100000;
constexpr uint64_t k4G = 1ull << 32;

// Whole ROM pages in [begin, end), merged into runs whose bytes are contiguous in one ROM.
void add_rom_runs(const machine::GuestMemory& mem, uint64_t begin, uint64_t end,
                  std::vector<MemorySlot>& out) {
  MemorySlot run;
  auto flush = [&] {
    if (run.size) out.push_back(run);
    run = MemorySlot{};
  };
  for (uint64_t pa = begin; pa < end; pa += kPageSize) {
    const uint8_t* p = mem.readable_ptr(pa, kPageSize);
    if (!p) {
      flush();
      continue;
    }
    // Shadow RAM the chipset's PAM maps for reads and writes is RAM, not a ROM copy.
    const bool rom = !(mem.shadow_reads_ram(pa) && mem.shadow_writes_ram(pa));
    if (run.size && run.host + run.size == p && run.gpa + run.size == pa && run.rom == rom) {
      run.size += kPageSize;
    } else {
      flush();
      run = MemorySlot{pa, kPageSize, p, rom};
    }
  }
  flush();
}
}  // namespace

std::vector<MemorySlot> plan_memory_slots(const machine::GuestMemory& mem) {
  std::vector<MemorySlot> out;
  const uint64_t ram = mem.ram_size();
  const uint64_t low = std::min(ram, kHoleStart);
  out.push_back(MemorySlot{0, low, mem.readable_ptr(0, kPageSize), false});
  add_rom_runs(mem, kHoleStart, kHoleEnd, out);
  if (ram > kHoleEnd)
    out.push_back(MemorySlot{kHoleEnd, ram - kHoleEnd, mem.readable_ptr(kHoleEnd, kPageSize), false});
  add_rom_runs(mem, std::max(ram, kHoleEnd), k4G, out);
  return out;
}

KvmMemory::~KvmMemory() { unmap_copies(); }

void KvmMemory::unmap_copies() {
  for (Mapped& m : slots_)
    if (m.copy) munmap(m.copy, m.slot.size);
  slots_.clear();
}

std::string KvmMemory::apply(KvmDevice& dev, machine::GuestMemory& mem, bool log_dirty) {
  std::vector<MemorySlot> plan = plan_memory_slots(mem);
  bool same = plan.size() == slots_.size();
  for (size_t i = 0; same && i < plan.size(); ++i) same = plan[i] == slots_[i].slot;
  if (same && log_dirty == log_dirty_) return "";
  log_dirty_ = log_dirty;
  // KVM cannot move or resize a slot: delete every old one, then add the new layout.
  for (size_t i = 0; i < slots_.size(); ++i)
    if (std::string e = dev.set_memory_slot(uint32_t(i), 0, 0, nullptr, false); !e.empty()) return e;
  unmap_copies();
  for (size_t i = 0; i < plan.size(); ++i) {
    const MemorySlot& s = plan[i];
    Mapped m{s, nullptr};
    void* host = nullptr;
    if (s.rom) {
      void* p = mmap(nullptr, s.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return fmt::format("cannot allocate {} KiB for a ROM copy", s.size >> 10);
      std::memcpy(p, s.host, s.size);
      m.copy = p;
      host = p;
    } else {
      host = mem.ram_base() + s.gpa;  // the very bytes the devices and the interpreter use
    }
    slots_.push_back(m);
    // Without read-only slots a ROM copy is mapped writable: the guest can change its copy,
    // but never GuestMemory's ROM bytes (docs/kvm.md).
    const bool readonly = s.rom && dev.caps().readonly_mem;
    if (std::string e = dev.set_memory_slot(uint32_t(i), s.gpa, s.size, host, readonly, log_dirty && !s.rom);
        !e.empty())
      return e;
  }
  return "";
}

int64_t KvmMemory::sync_dirty_log(KvmDevice& dev, machine::GuestMemory& mem) {
  int64_t found = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const MemorySlot& s = slots_[i].slot;
    if (s.rom || !log_dirty_) continue;
    const uint64_t pages = s.size / kPageSize;
    bitmap_.assign((pages + 63) / 64, 0);
    if (!dev.get_dirty_log(uint32_t(i), bitmap_.data()).empty()) return -1;
    for (uint64_t w = 0; w < bitmap_.size(); ++w) {
      for (uint64_t bits = bitmap_[w]; bits; bits &= bits - 1) {
        const uint64_t page = w * 64 + uint64_t(__builtin_ctzll(bits));
        mem.mark_dirty(s.gpa + page * kPageSize, kPageSize);
        ++found;
      }
    }
  }
  return found;
}

}  // namespace vmlab::kvm_backend
