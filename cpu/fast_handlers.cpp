// Fast handlers (see fast_handlers.h): the common case of the hottest forms in straight-line
// code, and a tail jump to the general handler for everything else.
#include "cpu/fast_handlers.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <unordered_map>
#include <utility>

#include "cpu/semantics/arith.h"
#include "cpu/semantics/control_flow.h"
#include "cpu/semantics/data_move.h"
#include "cpu/semantics/muldiv.h"
#include "cpu/semantics/shift.h"
#include "cpu/semantics/string.h"
#include "cpu/semantics/stack.h"
#include "cpu/threaded.h"
#include "mmu/tlb.h"

namespace vmlab::cpu {
namespace {

using mmu::Access;

// The form of the r/m operand, fixed at decode time: a register (ModRM mod = 3), or a 32-bit
// ModRM/SIB/moffs address of one of four shapes, so that the effective address needs no tests
// of which registers take part. The Flat shapes are the same four in threaded code for an
// ES/SS/DS operand: while those segments are flat (ThreadedRun::flat_tlb) they skip the
// segment checks.
enum class Form : uint8_t { Disp, Base, Index, BaseIndex, Reg, FlatDisp = 8, FlatBase, FlatIndex, FlatBaseIndex };
constexpr unsigned kForms = 5;
constexpr Form shape(Form f) { return Form(unsigned(f) & 7); }
constexpr bool is_flat(Form f) { return unsigned(f) & 8; }
constexpr Form flat(Form f) { return Form(unsigned(f) | 8); }

Form form_of(const Insn& i) {
  if (!i.is_mem) return Form::Reg;
  const bool b = i.base != kNoReg, x = i.index != kNoReg;
  return b ? (x ? Form::BaseIndex : Form::Base) : (x ? Form::Index : Form::Disp);
}

template <Form F> [[gnu::always_inline]] inline uint32_t offset_of(const CpuState& s, const Insn& i) {
  constexpr Form kShape = shape(F);
  uint32_t a = i.disp;
  if constexpr (kShape == Form::Base || kShape == Form::BaseIndex) a += s.gpr[i.base];
  if constexpr (kShape == Form::Index || kShape == Form::BaseIndex) a += s.gpr[i.index] << i.scale;
  return a;
}

// The TLB lookup of host_ptr, in the tables `tables` (read, write, fetch) of one privilege.
// The slot's byte offset comes straight from lin (index * 16 = (lin >> 8) & 0xFF0): one host
// instruction less than indexing by Tlb::index, on every memory operand. One compare does tag
// and page end together: the last byte's page equals the tag of lin's slot only when both are
// lin's page, because a slot holds only pages whose index is the slot's. (So an access that
// wraps past 4 GiB misses too: its last byte's page is page 0, never in slot 0xFF.)
template <typename T, Access A>
[[gnu::always_inline]] inline bool tlb_ptr(const uint8_t* tables, uint32_t lin, uint8_t*& p) {
  static_assert(sizeof(mmu::TlbEntry) == 16 && mmu::Tlb::kEntries == 256);
  constexpr size_t kTable = sizeof(mmu::TlbEntry) * mmu::Tlb::kEntries;
  const auto& t = *reinterpret_cast<const mmu::TlbEntry*>(tables + unsigned(A) * kTable + ((lin >> 8) & 0xFF0u));
  if (((lin + uint32_t(sizeof(T) - 1)) & ~0xFFFu) != t.tag) return false;
  p = reinterpret_cast<uint8_t*>(uintptr_t(lin) + t.addend);
  return true;
}

// Host pointer for a T at seg:off (in `p`, and true) when the access needs none of the general
// path's work, else false. Exact for what it accepts: check_segment's first case (present, writable, expand-up
// data: only the limit is left), no #AC possible, and a TLB entry of this access kind and
// privilege whose page holds all sizeof(T) bytes (tlb_ptr).
// kFlat (threaded code, seg is ES, SS or DS): when ThreadedRun::flat_tlb says those segments are
// flat, the segment checks and #AC cannot fail and the offset is the linear address, so only
// the TLB lookup is left. Its limit check is the TLB's: with a 4 GiB limit only an access that
// wraps past 4 GiB exceeds it, and that misses in the TLB.
// (A bool rather than a null pointer: a TLB hit's pointer is never null, but only the caller's
// branch on the bool knows that.)
template <typename T, Access A, bool kFlat = false>
[[gnu::always_inline]] inline bool host_ptr(Vcpu& v, uint8_t seg, uint32_t off, uint8_t*& p) {
  if constexpr (kFlat)
    if (const uint8_t* tables = v.threaded.flat_tlb) [[likely]] return tlb_ptr<T, A>(tables, off, p);
  const CpuState& s = v.s;
  const SegmentCache& c = s.seg[seg];
  if ((c.attr & (SEG_P | SEG_CODE | SEG_DC | SEG_RW)) != (SEG_P | SEG_RW)) return false;
  if (uint64_t(off) + (sizeof(T) - 1) > c.limit) return false;
  const uint32_t lin = c.base + off;
  const bool user = s.cpl == 3;
  if constexpr (sizeof(T) > 1)
    if ((lin & (sizeof(T) - 1)) && user && (s.cr0 & CR0_AM) && (s.eflags & AC)) return false;
  return tlb_ptr<T, A>(reinterpret_cast<const uint8_t*>(v.tlb.e[user].data()), lin, p);
}
// The same as a pointer, null when host_ptr says no.
template <typename T, Access A> [[gnu::always_inline]] inline uint8_t* host_ptr_or_null(Vcpu& v, uint8_t seg, uint32_t off) {
  uint8_t* p;
  return host_ptr<T, A>(v, seg, off, p) ? p : nullptr;
}

// Where the r/m operand of a T lives on the host: the register's bytes in CpuState (byte
// registers 4-7 are bits 8-15 of 0-3; narrower writes through the pointer keep the rest of the
// register, as set_reg does), or guest RAM through host_ptr. False: take the general path.
template <typename T, Access A, Form F>
[[gnu::always_inline]] inline bool rm_ptr(Vcpu& v, const Insn& i, uint8_t*& p) {
  if constexpr (shape(F) == Form::Reg) {
    auto* regs = reinterpret_cast<uint8_t*>(v.s.gpr);
    if constexpr (sizeof(T) == 1) p = regs + (i.rm & 3) * 4 + (i.rm >> 2);
    else p = regs + i.rm * 4;
    return true;
  } else {
    return host_ptr<T, A, is_flat(F)>(v, i.seg, offset_of<F>(v.s, i), p);
  }
}

template <typename T> [[gnu::always_inline]] inline T load(const uint8_t* p) {
  T x;
  std::memcpy(&x, p, sizeof(T));
  return x;
}
template <typename T> [[gnu::always_inline]] inline void store(uint8_t* p, T x) {
  std::memcpy(p, &x, sizeof(T));
}

// Goes on with the general handler G, which starts the instruction over. The empty asm hides
// G's identity from the optimiser, so this stays one tail jump: inlining G here would bring
// back the stack frame and the calls the fast path exists to avoid.
template <Handler G> [[gnu::always_inline]] inline Fault general(Vcpu& v, const Insn& i) {
  Handler g = G;
  asm("" : "+r"(g));
  return g(v, i);
}

// A fast form is its common case, `Try` (true: done; false: nothing changed, take the general
// path), and its general handler G, put together in two ways: fast_plain for the loop and bt
// (EIP is already at the next instruction), fast_threaded for threaded blocks (cpu/threaded.h:
// it jumps to the next instruction's handler, and its general path sets up EIP first).
template <auto Try, Handler G> Fault fast_plain(Vcpu& v, const Insn& i) {
  if (Try(v, i)) [[likely]] return kNoFault;
  return general<G>(v, i);
}
template <auto Try, Handler G> Fault fast_threaded(Vcpu& v, const Insn& i) {
  if (Try(v, i)) [[likely]] return threaded_next(v, i);
  return threaded_slow(v, i, G);
}

// The threaded form of a general handler that only ever changes registers and flags: it cannot
// fault, move EIP or write code, and reads neither EIP nor the retired count, so it needs none
// of the loop's protocol (threaded_slow) and simply goes on.
template <Handler H> Fault register_only_threaded(Vcpu& v, const Insn& i) {
  (void)H(v, i);
  return threaded_next(v, i);
}

// Jcc's threaded form (sem::jcc is A = condition code): not taken goes on at once; taken sets
// EIP and leaves the block as sem::jcc's kEipMoved would. A 16-bit operand size or a target
// past the CS limit goes through the general handler.
template <int Cc> Fault threaded_jcc(Vcpu& v, const Insn& i) {
  if (!condition(v.s.lazy, Cc)) return threaded_next(v, i);
  ThreadedRun& t = v.threaded;
  const uint32_t target = t.block_eip + i.next_off + i.imm;
  if (i.op32 && target <= v.s.seg[CS].limit) [[likely]] return threaded_leave(v, i, target);
  return threaded_slow(v, i, i.fn);
}

// A block's last instruction in a threaded block: the common near branches set EIP and the
// retired count themselves, which is all threaded_last's loop protocol would leave behind for
// them (they read neither EIP nor the retired count before, and cannot write code). Anything
// else (a 16-bit operand size, a target past the CS limit, a stack access the fast path does
// not take) goes through threaded_last and the general handler.
template <int Cc> Fault last_jcc(Vcpu& v, const Insn& i) {
  uint32_t target = v.threaded.block_eip + i.next_off;
  if (condition(v.s.lazy, Cc)) {
    target += i.imm;
    if (!i.op32 || target > v.s.seg[CS].limit) [[unlikely]] return threaded_last(v, i);
  }
  return threaded_leave(v, i, target);
}
// JMP rel (E9 EB)
Fault last_jmp_rel(Vcpu& v, const Insn& i) {
  const uint32_t target = v.threaded.block_eip + i.next_off + i.imm;
  if (!i.op32 || target > v.s.seg[CS].limit) [[unlikely]] return threaded_last(v, i);
  return threaded_leave(v, i, target);
}

// MOV reg, r/m (8A 8B A0 A1)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_mov_GE(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Read, F>(v, i, p)) [[likely]] {
    set_reg<T>(v.s, i.reg, load<T>(p));
    return true;
  }
  return false;
}
// MOV r/m, reg (88 89 A2 A3)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_mov_EG(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Write, F>(v, i, p)) [[likely]] {
    store<T>(p, get_reg<T>(v.s, i.reg));
    return true;
  }
  return false;
}
// MOV r/m, imm (C6 C7)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_mov_EI(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Write, F>(v, i, p)) [[likely]] {
    store<T>(p, T(i.imm));
    return true;
  }
  return false;
}
// ALU reg, r/m
template <typename T, int Op, Form F> [[gnu::always_inline]] inline bool try_alu_GE(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Read, F>(v, i, p)) [[likely]] {
    const T r = sem::alu<T, Op>(v.s.lazy, get_reg<T>(v.s, i.reg), load<T>(p));
    if constexpr (sem::kWritesBack<Op>) set_reg<T>(v.s, i.reg, r);
    return true;
  }
  return false;
}
// ALU r/m, reg and TEST r/m, reg. A read-modify-write uses the write entry alone: it exists only
// for a page already accessed and dirty that this privilege may write, hence also read.
template <typename T, int Op, Form F> [[gnu::always_inline]] inline bool try_alu_EG(Vcpu& v, const Insn& i) {
  constexpr Access kA = sem::kWritesBack<Op> ? Access::Write : Access::Read;
  if (uint8_t* p; rm_ptr<T, kA, F>(v, i, p)) [[likely]] {
    const T r = sem::alu<T, Op>(v.s.lazy, load<T>(p), get_reg<T>(v.s, i.reg));
    if constexpr (sem::kWritesBack<Op>) store<T>(p, r);
    return true;
  }
  return false;
}
// ALU r/m, imm and TEST r/m, imm
template <typename T, int Op, Form F> [[gnu::always_inline]] inline bool try_alu_EI(Vcpu& v, const Insn& i) {
  constexpr Access kA = sem::kWritesBack<Op> ? Access::Write : Access::Read;
  if (uint8_t* p; rm_ptr<T, kA, F>(v, i, p)) [[likely]] {
    const T r = sem::alu<T, Op>(v.s.lazy, load<T>(p), T(i.imm));
    if constexpr (sem::kWritesBack<Op>) store<T>(p, r);
    return true;
  }
  return false;
}
// MOVZX/MOVSX reg, m8/m16 (A as in sem::movx: source bytes | 0x10 for sign extension)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_movx(Vcpu& v, const Insn& i) {
  using S = std::conditional_t<(A & 0xF) == 1, uint8_t, uint16_t>;
  if (uint8_t* p; rm_ptr<S, Access::Read, F>(v, i, p)) [[likely]] {
    const S x = load<S>(p);
    set_reg<T>(v.s, i.reg, T((A & 0x10) ? uint32_t(int32_t(std::make_signed_t<S>(x))) : x));
    return true;
  }
  return false;
}
// INC/DEC r/m (FE FF /0 /1)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_incdec_E(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Write, F>(v, i, p)) [[likely]] {
    const T a = load<T>(p), r = A ? T(a - 1) : T(a + 1);
    store<T>(p, r);
    if (A) set_flags_dec<T>(v.s.lazy, a, r); else set_flags_inc<T>(v.s.lazy, a, r);
    return true;
  }
  return false;
}
// ROL..SAR r/m, 1 / CL / imm8. A count of 0 changes nothing; the write entry then only stood
// for a readable page, which the general handler's read would have found too.
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_shift_E(Vcpu& v, const Insn& i) {
  constexpr int op = A & 7, src = A >> 4;
  if (uint8_t* p; rm_ptr<T, Access::Write, F>(v, i, p)) [[likely]] {
    unsigned cnt = src == sem::kCount1 ? 1 : src == sem::kCountCL ? (v.s.gpr[ECX] & 0xFF) : (i.imm & 0xFF);
    cnt &= 31;
    if (cnt) store<T>(p, sem::shift_op<T>(v.s.lazy, op, load<T>(p), cnt));
    return true;
  }
  return false;
}
// IMUL reg, r/m (0F AF)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_imul_GE(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Read, F>(v, i, p)) [[likely]] {
    set_reg<T>(v.s, i.reg, sem::imul_trunc<T>(v.s.lazy, get_reg<T>(v.s, i.reg), load<T>(p)));
    return true;
  }
  return false;
}
// CMOVcc reg, r/m (0F 40-4F): the source is read whether or not the move happens.
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_cmovcc(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<T, Access::Read, F>(v, i, p)) [[likely]] {
    const T x = load<T>(p);
    if (condition(v.s.lazy, i.opcode & 0xF)) set_reg<T>(v.s, i.reg, x);
    return true;
  }
  return false;
}
// How many elements of a REP string walk starting at `lin` (offset `off`) stay inside lin's page
// (and, going down, above offset 0): DF=0 walks up to the page end, DF=1 down to its start.
template <typename T> inline uint32_t elements_in_page(uint32_t lin, uint32_t off, bool down) {
  if (!down) return (0x1000 - (lin & 0xFFF)) / sizeof(T);
  if ((lin & 0xFFF) > 0x1000 - sizeof(T)) return 0;  // the first element crosses the page end
  return std::min((lin & 0xFFF) / uint32_t(sizeof(T)), off / uint32_t(sizeof(T))) + 1;
}

