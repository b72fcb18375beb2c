// Monitor: `info mem` (the guest's linear mappings merged by permissions, as QEMU's) and
// `info tlb` (the same mappings with their physical addresses, merged where both are
// contiguous). The walk reads the page tables the guest set up (2-level, PSE, PAE) without
// touching them: no accessed/dirty bits, no faults. Entries outside RAM/ROM read as not present.
#include <fmt/format.h>

#include <functional>

#include "cpu/cpu_state.h"
#include "ui/monitor.h"

namespace vmlab::ui {

namespace {

struct Leaf {
  uint64_t va, pa, size;
  bool user, write, nx;
};

class Walker {
 public:
  Walker(machine::GuestMemory& mem, const cpu::CpuState& s) : mem_(mem), s_(s) {}

  // Calls `out` for every present leaf, in linear-address order.
  void walk(const std::function<void(const Leaf&)>& out) {
    if (s_.cr4 & cpu::CR4_PAE) walk_pae(out);
    else walk_2level(out);
  }

 private:
  uint64_t entry(uint64_t pa, unsigned size) const {
    uint64_t v = 0;
    uint8_t buf[8] = {};
    if (!mem_.read_phys(pa & mem_.a20_mask(), std::span<uint8_t>(buf, size))) return 0;  // not present
    for (unsigned i = 0; i < size; ++i) v |= uint64_t(buf[i]) << (8 * i);
    return v;
  }

  void walk_2level(const std::function<void(const Leaf&)>& out) {
    const uint64_t pd = s_.cr3 & ~0xFFFull;
    for (uint64_t i = 0; i < 1024; ++i) {
      uint64_t pde = entry(pd + i * 4, 4);
      if (!(pde & 1)) continue;
      if ((pde & 0x80) && (s_.cr4 & cpu::CR4_PSE)) {
        uint64_t pa = (pde & 0xFFC00000ull) | (((pde >> 13) & 0xFF) << 32);  // PSE-36
        out({i << 22, pa, 4ull << 20, bool(pde & 4), bool(pde & 2), false});
        continue;
      }
      const uint64_t pt = pde & ~0xFFFull;
      for (uint64_t j = 0; j < 1024; ++j) {
        uint64_t pte = entry(pt + j * 4, 4);
        if (!(pte & 1)) continue;
        out({(i << 22) | (j << 12), pte & ~0xFFFull, 4096, bool(pde & pte & 4), bool(pde & pte & 2),
             false});
      }
    }
  }

  void walk_pae(const std::function<void(const Leaf&)>& out) {
    constexpr uint64_t kAddr = 0x000FFFFFFFFFF000ull;
    const bool nxe = s_.msr.efer & cpu::EFER_NXE;
    auto nx = [nxe](uint64_t e) { return nxe && (e >> 63); };
    const uint64_t pdpt = s_.cr3 & ~0x1Full;
    for (uint64_t a = 0; a < 4; ++a) {
      uint64_t pdpte = entry(pdpt + a * 8, 8);
      if (!(pdpte & 1)) continue;
      for (uint64_t i = 0; i < 512; ++i) {
        uint64_t pde = entry((pdpte & kAddr) + i * 8, 8);
        if (!(pde & 1)) continue;
        uint64_t va = (a << 30) | (i << 21);
        if (pde & 0x80) {
          out({va, pde & 0x000FFFFFFFE00000ull, 2ull << 20, bool(pde & 4), bool(pde & 2), nx(pde)});
          continue;
        }
        for (uint64_t j = 0; j < 512; ++j) {
          uint64_t pte = entry((pde & kAddr) + j * 8, 8);
          if (!(pte & 1)) continue;
          out({va | (j << 12), pte & kAddr, 4096, bool(pde & pte & 4), bool(pde & pte & 2),
               nx(pde) || nx(pte)});
        }
      }
    }
  }

  machine::GuestMemory& mem_;
  const cpu::CpuState& s_;
};

std::string perms(const Leaf& l) {
  return fmt::format("{}r{}{}", l.user ? 'u' : '-', l.write ? 'w' : '-', l.nx ? " nx" : "");
}

// Merges leaves into runs: by permissions only (info mem), or also by physical contiguity.
std::string listing(machine::GuestMemory& mem, const cpu::CpuState& s, bool with_physical) {
  if (!cpu::paging_enabled(s)) return "PG disabled: linear addresses are physical\n";
  std::string out;
  std::optional<Leaf> run;
  size_t lines = 0;
  constexpr size_t kMaxLines = 2000;
  auto emit = [&] {
    if (!run || lines > kMaxLines) return;
    if (++lines > kMaxLines) {
      out += "... (more mappings; the listing stops here)\n";
      return;
    }
    if (with_physical)
      out += fmt::format("{:08x}-{:08x} -> {:09x}-{:09x} {}\n", run->va, run->va + run->size,
                         run->pa, run->pa + run->size, perms(*run));
    else
      out += fmt::format("{:08x}-{:08x} {:08x} {}\n", run->va, run->va + run->size, run->size,
                         perms(*run));
  };
  Walker(mem, s).walk([&](const Leaf& l) {
    bool joins = run && run->va + run->size == l.va && perms(*run) == perms(l) &&
                 (!with_physical || run->pa + run->size == l.pa);
    if (joins) {
      run->size += l.size;
      return;
    }
    emit();
    run = l;
  });
  emit();
  if (out.empty()) out = "no present mappings\n";
  return out;
}

}  // namespace

void Monitor::register_paging_commands() {
  add_command({"info mem", "", "the guest's mapped linear ranges with permissions (u = user, w = writable)",
               [this](const std::vector<std::string>&, const std::string&) {
                 return listing(machine_.memory(), vcpu().s, false);
               }});
  add_command({"info tlb", "", "linear -> physical mappings of the guest's page tables",
               [this](const std::vector<std::string>&, const std::string&) {
                 return listing(machine_.memory(), vcpu().s, true);
               }});
}

}  // namespace vmlab::ui
