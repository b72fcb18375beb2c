// Threaded dispatch (see threaded.h): the trampolines between threaded blocks and the loop's
// protocol that general handlers expect.
#include "cpu/threaded.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "cpu/decode/opcode_table.h"
#include "cpu/semantics/control_flow.h"

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
    if (s.eip != next) {
      std::fprintf(stderr, "vmlab internal error: the handler of %s moved EIP inside a threaded block "
                   "without returning kEipMoved\n", kOpcodeRows[i.row].mnemonic);
      std::abort();
    }
#endif
    if (*t.run_end != 0) [[likely]] return threaded_next(v, i);
  }
  t.retired = i.pos + 1u;  // the block's end, or a code write: the rest of the block may be stale
  return kNoFault;
}

template <int Cc> Fault threaded_jcc(Vcpu& v, const Insn& i) {
  if (!condition(v.s.lazy, Cc)) return threaded_next(v, i);
  // Taken: what sem::jcc does for a 32-bit operand size and a target inside CS, then leave the
  // block as its kEipMoved would. Anything else through the general handler.
  ThreadedRun& t = v.threaded;
  const uint32_t target = t.block_eip + i.next_off + i.imm;
  if (i.op32 && target <= v.s.seg[CS].limit) [[likely]] {
    v.s.eip = target;
    t.retired = i.pos + 1u;
    return kNoFault;
  }
  return threaded_slow(v, i, i.fn);
}

template <int... Cc> constexpr auto jcc_table(std::integer_sequence<int, Cc...>) {
  return std::array<Handler, 16>{&threaded_jcc<Cc>...};
}

}  // namespace

Fault threaded_slow(Vcpu& v, const Insn& i, Handler h) { return run_with_loop_protocol<false>(v, i, h); }
Fault threaded_general(Vcpu& v, const Insn& i) { return run_with_loop_protocol<false>(v, i, i.fn); }
Fault threaded_last(Vcpu& v, const Insn& i) { return run_with_loop_protocol<true>(v, i, i.fn); }

Handler threaded_jcc_for(const Insn& i) {
  static constexpr auto kJcc = jcc_table(std::make_integer_sequence<int, 16>{});
  const bool jcc = (i.map == 0 && i.opcode >= 0x70 && i.opcode <= 0x7F) ||
                   (i.map == 1 && i.opcode >= 0x80 && i.opcode <= 0x8F);
  return jcc ? kJcc[i.opcode & 0xF] : nullptr;
}

}  // namespace vmlab::cpu
