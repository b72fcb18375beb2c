// Segmentation: descriptor-table reads, segment register loads with the protected-mode checks
// (SDM Vol. 3 ch. 3 and 5; Vol. 2 MOV/POP Sreg, LDS..LSS), real-mode and V86 loads.
#include "cpu/descriptor.h"
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"
#include "mmu/linear_access.h"

namespace vmlab::cpu {

Fault sys_read8(Vcpu& v, uint32_t lin, uint8_t& out) { return mmu::read_linear<uint8_t>(v, lin, out, false); }
Fault sys_read16(Vcpu& v, uint32_t lin, uint16_t& out) { return mmu::read_linear<uint16_t>(v, lin, out, false); }
Fault sys_read32(Vcpu& v, uint32_t lin, uint32_t& out) { return mmu::read_linear<uint32_t>(v, lin, out, false); }
Fault sys_write8(Vcpu& v, uint32_t lin, uint8_t x) { return mmu::write_linear<uint8_t>(v, lin, x, false); }
Fault sys_write16(Vcpu& v, uint32_t lin, uint16_t x) { return mmu::write_linear<uint16_t>(v, lin, x, false); }
Fault sys_write32(Vcpu& v, uint32_t lin, uint32_t x) { return mmu::write_linear<uint32_t>(v, lin, x, false); }

uint32_t descriptor_address(const CpuState& s, uint16_t selector) {
  uint32_t base = (selector & 4) ? s.ldtr.base : s.gdtr.base;
  return base + (selector & 0xFFF8u);
}

Fault fetch_descriptor(Vcpu& v, uint16_t selector, Descriptor& d, uint8_t vector, bool ext) {
  const CpuState& s = v.s;
  const Fault bad = make_fault(vector, sel_error(selector, ext));
  uint32_t limit;
  if (selector & 4) {
    // An LDT selector with a null/unusable LDTR is out of bounds.
    if ((s.ldtr.selector & 0xFFFC) == 0 || !(s.ldtr.attr & SEG_P)) return bad;
    limit = s.ldtr.limit;
  } else {
    limit = s.gdtr.limit;
  }
  if ((selector | 7u) > limit) return bad;
  uint32_t lin = descriptor_address(s, selector), lo = 0, hi = 0;
  VMLAB_TRY(sys_read32(v, lin, lo));
  VMLAB_TRY(sys_read32(v, lin + 4, hi));
  d.raw = uint64_t(lo) | (uint64_t(hi) << 32);
  return kNoFault;
}

Fault read_descriptor(Vcpu& v, uint16_t selector, uint64_t& desc) {
  Descriptor d;
  VMLAB_TRY(fetch_descriptor(v, selector, d));
  desc = d.raw;
  return kNoFault;
}

Fault mark_accessed(Vcpu& v, uint16_t selector, Descriptor& d) {
  if (!d.s() || (d.type() & SEG_ACCESSED)) return kNoFault;
  uint8_t access = uint8_t(d.raw >> 40) | SEG_ACCESSED;
  VMLAB_TRY(sys_write8(v, descriptor_address(v.s, selector) + 5, access));
  d.raw |= uint64_t(SEG_ACCESSED) << 40;
  return kNoFault;
}

Fault write_descriptor_type(Vcpu& v, uint16_t selector, Descriptor& d, unsigned type) {
  uint8_t access = uint8_t((uint8_t(d.raw >> 40) & 0xF0) | (type & 0xF));
  VMLAB_TRY(sys_write8(v, descriptor_address(v.s, selector) + 5, access));
  d.raw = (d.raw & ~(0xFull << 40)) | (uint64_t(type & 0xF) << 40);
  return kNoFault;
}

void load_segment_real(CpuState& s, uint8_t seg, uint16_t selector) {
  s.seg[seg].selector = selector;
  s.seg[seg].base = uint32_t(selector) << 4;
  if (seg == CS) s.cpl = 0;
}

void load_segment_v86(CpuState& s, uint8_t seg, uint16_t selector) {
  SegmentCache& c = s.seg[seg];
  c.selector = selector;
  c.base = uint32_t(selector) << 4;
  c.limit = 0xFFFF;
  c.attr = SEG_P | SEG_S | (3u << 5) | SEG_RW | SEG_ACCESSED;  // 0xF3
  if (seg == CS) s.cpl = 3;
}

void load_cs_protected(CpuState& s, uint16_t selector, const Descriptor& d, unsigned cpl) {
  s.seg[CS] = cache_from_descriptor(uint16_t((selector & 0xFFFC) | cpl), d);
  s.cpl = uint8_t(cpl);
}

Fault check_stack_segment(Vcpu& v, uint16_t selector, unsigned cpl, Descriptor& d,
                          uint8_t vector, bool ext) {
  const uint32_t err = sel_error(selector, ext);
  if ((selector & 0xFFFC) == 0) return make_fault(vector, ext ? 1u : 0u);
  if ((selector & 3) != cpl) return make_fault(vector, err);
  VMLAB_TRY(fetch_descriptor(v, selector, d, vector, ext));
  if (!d.writable() || d.dpl() != cpl) return make_fault(vector, err);
  if (!d.present()) return fault_ss(err);
  return kNoFault;
}

void invalidate_segments_for_cpl(CpuState& s) {
  for (uint8_t seg : {ES, DS, FS, GS}) {
    SegmentCache& c = s.seg[seg];
    bool data_or_nonconforming = !(c.attr & SEG_CODE) || !(c.attr & SEG_DC);
    // A null register stays null; a usable one whose DPL the new CPL exceeds is dropped.
    if ((c.attr & SEG_P) && data_or_nonconforming && seg_dpl(c.attr) < s.cpl)
      c = null_segment(0);
  }
}

// MOV Sreg / POP Sreg / LxS (SDM Vol. 2 "MOV—Move", protected-mode pseudo-code).
Fault load_segment(Vcpu& v, uint8_t seg, uint16_t selector) {
  CpuState& s = v.s;
  if (seg >= kNumSegRegs) return fault_ud();
  if (real_mode(s)) {
    load_segment_real(s, seg, selector);
    return kNoFault;
  }
  if (v86_mode(s)) {
    load_segment_v86(s, seg, selector);
    return kNoFault;
  }
  if (seg == CS) return fault_ud();  // CS changes only through far transfers
  const uint32_t err = sel_error(selector);
  Descriptor d;
  if (seg == SS) {
    VMLAB_TRY(check_stack_segment(v, selector, s.cpl, d, kGP, false));
  } else {
    if ((selector & 0xFFFC) == 0) {
      s.seg[seg] = null_segment(selector);
      return kNoFault;
    }
    VMLAB_TRY(fetch_descriptor(v, selector, d));
    if (!d.s() || !d.readable()) return fault_gp(err);
    if (d.is_data() || !d.conforming()) {
      unsigned rpl = selector & 3;
      if (rpl > d.dpl() || s.cpl > d.dpl()) return fault_gp(err);
    }
    if (!d.present()) return fault_np(err);
  }
  VMLAB_TRY(mark_accessed(v, selector, d));
  s.seg[seg] = cache_from_descriptor(selector, d);
  return kNoFault;
}

}  // namespace vmlab::cpu
