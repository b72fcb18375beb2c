// CPU register dump (see register_dump.h).
#include "machine/register_dump.h"

#include <fmt/format.h>

#include "cpu/flags.h"

namespace vmlab::machine {

std::string format_registers(const cpu::CpuState& s) {
  using namespace vmlab::cpu;
  std::string o;
  o += fmt::format("EAX={:08x} EBX={:08x} ECX={:08x} EDX={:08x}\n", s.gpr[EAX], s.gpr[EBX],
                   s.gpr[ECX], s.gpr[EDX]);
  o += fmt::format("ESI={:08x} EDI={:08x} EBP={:08x} ESP={:08x}\n", s.gpr[ESI], s.gpr[EDI],
                   s.gpr[EBP], s.gpr[ESP]);
  o += fmt::format("EIP={:08x} EFL={:08x} CPL={}\n", s.eip, read_eflags(s), s.cpl);
  static const char* names[kNumSegRegs] = {"ES", "CS", "SS", "DS", "FS", "GS"};
  for (unsigned i = 0; i < kNumSegRegs; ++i)
    o += fmt::format("{} ={:04x} {:08x} {:08x} {:04x}\n", names[i], s.seg[i].selector,
                     s.seg[i].base, s.seg[i].limit, s.seg[i].attr);
  o += fmt::format("LDT={:04x} {:08x} {:08x} {:04x}\n", s.ldtr.selector, s.ldtr.base, s.ldtr.limit,
                   s.ldtr.attr);
  o += fmt::format("TR ={:04x} {:08x} {:08x} {:04x}\n", s.tr.selector, s.tr.base, s.tr.limit,
                   s.tr.attr);
  o += fmt::format("GDT=     {:08x} {:08x}\nIDT=     {:08x} {:08x}\n", s.gdtr.base, s.gdtr.limit,
                   s.idtr.base, s.idtr.limit);
  o += fmt::format("CR0={:08x} CR2={:08x} CR3={:08x} CR4={:08x} EFER={:016x}\n", s.cr0, s.cr2,
                   s.cr3, s.cr4, s.msr.efer);
  return o;
}

}  // namespace vmlab::machine
