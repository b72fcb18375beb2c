// KvmMemory: GuestMemory's layout as KVM memory slots.
//
// RAM below the legacy hole and above 1 MiB are two slots over GuestMemory's own host mapping,
// so KVM, the devices and the interpreter see the same bytes. Whole ROM pages (BIOS, option
// ROMs) become read-only slots over page-aligned copies (ROM bytes never change, and
// GuestMemory's ROM buffers are not page-aligned). Everything else - the VGA window, the APIC
// and IOAPIC pages, partial ROM pages - has no slot, so guest accesses exit as KVM_EXIT_MMIO
// and go to the MmioBus (or, for partial ROM pages, to the ROM bytes).
//
//   KvmMemory km;
//   std::vector<MemorySlot> plan = plan_memory_slots(mem);   // pure: unit-tested
//   std::string err = km.apply(device, mem);                   // (re)maps when the plan changed
//   km.sync_dirty_log(device, mem);                            // KVM's dirty bits -> GuestMemory
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "machine/guest_memory.h"

namespace vmlab::kvm_backend {

class KvmDevice;

struct MemorySlot {
  uint64_t gpa = 0;
  uint64_t size = 0;
  const uint8_t* host = nullptr;  // RAM: inside GuestMemory's mapping; ROM: GuestMemory's bytes
  bool rom = false;               // read-only; mapped from a page-aligned copy
  bool operator==(const MemorySlot&) const = default;
};

// The slots for `mem`'s current layout, in guest-physical order.
std::vector<MemorySlot> plan_memory_slots(const machine::GuestMemory& mem);

class KvmMemory {
 public:
  KvmMemory() = default;
  ~KvmMemory();
  KvmMemory(const KvmMemory&) = delete;
  KvmMemory& operator=(const KvmMemory&) = delete;

  // Maps `mem`'s layout into the VM, replacing the previous slots if the plan changed; RAM
  // slots log dirty pages when `log_dirty`. Returns "" or what failed.
  std::string apply(KvmDevice& dev, machine::GuestMemory& mem, bool log_dirty = true);
  // Marks the pages KVM saw the guest write since the last call dirty in `mem`.
  // Returns the number of dirty pages found, or -1 if KVM refused.
  int64_t sync_dirty_log(KvmDevice& dev, machine::GuestMemory& mem);
  size_t slot_count() const { return slots_.size(); }

 private:
  struct Mapped {
    MemorySlot slot;
    void* copy = nullptr;  // ROM: the page-aligned copy KVM maps
  };
  void unmap_copies();
  std::vector<Mapped> slots_;
  std::vector<uint64_t> bitmap_;
  bool log_dirty_ = true;
};

}  // namespace vmlab::kvm_backend