// REP MOVS / REP STOS with 32-bit addresses: the iterations that stay inside one source and one
// destination page run as a plain element loop over host pointers, element by element in the
// direction DF says, as the CPU does (so an overlapping copy repeats its pattern the same way).
// Whatever cannot (an element crossing a page, a TLB miss, a code page, a segment limit) runs
// one iteration at a time through sem::string_iteration. The slice of kRepSlice iterations per
// visit, the register updates and the faults are those of sem::string_insn.
template <typename T, int Op> Fault fast_rep_string(Vcpu& v, const Insn& i) {
  static_assert(Op == sem::kMovs || Op == sem::kStos);
  CpuState& s = v.s;
  if (i.rep != Rep::Rep || !i.addr32) return general<&sem::string_insn<T, Op>>(v, i);
  constexpr uint32_t kSize = sizeof(T);
  const bool down = s.eflags & DF;
  const ptrdiff_t step = down ? -ptrdiff_t(kSize) : ptrdiff_t(kSize);
  uint32_t count = s.gpr[ECX];
  for (uint32_t n = 0; count != 0;) {
    if (n == sem::kRepSlice) {
      s.eip = sem::current_insn_eip(s, i);
      return kEipMoved;
    }
    const uint32_t di = s.gpr[EDI], si = s.gpr[ESI];
    uint32_t chunk = std::min(count, sem::kRepSlice - n);
    chunk = std::min(chunk, elements_in_page<T>(s.seg[ES].base + di, di, down));
    if constexpr (Op == sem::kMovs)
      chunk = std::min(chunk, elements_in_page<T>(s.seg[i.seg].base + si, si, down));
    // host_ptr checks the first element against the limit; going up, the last must fit too
    // (going down the others lie below the first, at offsets >= 0).
    auto fits = [&](uint32_t off, uint8_t seg) {
      return down || uint64_t(off) + uint64_t(chunk) * kSize - 1 <= s.seg[seg].limit;
    };
    uint8_t* d = nullptr;
    const uint8_t* src = nullptr;
    if (chunk > 0 && fits(di, ES)) d = host_ptr_or_null<T, Access::Write>(v, ES, di);
    if constexpr (Op == sem::kMovs)
      if (d && fits(si, i.seg)) src = host_ptr_or_null<T, Access::Read>(v, i.seg, si);
    if (d && (Op == sem::kStos || src)) {
      if constexpr (Op == sem::kMovs) {
        for (uint32_t k = 0; k < chunk; ++k) store<T>(d + k * step, load<T>(src + k * step));
        s.gpr[ESI] = si + uint32_t(ptrdiff_t(chunk) * step);
      } else {
        const T x = get_reg<T>(s, EAX);
        for (uint32_t k = 0; k < chunk; ++k) store<T>(d + k * step, x);
      }
      s.gpr[EDI] = di + uint32_t(ptrdiff_t(chunk) * step);
      count -= chunk;
      n += chunk;
      s.gpr[ECX] = count;
      continue;
    }
    VMLAB_TRY((sem::string_iteration<T, Op>(v, i)));
    s.gpr[ECX] = --count;
    ++n;
  }
  return kNoFault;
}

