// Mmu: mode selection and the translate/probe entry points. The walks themselves are in
// walker_2level.cpp and walker_pae.cpp.
#include "mmu/mmu.h"

#include <fmt/format.h>
#include <stdexcept>
#include "cpu/vcpu.h"
#include "mmu/page_table_access.h"
#include "mmu/page_walk.h"

namespace vmlab::mmu {

std::optional<MmuMode> parse_mmu_mode(std::string_view name) {
  if (name == "direct") return MmuMode::Direct;
  if (name == "shadow") return MmuMode::Shadow;
  if (name == "nested") return MmuMode::Nested;
  return std::nullopt;
}

const char* mmu_mode_name(MmuMode m) {
  switch (m) {
    case MmuMode::Direct: return "direct";
    case MmuMode::Shadow: return "shadow";
    case MmuMode::Nested: return "nested";
  }
  return "?";
}

bool mmu_mode_supported(MmuMode m) { return m == MmuMode::Direct; }

void Mmu::set_mode(MmuMode m) {
  if (!mmu_mode_supported(m))
    throw std::invalid_argument(fmt::format(
        "MMU mode '{}' is not implemented yet; use --mmu direct", mmu_mode_name(m)));
  mode_ = m;
}

namespace {

PagingRegs paging_regs(const cpu::CpuState& s) { return PagingRegs{s.cr0, s.cr3, s.cr4, s.msr.efer}; }

WalkResult walk(const PagingRegs& r, const WalkInput& in, PageTableAccess& pt) {
  return (r.cr4 & cpu::CR4_PAE) ? walk_pae(r, in, pt) : walk_2level(r, in, pt);
}

}  // namespace

Translation Mmu::translate(cpu::Vcpu& v, uint32_t lin, Access a, bool user, FaultReport report) {
  Translation t;
  const uint64_t a20 = v.mem.a20_mask();
  if (!cpu::paging_enabled(v.s)) {
    t.pa = lin & a20;
    t.cacheable_in_tlb = true;
    return t;
  }
  ++counters.page_walks;
  PageTableAccess pt(v.mem, a20, &counters);
  WalkResult w = walk(paging_regs(v.s), WalkInput{lin, a, user, true}, pt);
  if (!w.ok) {
    if (report == FaultReport::Commit) {
      v.s.cr2 = lin;
      ++counters.page_faults;
    }
    t.fault = cpu::make_fault(cpu::kPF, w.error_code);
    return t;
  }
  t.pa = w.pa & a20;
  t.cacheable_in_tlb = true;
  t.global = w.global;
  return t;
}

std::optional<uint64_t> Mmu::probe(const cpu::Vcpu& v, uint32_t lin) const {
  const uint64_t a20 = v.mem.a20_mask();
  if (!cpu::paging_enabled(v.s)) return lin & a20;
  PageTableAccess pt(v.mem, a20, nullptr);
  WalkResult w = walk(paging_regs(v.s), WalkInput{lin, Access::Read, false, false}, pt);
  if (!w.ok) return std::nullopt;
  return w.pa & a20;
}

cpu::Fault check_pae_pdptes(cpu::Vcpu& v, uint32_t cr3) {
  PageTableAccess pt(v.mem, v.mem.a20_mask(), nullptr);
  for (uint32_t i = 0; i < 4; ++i) {
    uint64_t e = pt.read((cr3 & 0xFFFFFFE0u) + i * 8, 8);
    if ((e & kPteP) && (e & pae_pdpte_reserved_mask())) return cpu::fault_gp(0);
  }
  return cpu::kNoFault;
}

}  // namespace vmlab::mmu
