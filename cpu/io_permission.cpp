// I/O permission (SDM Vol. 1, 19.5): IN/OUT/INS/OUTS at CPL <= IOPL are allowed in protected
// mode; otherwise, and always in V86 mode, every port of the access must have a clear bit in
// the I/O permission bitmap of the current 32-bit TSS.
#include "cpu/pm_internal.h"
#include "cpu/protected_mode.h"

namespace vmlab::cpu {

Fault check_io_permission(Vcpu& v, uint16_t port, unsigned width) {
  const CpuState& s = v.s;
  if (width == 0 || width > 4) width = 4;  // callers pass 1, 2 or 4; keep the shift defined
  if (real_mode(s)) return kNoFault;
  if (!v86_mode(s) && s.cpl <= iopl(s)) return kNoFault;
  // Only a (busy) 32-bit TSS has a bitmap; a 16-bit TSS denies everything.
  const unsigned type = seg_type(s.tr.attr);
  if (!(s.tr.attr & SEG_P) || (type != kTss32Avail && type != kTss32Busy)) return fault_gp(0);
  if (s.tr.limit < 0x67) return fault_gp(0);
  uint16_t map_base = 0;
  VMLAB_TRY(sys_read16(v, s.tr.base + 0x66, map_base));
  // The bits of ports port..port+width-1 lie in at most two bytes: read a word.
  const uint32_t off = uint32_t(map_base) + port / 8;
  if (off + 1 > s.tr.limit) return fault_gp(0);
  uint16_t bits = 0;
  VMLAB_TRY(sys_read16(v, s.tr.base + off, bits));
  const uint32_t mask = ((1u << width) - 1) << (port & 7);
  if (bits & mask) return fault_gp(0);
  return kNoFault;
}

}  // namespace vmlab::cpu