// SETcc r/m8 (0F 90-9F)
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_setcc(Vcpu& v, const Insn& i) {
  if (uint8_t* p; rm_ptr<uint8_t, Access::Write, F>(v, i, p)) [[likely]] {
    store<uint8_t>(p, condition(v.s.lazy, i.opcode & 0xF) ? 1 : 0);
    return true;
  }
  return false;
}
// LEA reg, m (8D): no memory access at all, only the address. (A register operand is #UD:
// fast_handler_for never picks the Reg form.)
template <typename T, int, Form F> [[gnu::always_inline]] inline bool try_lea(Vcpu& v, const Insn& i) {
  static_assert(F != Form::Reg);
  set_reg<T>(v.s, i.reg, T(offset_of<F>(v.s, i)));
  return true;
}

// The stack forms need a 32-bit stack (SS.B): then ESP needs no masking. kFlat (threaded code):
// flat segments include a 32-bit SS.
template <bool kFlat> [[gnu::always_inline]] inline bool stack_ok(const Vcpu& v) {
  return (kFlat && v.threaded.flat_tlb) || stack32(v.s);
}
// PUSH reg (50+r): PUSH ESP pushes the value before the push. F is Disp, or FlatDisp in
// threaded code.
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_push_r(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  if (stack_ok<is_flat(F)>(v)) [[likely]] {
    const uint32_t sp = s.gpr[ESP] - uint32_t(sizeof(T));
    if (uint8_t* p; host_ptr<T, Access::Write, is_flat(F)>(v, SS, sp, p)) [[likely]] {
      store<T>(p, get_reg<T>(s, i.opcode & 7));
      s.gpr[ESP] = sp;
      return true;
    }
  }
  return false;
}
// POP reg (58+r): ESP moves first, so POP ESP leaves the popped value in ESP.
template <typename T, int A, Form F> [[gnu::always_inline]] inline bool try_pop_r(Vcpu& v, const Insn& i) {
  CpuState& s = v.s;
  if (stack_ok<is_flat(F)>(v)) [[likely]] {
    const uint32_t sp = s.gpr[ESP];
    if (uint8_t* p; host_ptr<T, Access::Read, is_flat(F)>(v, SS, sp, p)) [[likely]] {
      const T x = load<T>(p);
      s.gpr[ESP] = sp + uint32_t(sizeof(T));
      set_reg<T>(s, i.opcode & 7, x);
      return true;
    }
  }
  return false;
}
// The common case of a 32-bit near CALL and RET, shared by the loop's forms and the threaded
// block-ending ones (kFlat): push `ret_eip` and go to `target`; pop EIP. True: done (EIP set);
// false: nothing changed.
template <bool kFlat> [[gnu::always_inline]] inline bool try_near_call(Vcpu& v, uint32_t ret_eip, uint32_t target) {
  CpuState& s = v.s;
  if (stack_ok<kFlat>(v) && target <= s.seg[CS].limit) [[likely]] {
    const uint32_t sp = s.gpr[ESP] - 4;
    if (uint8_t* p; host_ptr<uint32_t, Access::Write, kFlat>(v, SS, sp, p)) [[likely]] {
      store<uint32_t>(p, ret_eip);
      s.gpr[ESP] = sp;
      s.eip = target;
      return true;
    }
  }
  return false;
}
template <bool kFlat> [[gnu::always_inline]] inline bool try_near_ret(Vcpu& v) {
  CpuState& s = v.s;
  if (stack_ok<kFlat>(v)) [[likely]] {
    const uint32_t sp = s.gpr[ESP];
    if (uint8_t* p; host_ptr<uint32_t, Access::Read, kFlat>(v, SS, sp, p)) [[likely]] {
      const uint32_t t = load<uint32_t>(p);
      if (t <= s.seg[CS].limit) [[likely]] {
        s.gpr[ESP] = sp + 4;
        s.eip = t;
        return true;
      }
    }
  }
  return false;
}
// CALL rel32 (E8) with a 32-bit operand size: no truncation of the target.
template <typename T, int A> Fault fast_call_rel(Vcpu& v, const Insn& i) {
  static_assert(sizeof(T) == 4);
  if (try_near_call<false>(v, v.s.eip, v.s.eip + i.imm)) [[likely]] return kNoFault;
  return general<&sem::call_rel<T, A>>(v, i);
}
// RET (C3) with a 32-bit operand size.
template <typename T, int A> Fault fast_ret_near(Vcpu& v, const Insn& i) {
  static_assert(sizeof(T) == 4 && A == 0);
  if (try_near_ret<false>(v)) [[likely]] return kNoFault;
  return general<&sem::ret_near<T, A>>(v, i);
}
// The same as a threaded block's last instruction (see last_jcc).
Fault last_call_rel(Vcpu& v, const Insn& i) {
  const uint32_t next = v.threaded.block_eip + i.next_off;
  if (try_near_call<true>(v, next, next + i.imm)) [[likely]] return threaded_leave(v, i, v.s.eip);
  return threaded_last(v, i);
}
Fault last_ret_near(Vcpu& v, const Insn& i) {
  if (try_near_ret<true>(v)) [[likely]] return threaded_leave(v, i, v.s.eip);
  return threaded_last(v, i);
}

