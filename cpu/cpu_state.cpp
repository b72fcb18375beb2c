// reset_cpu_state: the RESET / power-on register values (SDM Vol. 3, 9.1.1, Table 9-1).
#include "cpu/cpu_model.h"
#include "cpu/cpu_state.h"
#include "cpu/flags.h"

namespace vmlab::cpu {

void reset_cpu_state(CpuState& s) {
  // The retired-instruction count drives the virtual clock and keeps running across a reset;
  // the TSC restarts from 0.
  const uint64_t retired = s.instructions_retired;
  s = CpuState{};
  s.instructions_retired = retired;
  s.msr.tsc_offset = 0 - retired;

  s.gpr[EDX] = kCpuSignature;
  s.eip = 0xFFF0;
  write_eflags(s, 0x2);  // LazyFlags{} would read back as ZF and PF set
  for (SegmentCache& c : s.seg) c = SegmentCache{0, 0, 0xFFFF, 0x0093};  // present, R/W, accessed
  s.seg[CS] = SegmentCache{0xF000, 0xFFFF0000u, 0xFFFF, 0x0093};
  s.gdtr = DescriptorTableReg{0, 0xFFFF};
  s.idtr = DescriptorTableReg{0, 0xFFFF};
  s.ldtr = SegmentCache{0, 0, 0xFFFF, 0x0082};  // present LDT
  s.tr = SegmentCache{0, 0, 0xFFFF, 0x008B};    // present, busy 32-bit TSS
  s.cr0 = CR0_ET | CR0_CD | CR0_NW;            // 0x60000010
  s.cr2 = s.cr3 = s.cr4 = 0;
  s.dr[0] = s.dr[1] = s.dr[2] = s.dr[3] = 0;
  s.dr[4] = s.dr[6] = 0xFFFF0FF0u;
  s.dr[5] = s.dr[7] = 0x400u;
  s.cpl = 0;
}

}  // namespace vmlab::cpu
