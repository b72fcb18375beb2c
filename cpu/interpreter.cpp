// The interpreter's run loop: events between blocks (attention, NMI, INTR, HLT), block lookup
// in the decode cache (or decoding), executing the block's handlers, and delivering faults.
// See interpreter.h and docs/interpreter.md.
#include "cpu/interpreter.h"

#include <algorithm>
#include "cpu/decode/decode_cache.h"
#include "cpu/decode/decoder.h"
#include "cpu/decode/opcode_table.h"
#include "cpu/protected_mode.h"
#include "cpu/vcpu.h"
#include "mmu/linear_access.h"

namespace vmlab::cpu {
namespace {

constexpr unsigned kMaxBlockInsns = 64;
constexpr uint32_t kPageSize = 4096;

// Decodes a block starting at CS:eip (physical address pa) into b. A fault on the first
// instruction is returned; anything that stops a later instruction just ends the block (that
// instruction then starts a block of its own and reports its own fault). `cacheable` is cleared
// when the first instruction crosses into the next page (its bytes there could be remapped).
Fault decode_block(Vcpu& v, uint32_t eip, uint64_t pa, unsigned max_insns, Block& b,
                   bool& cacheable) {
  const CpuState& s = v.s;
  const bool c32 = code32(s);
  const bool user = s.cpl == 3;
  const uint32_t limit = s.seg[CS].limit;
  const uint32_t page_left = kPageSize - uint32_t(pa & (kPageSize - 1));
  b.insns.clear();
  uint32_t off = 0;
  while (b.insns.size() < max_insns && off < page_left) {
    const uint32_t at = eip + off;
    if ((!c32 && at > 0xFFFF) || at > limit) {
      if (off == 0) return fault_gp(0);
      break;
    }
    uint8_t buf[kMaxInsnLength];
    const uint32_t in_limit = uint32_t(std::min<uint64_t>(kMaxInsnLength, uint64_t(limit) - at + 1));
    // Look ahead only inside this page: touching the next page would walk its page tables
    // (setting accessed bits, or writing CR2 for a fault nobody takes) for an instruction that
    // may never run. Only the block's first instruction may cross the page, because then the
    // CPU really does need those bytes.
    const uint32_t in_page = std::min(in_limit, page_left - off);
    unsigned got = 0;
    Fault f = mmu::fetch_linear(v, s.seg[CS].base + at, buf, in_page, user, got);
    if (f) {
      if (off == 0) return f;
      break;
    }
    // Device memory hands out one byte per request: fetch more while the decoder needs them.
    Insn insn;
    DecodeStatus st = decode(buf, got, c32, insn);
    while (st == DecodeStatus::Truncated && got < in_page) {
      unsigned more = 0;
      f = mmu::fetch_linear(v, s.seg[CS].base + at + got, buf + got, in_page - got, user, more);
      if (f || more == 0) break;
      got += more;
      st = decode(buf, got, c32, insn);
    }
    if (st == DecodeStatus::Truncated && got == in_page && in_page < in_limit) {
      if (off != 0) break;  // it starts the next block instead, and fetches across then
      while (st == DecodeStatus::Truncated && got < in_limit) {
        unsigned more = 0;
        f = mmu::fetch_linear(v, s.seg[CS].base + at + got, buf + got, in_limit - got, user, more);
        if (f || more == 0) break;
        got += more;
        st = decode(buf, got, c32, insn);
      }
    }
    if (st != DecodeStatus::Ok) {
      if (off != 0) break;
      if (f) return f;  // the byte the instruction needs cannot be fetched (#PF)
      if (st == DecodeStatus::Undefined) return fault_ud();
      if (st == DecodeStatus::TooLong) return fault_gp(0);
      return fault_gp(0);  // truncated by the CS limit
    }
    if (off + insn.len > page_left) {  // crosses the page end
      if (off != 0) break;
      cacheable = false;
    }
    b.insns.push_back(insn);
    off += insn.len;
    if (kOpcodeRows[insn.row].cls != OpClass::Plain) break;
  }
  b.span = off;
  return kNoFault;
}

}  // namespace

Interpreter::Interpreter() : Interpreter(Options{}) {}
Interpreter::Interpreter(Options o) : opts_(o), cache_(std::make_unique<DecodeCache>()) {}
Interpreter::~Interpreter() = default;

void Interpreter::invalidate_code_page(uint64_t page) {
  const unsigned n = cache_->invalidate_page(page);
  if (vcpu_) {
    vcpu_->mem.clear_code(page);
    vcpu_->counters.decode_cache_invalidations += n;
  }
  ++invalidations_;
}

void Interpreter::flush_code_cache() { cache_->flush(); }

// The jump cache needs the decode cache (it points into it) and the TLB (its epoch says when a
// translation may have changed).
bool Interpreter::jump_cache_usable(const Vcpu& v) const {
  return opts_.jump_cache && opts_.decode_cache && v.tlb.enabled;
}

// Finds or decodes the block at CS:eip.
Fault Interpreter::get_block(Vcpu& v, uint32_t eip, unsigned max_insns, const Block*& out) {
  CpuState& s = v.s;
  if (eip > s.seg[CS].limit) return fault_gp(0);
  const uint32_t lin = s.seg[CS].base + eip;
  const bool use_jump_cache = jump_cache_usable(v);
  const uint32_t mode = jump_cache_mode(s);
  JumpCacheEntry& jc = jump_cache_[jump_cache_index(lin)];
  uint64_t pa = 0;
  VMLAB_TRY(mmu::linear_to_physical(v, lin, mmu::Access::Fetch, s.cpl == 3, pa));
  const bool c32 = code32(s);
  const uint64_t key = block_key(pa, c32);
  if (opts_.decode_cache) {
    if (Block* b = cache_->find(key)) {
      if (uint64_t(eip) + b->span - 1 <= s.seg[CS].limit) {
        ++v.counters.decode_cache_hits;
        out = b;
        if (use_jump_cache) jc = {lin, mode, cache_->generation(), v.tlb.epoch, b};
        return kNoFault;
      }
    }
  }
  ++v.counters.decode_cache_misses;
  bool cacheable = opts_.decode_cache;
  scratch_.key = key;
  VMLAB_TRY(decode_block(v, eip, pa, max_insns, scratch_, cacheable));
  // Only RAM and ROM are cached (MMIO bytes could change behind our back); RAM pages are
  // watched for writes from now on.
  const bool ram = v.mem.ram_ptr(pa, scratch_.span) != nullptr;
  if (cacheable && (ram || v.mem.readable_ptr(pa, scratch_.span))) {
    if (ram) {
      const uint64_t page = pa >> 12;
      if (!v.mem.is_code(page)) mmu::mark_page_as_code(v, page);
    }
    auto b = std::make_unique<Block>(scratch_);
    out = cache_->insert(std::move(b));
    if (use_jump_cache) jc = {lin, mode, cache_->generation(), v.tlb.epoch, out};
    return kNoFault;
  }
  out = &scratch_;
  return kNoFault;
}

Exit Interpreter::run(Vcpu& v, uint64_t budget) {
  CpuState& s = v.s;
  vcpu_ = &v;
  v.technique_id = 0;
  Exit exit;
  uint64_t executed = 0;
  // Events delivered without an instruction retiring count against the budget too, so run()
  // always returns (even for a handler that faults at once, forever).
  uint64_t deliveries = 0;
  const bool use_jump_cache = jump_cache_usable(v);
  // Without the cache nothing watches code pages, so decode exactly one instruction ahead.
  const unsigned max_insns = (opts_.blocks && opts_.decode_cache) ? kMaxBlockInsns : 1;
  auto finish = [&](ExitReason r) {
    exit.reason = r;
    exit.executed = executed;
    v.counters.instructions += executed;
    return exit;
  };

  for (;;) {
    cache_->collect();  // no block is executing here
    const uint32_t attn = v.attention.load(std::memory_order_relaxed);
    if (attn & kAttnShutdown) return finish(ExitReason::Shutdown);
    if (attn & kAttnStop) return finish(ExitReason::Attention);
    if (executed + deliveries >= budget) return finish(ExitReason::BudgetSpent);

    // Events between instructions (SDM Vol. 3, 6.9): NMI, then INTR; none in an interrupt
    // shadow (after STI, MOV SS, POP SS).
    const bool shadow = s.events.interrupt_shadow;
    if (!shadow) {
      if (s.events.nmi_pending && !s.events.nmi_blocked) {
        s.events.nmi_pending = 0;
        s.events.halted = 0;
        deliver_event(v, Event{EventKind::Nmi, kNMI, false, 0, s.eip});
        ++deliveries;
        continue;
      }
      if ((s.eflags & IF) && v.intr && v.intr->intr_pending()) {
        s.events.halted = 0;
        const uint8_t vector = v.intr->acknowledge();
        deliver_event(v, Event{EventKind::External, vector, false, 0, s.eip});
        ++deliveries;
        continue;
      }
    }
    if (s.events.halted) return finish(ExitReason::Halted);

    // A debugger attached (breakpoints, watchpoints, stepping): one instruction at a time, and
    // stop before a breakpoint's instruction.
    const bool debugging = v.debug.active();
    if (debugging) {
      const uint32_t lin = s.seg[CS].base + s.eip;
      if (!v.debug.skip_breakpoint_once && v.debug.has_breakpoint(lin)) {
        v.debug.hit = {DebugStop::Breakpoint, lin, WatchKind::Write};
        return finish(ExitReason::Breakpoint);
      }
      v.debug.skip_breakpoint_once = false;
    }

    // One instruction at a time in a shadow and when single-stepping (TF).
    const bool trap_after = s.eflags & TF;
    const bool single = shadow || trap_after || debugging;
    s.events.interrupt_shadow = 0;

    uint32_t eip = s.eip;
    const Block* b = nullptr;
    if (use_jump_cache) {  // the common case, inline: no call, no fetch translation
      const uint32_t lin = s.seg[CS].base + eip;
      const JumpCacheEntry& jc = jump_cache_[jump_cache_index(lin)];
      if (jc.lin == lin && jc.mode == jump_cache_mode(s) && jc.generation == cache_->generation() &&
          jc.tlb_epoch == v.tlb.epoch && uint64_t(eip) + jc.block->span - 1 <= s.seg[CS].limit) {
        ++v.counters.decode_cache_hits;
        b = jc.block;
      }
    }
    if (!b) {
      if (Fault f = get_block(v, eip, max_insns, b)) {
        deliver(v, f, eip);
        ++deliveries;
        continue;
      }
    }
    // Handlers may invalidate blocks (self-modifying code): `generation` is re-read after each
    // instruction, through a reference so the hot loop does not chase cache_ every time.
    const uint64_t& generation = cache_->generation_ref();
    const uint64_t gen = generation;
    const uint32_t eip_mask = code32(s) ? 0xFFFFFFFFu : 0xFFFFu;
    const size_t n = single ? 1 : std::min<uint64_t>(b->insns.size(), budget - executed - deliveries);
    const Insn* in = b->insns.data();
    const Insn* const end = in + n;
    bool faulted = false;
    for (; in != end; ++in) {
      const uint32_t next = (eip + in->len) & eip_mask;
      s.eip = next;
      if (Fault f = in->fn(v, *in)) {
        s.eip = eip;
        deliver(v, f, eip);
        ++deliveries;
        faulted = true;
        break;
      }
      // A REP slice that left EIP on the instruction counts as one instruction too: the budget
      // and the virtual clock then advance during long string operations.
      ++executed;
      ++s.instructions_retired;
      if (s.eip != next || generation != gen) break;
      eip = next;
    }
    // Single-step (TF) ran exactly one instruction: the #DB trap follows it (DR6.BS).
    if (trap_after && !faulted) {
      s.dr[6] |= 0x4000;
      deliver_event(v, Event{EventKind::Exception, kDB, false, 0, s.eip});
    }
    if (debugging) {
      // A watched access completed (the instruction retired), or one step is done.
      if (v.debug.hit.kind == DebugStop::Watchpoint) return finish(ExitReason::Breakpoint);
      if (v.debug.single_step) {
        v.debug.hit = {DebugStop::Step, s.seg[CS].base + s.eip, WatchKind::Write};
        return finish(ExitReason::Breakpoint);
      }
    }
  }
}

void Interpreter::deliver(Vcpu& v, const Fault& f, uint32_t eip) {
  // deliver_event counts the exception in v.counters.exceptions.
  deliver_fault(v, f, eip);
}

}  // namespace vmlab::cpu