// What decode-time selection needs to know about a general handler.
struct FastSet {
  bool rm_form = true;  // by r/m form (a memory one needs 32-bit addressing); else any form
  FastHandler by_form[kForms] = {};
};
using Table = std::unordered_map<Handler, FastSet>;

// One fast handler whatever the operand form (the instruction has no r/m operand), with no
// threaded form of its own (it ends its block, or returns to the loop anyway).
FastSet any_form(Handler h) { return FastSet{false, {{h, nullptr}}}; }
// A near branch: its loop form (or null), its threaded form inside a block (or null), and its
// threaded form as the block's last instruction.
FastSet branch(Handler plain, Handler threaded, Handler last) {
  return FastSet{false, {{plain, threaded, nullptr, last}}};
}

template <auto Try, Handler G> constexpr FastHandler both() {
  return {&fast_plain<Try, G>, &fast_threaded<Try, G>};
}
// A memory form: also its threaded form for flat ES/SS/DS (TryFlat).
template <auto Try, auto TryFlat, Handler G> constexpr FastHandler all_three() {
  return {&fast_plain<Try, G>, &fast_threaded<Try, G>, &fast_threaded<TryFlat, G>};
}

#define VMLAB_MEM_FORM(try_, gen, T, A, F) all_three<&try_<T, A, F>, &try_<T, A, flat(F)>, &gen<T, A>>()
#define VMLAB_BY_FORM(try_, gen, T, A)                                                             \
  FastSet {                                                                                       \
    true, {VMLAB_MEM_FORM(try_, gen, T, A, Form::Disp), VMLAB_MEM_FORM(try_, gen, T, A, Form::Base), \
           VMLAB_MEM_FORM(try_, gen, T, A, Form::Index),                                          \
           VMLAB_MEM_FORM(try_, gen, T, A, Form::BaseIndex), both<&try_<T, A, Form::Reg>, &gen<T, A>>()} \
  }
