// Threaded dispatch (see threaded.h): the trampolines between threaded blocks and the loop's
// protocol that general handlers expect.
#include "cpu/threaded.h"

#include <cstdio>
#include <cstdlib>

#include "cpu/decode/opcode_table.h"

namespace vmlab::cpu {
namespace {

template <bool kLast> [[gnu::always_inline]] inline Fault run_with_loop_protocol(Vcpu& v, const Insn& i, Handler h) {
  CpuState& s = v.s;
  ThreadedRun& t = v.threaded;
  const uint32_t next = t.block_eip + i.next_off;
  s.eip = next;
  s.instructions_retired = t.retired_base + i.pos;
  if (Fault f = h(v, i)) [[unlikely]] {
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
#endif

Fault threaded_slow(Vcpu& v, const Insn& i, Handler h) { return run_with_loop_protocol<false>(v, i, h); }
Fault threaded_general(Vcpu& v, const Insn& i) { return run_with_loop_protocol<false>(v, i, i.fn); }
Fault threaded_last(Vcpu& v, const Insn& i) { return run_with_loop_protocol<true>(v, i, i.fn); }

}  // namespace vmlab::cpu
