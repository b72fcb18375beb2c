// Threaded dispatch (see threaded.h): the trampolines between threaded blocks and the loop's
// protocol that general handlers expect.
#include "cpu/threaded.h"

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "cpu/decode/opcode_table.h"

namespace vmlab::cpu {
namespace {

template <bool kLast, bool kReflat = false>
[[gnu::always_inline]] inline Fault run_with_loop_protocol(Vcpu& v, const Insn& i, Handler h) {
  CpuState& s = v.s;
  ThreadedRun& t = v.threaded;
  const uint32_t next = t.block_eip + i.next_off;
  s.eip = next;
  s.instructions_retired = t.retired_base + i.pos;
  const Fault f = h(v, i);
  if constexpr (kReflat) {
    t.flat_tlb = flat_tlb_for(v);
  } else {
#ifdef VMLAB_CHECK_INVARIANTS
    if (t.flat_tlb != flat_tlb_for(v)) flat_state_changed_without_saying(kOpcodeRows[i.row].mnemonic);
#endif
  }
  if (f) [[unlikely]] {
    if (f.vector == kEipMovedVector) {  // a taken branch or a REP slice: it counts, then leave
      t.retired = i.pos + 1u;
      return kNoFault;
    }
    s.eip = next - i.len;
    t.retired = i.pos;
    return f;
  }
  if constexpr (!kLast) {
#ifdef VMLAB_CHECK_INVARIANTS
    if (s.eip != next) eip_moved_without_saying(i);
#endif
    if (*t.run_end != 0) [[likely]] return threaded_next(v, i);
  }
  t.retired = i.pos + 1u;  // the block's end, or a code write: the rest of the block may be stale
  return kNoFault;
}

}  // namespace

#ifdef VMLAB_CHECK_INVARIANTS
void eip_moved_without_saying(const Insn& i) {
  std::fprintf(stderr, "vmlab internal error: the handler of %s moved EIP inside a block without "
               "returning kEipMoved\n", kOpcodeRows[i.row].mnemonic);
  std::abort();
}

void flat_state_changed_without_saying(const char* what) {
  std::fprintf(stderr, "vmlab internal error: %s changed the flat-segment state (segments, CPL, "
               "CR0.AM or EFLAGS.AC) without saying so\n", what);
  std::abort();
}
#endif

const uint8_t* flat_tlb_for(const Vcpu& v) {
  const CpuState& s = v.s;
  if (!v.threaded.flat_allowed) return nullptr;
  constexpr uint16_t kKind = SEG_P | SEG_CODE | SEG_DC | SEG_RW;
  for (const unsigned seg : {ES, SS, DS}) {
    const SegmentCache& c = s.seg[seg];
    if (c.base != 0 || c.limit != 0xFFFFFFFFu || (c.attr & kKind) != (SEG_P | SEG_RW)) return nullptr;
  }
  if (!stack32(s)) return nullptr;
  const bool user = s.cpl == 3;
  if (user && (s.cr0 & CR0_AM) && (s.eflags & AC)) return nullptr;
  return reinterpret_cast<const uint8_t*>(v.tlb.e[user].data());
}

// The far transfers and software interrupts are the Branch-class instructions that may.
bool may_change_run_state(const Insn& i) {
  const OpRow& r = kOpcodeRows[i.row];
  if (r.cls == OpClass::Plain) return false;
  if (r.cls != OpClass::Branch) return true;
  const std::string_view m = r.mnemonic;
  return m == "CALLF" || m == "JMPF" || m == "RETF" || m == "INT3" || m == "INT" || m == "INTO" ||
         m == "ICEBP" || m == "SYSENTER" || m == "SYSEXIT";
}

Fault threaded_slow(Vcpu& v, const Insn& i, Handler h) { return run_with_loop_protocol<false>(v, i, h); }
Fault threaded_general(Vcpu& v, const Insn& i) { return run_with_loop_protocol<false>(v, i, i.fn); }
Fault threaded_last(Vcpu& v, const Insn& i) { return run_with_loop_protocol<true>(v, i, i.fn); }
Fault threaded_last_reflat(Vcpu& v, const Insn& i) { return run_with_loop_protocol<true, true>(v, i, i.fn); }

}  // namespace vmlab::cpu