#define VMLAB_ADD(t, try_, gen, T, A) (t).emplace(&gen<T, A>, VMLAB_BY_FORM(try_, gen, T, A))

// A general handler that keeps its loop form and gets only a threaded one, `h`.
FastSet threaded_only(Handler h) { return FastSet{false, {{nullptr, h}}}; }
template <Handler H> FastSet register_only() { return threaded_only(&register_only_threaded<H>); }

template <typename T, int... Ops> void add_alu(Table& t, std::integer_sequence<int, Ops...>) {
  (t.emplace(&sem::alu_AI<T, Ops>, register_only<&sem::alu_AI<T, Ops>>()), ...);
  (VMLAB_ADD(t, try_alu_GE, sem::alu_GE, T, Ops), ...);
  (VMLAB_ADD(t, try_alu_EG, sem::alu_EG, T, Ops), ...);
  (VMLAB_ADD(t, try_alu_EI, sem::alu_EI, T, Ops), ...);
}

// sem::shift_E's A = op | count source << 4.
template <typename T, int Src, int... Ops> void add_shifts(Table& t, std::integer_sequence<int, Ops...>) {
  (VMLAB_ADD(t, try_shift_E, sem::shift_E, T, Ops | (Src << 4)), ...);
}

// CMOVcc, SETcc and Jcc carry the condition code as A.
template <typename T, int... Cc> void add_cc(Table& t, std::integer_sequence<int, Cc...>) {
  (t.emplace(&sem::jcc<T, Cc>, branch(nullptr, &threaded_jcc<Cc>, &last_jcc<Cc>)), ...);
  (VMLAB_ADD(t, try_cmovcc, sem::cmovcc, T, Cc), ...);
  if constexpr (sizeof(T) == 4) (VMLAB_ADD(t, try_setcc, sem::setcc, T, Cc), ...);
}

template <typename T> void add_width(Table& t) {
  VMLAB_ADD(t, try_mov_GE, sem::mov_GE, T, 0);
  VMLAB_ADD(t, try_mov_EG, sem::mov_EG, T, 0);
  VMLAB_ADD(t, try_mov_EI, sem::mov_EI, T, 0);
  t.emplace(&sem::mov_rI<T, 0>, register_only<&sem::mov_rI<T, 0>>());
  add_alu<T>(t, std::make_integer_sequence<int, sem::kTest + 1>{});
  VMLAB_ADD(t, try_incdec_E, sem::incdec_E, T, 0);
  VMLAB_ADD(t, try_incdec_E, sem::incdec_E, T, 1);
  add_shifts<T, sem::kCount1>(t, std::make_integer_sequence<int, 8>{});
  add_shifts<T, sem::kCountCL>(t, std::make_integer_sequence<int, 8>{});
  add_shifts<T, sem::kCountImm>(t, std::make_integer_sequence<int, 8>{});
  t.emplace(&sem::string_insn<T, sem::kMovs>, any_form(&fast_rep_string<T, sem::kMovs>));
  t.emplace(&sem::string_insn<T, sem::kStos>, any_form(&fast_rep_string<T, sem::kStos>));
  if constexpr (sizeof(T) > 1) {
    VMLAB_ADD(t, try_imul_GE, sem::imul_GE, T, 0);
    t.emplace(&sem::incdec_r<T, 0>, register_only<&sem::incdec_r<T, 0>>());
    t.emplace(&sem::incdec_r<T, 1>, register_only<&sem::incdec_r<T, 1>>());
    add_cc<T>(t, std::make_integer_sequence<int, 16>{});
    VMLAB_ADD(t, try_movx, sem::movx, T, 0x01);
    VMLAB_ADD(t, try_movx, sem::movx, T, 0x02);
    VMLAB_ADD(t, try_movx, sem::movx, T, 0x11);
    VMLAB_ADD(t, try_movx, sem::movx, T, 0x12);
    // LEA of a register operand is #UD: no Reg form.
    t.emplace(&sem::lea<T, 0>, FastSet{true, {both<&try_lea<T, 0, Form::Disp>, &sem::lea<T, 0>>(),
                                               both<&try_lea<T, 0, Form::Base>, &sem::lea<T, 0>>(),
                                               both<&try_lea<T, 0, Form::Index>, &sem::lea<T, 0>>(),
                                               both<&try_lea<T, 0, Form::BaseIndex>, &sem::lea<T, 0>>(),
                                               {}}});
    const FastHandler push = all_three<&try_push_r<T, 0, Form::Disp>, &try_push_r<T, 0, Form::FlatDisp>,
                                       &sem::push_r<T, 0>>();
    const FastHandler pop = all_three<&try_pop_r<T, 0, Form::Disp>, &try_pop_r<T, 0, Form::FlatDisp>,
                                      &sem::pop_r<T, 0>>();
    t.emplace(&sem::push_r<T, 0>, FastSet{false, {push}});
    t.emplace(&sem::pop_r<T, 0>, FastSet{false, {pop}});
  }
}

#undef VMLAB_ADD
#undef VMLAB_BY_FORM
#undef VMLAB_MEM_FORM

const Table& table() {
  static const Table t = [] {
    Table t;
    add_width<uint8_t>(t);
    add_width<uint16_t>(t);
    add_width<uint32_t>(t);
    t.emplace(&sem::call_rel<uint32_t, 0>, branch(&fast_call_rel<uint32_t, 0>, nullptr, &last_call_rel));
    t.emplace(&sem::ret_near<uint32_t, 0>, branch(&fast_ret_near<uint32_t, 0>, nullptr, &last_ret_near));
    // JMP rel has one handler for both operand sizes (last_jmp_rel checks it).
    t.emplace(&sem::jmp_rel<uint32_t, 0>, branch(nullptr, nullptr, &last_jmp_rel));
    return t;
  }();
  return t;
}

}  // namespace

FastHandler fast_handler_for(const Insn& i) {
  const Table& t = table();
  const auto it = t.find(i.fn);
  if (it == t.end()) return {};
  const FastSet& f = it->second;
  if (!f.rm_form) return f.by_form[0];
  if (i.is_mem && !i.addr32) return {};
  return f.by_form[unsigned(form_of(i))];
}

}  // namespace vmlab::cpu
