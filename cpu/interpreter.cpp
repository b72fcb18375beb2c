// The interpreter's run loop: events between blocks (attention, NMI, INTR, HLT), block lookup
// in the decode cache (or decoding), executing the block's handlers, and delivering faults.
// See interpreter.h and docs/interpreter.md.
#include "cpu/interpreter.h"

#include <algorithm>
#ifdef VMLAB_CHECK_INVARIANTS
#include <cstdio>
#include <cstdlib>
#endif
#include "cpu/decode/decode_cache.h"
#include "cpu/decode/decoder.h"
#include "cpu/decode/opcode_table.h"
#include "cpu/fast_handlers.h"
#include "cpu/protected_mode.h"
#include "cpu/threaded.h"
#include "cpu/vcpu.h"
#include "machine/stats.h"
#include "mmu/linear_access.h"

namespace vmlab::cpu {
namespace {

constexpr unsigned kMaxBlockInsns = 64;
constexpr uint32_t kPageSize = 4096;

// Jcc (70-7F, 0F 80-8F), LOOPcc/LOOP/JCXZ (E0-E3): a block may go on past them, because a taken
// one returns kEipMoved (fault.h) and the run loop leaves the block, while a not-taken one falls
// through to the instructions after it.
bool is_conditional_branch(const Insn& i) {
  if (i.map == 0) return (i.opcode >= 0x70 && i.opcode <= 0x7F) || (i.opcode >= 0xE0 && i.opcode <= 0xE3);
  return i.map == 1 && i.opcode >= 0x80 && i.opcode <= 0x8F;
}

// PAUSE (F3 90) ends a block: with Vcpu::yield_on_pause it ends the slice, and that must happen
// right after it, before the lock attempt that follows it in a spin loop.
bool is_pause(const Insn& i) { return i.map == 0 && i.opcode == 0x90 && i.rep == Rep::Rep; }

// Decodes a block starting at CS:eip (physical address pa) into b. A fault on the first
// instruction is returned; anything that stops a later instruction just ends the block (that
// instruction then starts a block of its own and reports its own fault). `cacheable` is cleared
// when the first instruction crosses into the next page (its bytes there could be remapped).
Fault decode_block(Vcpu& v, uint32_t eip, uint64_t pa, unsigned max_insns,
                   bool through_cond_branches, Block& b, bool& cacheable) {
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
    if (kOpcodeRows[insn.row].cls != OpClass::Plain &&
        !(through_cond_branches && is_conditional_branch(insn)))
      break;
    if (is_pause(insn)) break;  // it may end the vCPU's slice (Vcpu::yield_on_pause) right here
  }
  b.span = off;
  return kNoFault;
}

// Installs the fast handlers (when `fast`) and the threaded ones (cpu/threaded.h) of a decoded
// block: a fast form's own threaded handler, else threaded_general; the last instruction gets
// threaded_last, which returns to the loop.
void thread_block(Block& b, bool fast) {
  uint32_t off = 0;
  uint8_t pos = 0;
  Handler last_form = nullptr;  // the last instruction's FastHandler::last
  for (Insn& in : b.insns) {
    off += in.len;
    in.next_off = uint16_t(off);
    in.pos = pos++;
    const FastHandler f = fast ? fast_handler_for(in) : FastHandler{};
    last_form = f.last;
    if (f.plain) in.fn = f.plain;
    // The flat form only where the operand's segment is one that flat_tlb_for vouches for.
    const bool flat_seg = in.seg == ES || in.seg == SS || in.seg == DS;
    in.tfn = f.threaded_flat && flat_seg ? f.threaded_flat : f.threaded ? f.threaded : &threaded_general;
  }
  b.last_changes_state = !b.insns.empty() && may_change_run_state(b.insns.back());
  if (!b.insns.empty())
    b.insns.back().tfn = b.last_changes_state ? &threaded_last_reflat : last_form ? last_form : &threaded_last;
}

// What run_insns stopped at: the instruction after the last one that ran (or the faulting one),
// and the fault, if any.
struct InsnsResult {
  const Insn* stop;
  Fault fault;
};

// Executes the instructions from `in` up to `end`, the hot loop of the interpreter, inlined into
// both users (run_insns: one block, from run(); run_chained), one instance per code size so the
// 16-bit EIP wrap costs nothing in 32-bit code. `end` is the address after the last instruction
// to run, read from memory before every instruction: a code write (or flush) that invalidates
// blocks sets it to 0 (Interpreter::host_run_.run_end), so the loop stops after the instruction
// that wrote (the rest of the block may be stale) with one compare that is also the end-of-block test. It
// also leaves after an instruction that returned kEipMoved (a taken branch, a REP slice), and
// on a fault, with EIP restored to the faulting instruction.
template <bool kCode32>
[[gnu::always_inline]] inline InsnsResult run_insns_inline(Vcpu& v, const Insn* in,
                                                           const uintptr_t& end) {
  CpuState& s = v.s;
  uint32_t next = s.eip;
  while (uintptr_t(in) < end) {
    next += in->len;
    if constexpr (!kCode32) next &= 0xFFFF;
    s.eip = next;
    if (Fault f = in->fn(v, *in)) [[unlikely]] {
      if (f.vector == kEipMovedVector) {  // a taken branch or a REP slice: leave the block
        // A REP slice that left EIP on the instruction counts as one instruction too: the
        // budget and the virtual clock then advance during long string operations.
        ++s.instructions_retired;
        ++in;
        break;
      }
      // Only `next` stays live across the call; the instruction's own EIP is recomputed.
      s.eip = kCode32 ? next - in->len : (next - in->len) & 0xFFFF;
      return {in, f};
    }
#ifdef VMLAB_CHECK_INVARIANTS
    if (s.eip != next && uintptr_t(in + 1) < end) eip_moved_without_saying(*in);
#endif
    ++s.instructions_retired;
    ++in;
  }
  return {in, kNoFault};
}

template <bool kCode32>
[[gnu::noinline]] InsnsResult run_insns(Vcpu& v, const Insn* in, const uintptr_t& end) {
  return run_insns_inline<kCode32>(v, in, end);
}

}  // namespace

Interpreter::Interpreter() : Interpreter(Options{}) {}
Interpreter::Interpreter(Options o) : opts_(o), cache_(std::make_unique<DecodeCache>()) {}
Interpreter::Interpreter(Options o, std::unique_ptr<BlockTranslator> translator)
    : opts_(o), translator_(std::move(translator)), cache_(std::make_unique<DecodeCache>()) {}
Interpreter::~Interpreter() = default;

void Interpreter::invalidate_code_page(uint64_t page) {
  host_run_.run_end = 0;  // a running block stops after the current instruction (it may be stale now)
  const unsigned n = cache_->invalidate_page(page);
  if (vcpu_) {
    vcpu_->mem.clear_code(page);
    vcpu_->counters.decode_cache_invalidations += n;
  }
  ++invalidations_;
}

void Interpreter::flush_code_cache() {
  host_run_.run_end = 0;
  cache_->flush();
}

// The jump cache needs the decode cache (it points into it) and the TLB (its epoch says when a
// translation may have changed).
bool Interpreter::jump_cache_usable(const Vcpu& v) const {
  return opts_.jump_cache && opts_.decode_cache && v.tlb.enabled;
}

Interpreter::Stamps Interpreter::stamps(const Vcpu& v) const {
  return stamps_at(cache_->generation(), v.tlb);
}

// Global only when every page the block spans has a global fetch translation in the TLB now
// (it was just used to find the block); otherwise the ordinary stamp, which any flush ends.
uint64_t Interpreter::stamp_for(const Vcpu& v, uint32_t lin, uint32_t span) const {
  const bool user = v.s.cpl == 3;
  const uint32_t last = lin + (span ? span - 1 : 0);
  const Stamps now = stamps(v);
  return v.tlb.global_fetch(user, lin) && v.tlb.global_fetch(user, last) ? now.global : now.all;
}

void Interpreter::chain(const Block* from, const Block* to, uint32_t lin, uint32_t mode,
                        uint64_t stamp, const Stamps& now) {
  // Reuse a link that already names this address or went stale; else replace the older one.
  unsigned slot = from->next_victim;
  for (unsigned k = 0; k < 2; ++k)
    if (from->next[k].lin == lin || !now.valid(from->next[k].stamp)) { slot = k; break; }
  from->next[slot] = {lin, mode, stamp, to, to->insns.data(), uint32_t(to->insns.size()), to->span};
  from->next_victim = uint8_t(slot ^ 1);
}

// What run_chained did: the last block it ran (the chain source for the next lookup; nullptr
// when a code write may have retired it), how many instructions retired, and the fault of the
// last block's instruction if one faulted (EIP is then on that instruction).
struct Interpreter::ChainedRun {
  const Block* last;
  uint64_t executed;
  Fault fault;
};

// The hot path of the interpreter: execute a block's instructions, then, if nothing needs the
// dispatcher, follow the block's chain link to the next block and go on. It returns to run() for
// anything else: a fault, a code write (the generation moved), the budget, attention, a pending
// NMI or interrupt (INTR with IF=1), an interrupt shadow, HLT, TF, a change of code size, or a
// successor that is neither chained nor in the jump cache (run() then looks it up and links
// it). The link checks are the jump cache's (linear address, CPL and code size, generation +
// TLB epoch, CS limit).
// One instance per code size so the 16-bit EIP wrap costs nothing in 32-bit code.
template <bool kCode32, bool kTranslate>
[[gnu::noinline]] Interpreter::ChainedRun Interpreter::run_chained(Vcpu& v, const Block* b,
                                                                   uint64_t left) {
  CpuState& s = v.s;
  const uint64_t& generation = cache_->generation_ref();
  const uint64_t gen = generation;
  uint64_t done = 0;
  const Insn* in = b->insns.data();
  size_t count = b->insns.size();
  // What the link checks compare against; recomputed after every block (bt's host code needs
  // them before the first one too).
  uint32_t mode = code_mode(s);
  Stamps now = stamps_at(gen, v.tlb);
  auto set_run_end = [&]() __attribute__((always_inline)) {
    host_run_.run_end = uintptr_t(in + (count < left - done ? count : size_t(left - done)));
  };
  // Counted here and added to the members when the run ends (one add per run, not per block).
  uint64_t chained = 0, jumped = 0, threaded = 0;
  // needs_dispatcher(v) said no with mmio_seen MMIO accesses counted (see the loop's end).
  bool dispatch_clear = false;
  uint64_t mmio_seen = 0;
  auto finish = [&](ChainedRun r) {
    chain_hits_ += chained;
    v.counters.decode_cache_hits += chained + jumped;
    threaded_blocks_ += threaded;
    return r;
  };
  // Threaded blocks need run_end only to be non-zero until a code write (the loop and bt host
  // code set it to their exact end): set once here, not per block.
  set_run_end();
  v.threaded.run_end = &host_run_.run_end;  // the same for every block of this run
  ThreadedRun& tr = v.threaded;
  tr.flat_allowed = opts_.flat_segments;
#ifdef VMLAB_CHECK_INVARIANTS
  if (tr.flat_current && tr.flat_tlb != flat_tlb_for(v))
    flat_state_changed_without_saying("something between two chained runs (Interpreter::run clears flat_current)");
#endif
  // What one block did: how many of its instructions retired, and the fault, if any.
  struct BlockResult {
    uint64_t ran;
    Fault fault;
  };
  // Runs the block at `in` in the interpreter: threaded when it may run whole (cpu/threaded.h),
  // else through the loop.
  // (Inlined by force: GCC's size heuristics otherwise make it a call per block.)
  auto run_block = [&]() __attribute__((always_inline)) -> BlockResult {
    if constexpr (kCode32) {
      if (opts_.threaded && count <= left - done) {
        // Stale after run() delivered an event or ran instructions itself, after a block run
        // through the loop and after bt host code; threaded blocks keep it current themselves.
        if (!tr.flat_current) [[unlikely]] {
          tr.flat_tlb = flat_tlb_for(v);
          tr.flat_current = true;
        }
        tr.block_eip = s.eip;
        tr.retired_base = s.instructions_retired;
        const Fault f = in->tfn(v, *in);
        s.instructions_retired = tr.retired_base + tr.retired;
        ++threaded;
        return {tr.retired, f};
      }
    }
    set_run_end();
    const InsnsResult r = run_insns_inline<kCode32>(v, in, host_run_.run_end);
    tr.flat_current = false;  // its last instruction may have changed what flat_tlb_for looks at
    return {uint64_t(r.stop - in), r.fault};
  };
  for (;;) {
    if constexpr (kTranslate) set_run_end();
    BlockResult r;
    if constexpr (kTranslate) {
      // bt: a block that ran often enough runs as host code, whole (the budget allowing); the
      // scratch block (uncached) never does. Translating here is safe: no block is running.
      if (!b->host && b != &scratch_ && ++b->heat == opts_.hot_runs) b->host = translator_->translate(v, *b);
      uint64_t n = kHostCodeDeclined;
      Fault f;
      if (b->host && count <= left - done) {
        // The host code may follow b's links to later translated blocks itself while nothing
        // changes what this loop checks (docs/bt.md); it says where it stopped.
        host_run_.left = left - done;
        host_run_.stamp_all = now.all;
        host_run_.stamp_global = now.global;
        host_run_.mode = mode;
        host_run_.tlb_epoch = v.tlb.epoch;
        host_run_.linked = 0;
        host_run_.last = b;
        host_run_.links = 0;
        n = b->host(&v, &f, &host_run_);
        tr.flat_current = false;  // its instructions may have changed it
        if (const uint64_t links = host_run_.links) {
          done += host_run_.linked;
          b = host_run_.last;
          in = b->insns.data();
          count = b->insns.size();
          host_code_runs_ += links;
          host_code_links_ += links;
          chain_hits_ += links;
          v.counters.decode_cache_hits += links;
          set_run_end();  // for the interpreter, should the last block have declined
        }
        ++(n == kHostCodeDeclined ? host_code_declined_ : host_code_runs_);
      }
      if (n != kHostCodeDeclined) {
        r = {n, f};
      } else {
        r = run_block();
      }
    } else {
      r = run_block();
    }
    done += r.ran;
    if (r.fault) return finish({nullptr, done, r.fault});
    if (generation != gen) return finish({nullptr, done, kNoFault});  // b may have been retired
    if (done >= left || v.attention.load(std::memory_order_relaxed)) break;
    // needs_dispatcher's answer was no after the last block; within a run only a block-ending
    // non-Plain instruction (STI, POPF, IRET, MOV SS, HLT, WRMSR, port I/O, ...) or an MMIO access
    // (the local APIC's EOI, TPR, ICR) can change it: interrupts from timers, devices and other
    // vCPUs arrive between runs, or with attention. So the full check (a virtual call into the
    // interrupt controllers) runs only then; bt's host code may have run several blocks, so
    // after it always.
    const uint64_t mmio = v.counters.mmio_reads + v.counters.mmio_writes;
    if (kTranslate || !dispatch_clear || b->last_changes_state || mmio != mmio_seen) {
      if (needs_dispatcher(v)) break;
      dispatch_clear = true;
      mmio_seen = mmio;
    }
    mode = code_mode(s);
    if (((mode & 4) != 0) != kCode32) break;
    const uint32_t lin = s.seg[CS].base + s.eip;
    now = stamps_at(gen, v.tlb);
    const ChainLink* l = &b->next[0];
    if (!(l->lin == lin && l->mode == mode && now.valid(l->stamp))) {
      ++l;
      if (!(l->lin == lin && l->mode == mode && now.valid(l->stamp))) {
        // Not a successor b remembers (a RET or an indirect jump has more than two, or the
        // link went stale): the jump cache, with the same checks, before going back to run().
        // run_chained runs only with chaining on, which needs the jump cache usable. Linked as
        // run() would (bt's host code follows links itself), under the entry's stamp: it
        // stands for the same translation of the same target.
        const JumpCacheEntry& jc = jump_cache_[jump_cache_index(lin)];
        if (!(jc.lin == lin && jc.mode == mode && now.valid(jc.stamp))) break;
        if (uint64_t(s.eip) + jc.block->span - 1 > s.seg[CS].limit) break;
        if (b != &scratch_) chain(b, jc.block, lin, mode, jc.stamp, now);
        b = jc.block;
        in = b->insns.data();
        count = b->insns.size();
        ++jumped;
        continue;
      }
    }
    if (uint64_t(s.eip) + l->span - 1 > s.seg[CS].limit) break;
    b = l->block;
    in = l->first;
    count = l->count;
    ++chained;
  }
  return finish({b, done, kNoFault});
}

// Finds or decodes the block at CS:eip.
Fault Interpreter::get_block(Vcpu& v, uint32_t eip, unsigned max_insns, const Block*& out) {
  CpuState& s = v.s;
  if (eip > s.seg[CS].limit) return fault_gp(0);
  const uint32_t lin = s.seg[CS].base + eip;
  const bool use_jump_cache = jump_cache_usable(v);
  const uint32_t mode = code_mode(s);
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
        if (use_jump_cache) jc = {lin, mode, stamp_for(v, lin, b->span), b};
        return kNoFault;
      }
    }
  }
  ++v.counters.decode_cache_misses;
  bool cacheable = opts_.decode_cache;
  scratch_.key = key;
  VMLAB_TRY(decode_block(v, eip, pa, max_insns, opts_.blocks_through_branches, scratch_, cacheable));
  thread_block(scratch_, opts_.fast_handlers);
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
    if (use_jump_cache) jc = {lin, mode, stamp_for(v, lin, out->span), out};
    return kNoFault;
  }
  out = &scratch_;
  return kNoFault;
}

Exit Interpreter::run(Vcpu& v, uint64_t budget) {
  CpuState& s = v.s;
  vcpu_ = &v;
  v.technique_id = translator_ ? kTechniqueBt : kTechniqueInterp;
  v.threaded.flat_current = false;  // anything may have changed the state between runs
  v.rdrand_executes = opts_.rdrand;
  Exit exit;
  uint64_t executed = 0;
  // Events delivered without an instruction retiring count against the budget too, so run()
  // always returns (even for a handler that faults at once, forever).
  uint64_t deliveries = 0;
  const bool use_jump_cache = jump_cache_usable(v);
  // Chaining has the jump cache's requirements (cached blocks, a TLB epoch) plus its own switch.
  const bool use_chaining = opts_.chaining && use_jump_cache;
  // Without the cache nothing watches code pages, so decode exactly one instruction ahead.
  const unsigned max_insns = (opts_.blocks && opts_.decode_cache) ? kMaxBlockInsns : 1;
  // The debugger's breakpoints, watchpoints and stepping are set between runs (ui/gdb), never by
  // a handler, so whether one is active is decided once per run().
  const bool debugging = v.debug.active();
  // Handlers may invalidate blocks (self-modifying code): that stops the running block at once
  // (host_run_.run_end), and the generation, read through a reference, says it happened.
  const uint64_t& generation = cache_->generation_ref();
  // The block that ran last without a fault, and the generation then: a chain source. Used only
  // while the generation is unchanged (else it may have been retired, and collect() frees it).
  // It may be the scratch block, whose links are never set.
  const Block* prev = nullptr;
  uint64_t prev_gen = 0;
  auto finish = [&](ExitReason r) {
    exit.reason = r;
    exit.executed = executed;
    v.counters.instructions += executed;
    return exit;
  };

  // bt: code memory filled up during an earlier run (translate() has made nothing since); no
  // host code runs here, so drop every block and its code and start over.
  if (translator_ && translator_->full()) {
    flush_code_cache();
    translator_->reset();
  }
  for (;;) {
    cache_->collect();  // no block is executing here
    const uint32_t attn = v.attention.load(std::memory_order_relaxed);
    if (attn & kAttnShutdown) return finish(ExitReason::Shutdown);
    if (attn & kAttnStop) return finish(ExitReason::Attention);
    if (attn & kAttnYield) {  // PAUSE gave up the rest of the slice (yield_on_pause)
      v.attention.fetch_and(~kAttnYield, std::memory_order_relaxed);
      return finish(ExitReason::BudgetSpent);
    }
    if (executed + deliveries >= budget) return finish(ExitReason::BudgetSpent);

    // Events between instructions (SDM Vol. 3, 6.9): NMI, then INTR; none in an interrupt
    // shadow (after STI, MOV SS, POP SS).
    const bool shadow = s.events.interrupt_shadow;
    if (!shadow) {
      if (s.events.nmi_pending && !s.events.nmi_blocked) {
        s.events.nmi_pending = 0;
        s.events.halted = 0;
        deliver_event(v, Event{EventKind::Nmi, kNMI, false, 0, s.eip});
        v.threaded.flat_current = false;
        ++deliveries;
        prev = nullptr;
        continue;
      }
      if (intr_deliverable(v)) {
        s.events.halted = 0;
        const uint8_t vector = v.intr->acknowledge();
        deliver_event(v, Event{EventKind::External, vector, false, 0, s.eip});
        v.threaded.flat_current = false;
        ++deliveries;
        prev = nullptr;
        continue;
      }
    }
    if (s.events.halted) return finish(ExitReason::Halted);

    // A debugger attached (breakpoints, watchpoints, stepping): one instruction at a time, and
    // stop before a breakpoint's instruction.
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
      const uint32_t mode = code_mode(s);
      const Stamps now = stamps(v);
      const uint32_t limit = s.seg[CS].limit;
      // First the links of the block that just ran, then the jump cache; either way the same
      // checks (address, CPL and code size, stamp, CS limit).
      if (use_chaining && prev && generation == prev_gen) {
        for (const ChainLink& l : prev->next) {
          if (l.lin == lin && l.mode == mode && now.valid(l.stamp) &&
              uint64_t(eip) + l.block->span - 1 <= limit) {
            b = l.block;
            ++chain_hits_;
            ++v.counters.decode_cache_hits;
            break;
          }
        }
      }
      if (!b) {
        JumpCacheEntry& jc = jump_cache_[jump_cache_index(lin)];
        if (jc.lin == lin && jc.mode == mode && now.valid(jc.stamp) &&
            uint64_t(eip) + jc.block->span - 1 <= limit) {
          b = jc.block;
          ++v.counters.decode_cache_hits;
        } else if (Fault f = get_block(v, eip, max_insns, b)) {
          deliver(v, f, eip);
          ++deliveries;
          prev = nullptr;
          continue;
        }
        // Link the block that just ran to this one (cached blocks only; get_block may have
        // flushed the cache, which moved the generation and dropped the links' validity).
        if (use_chaining && prev && prev != &scratch_ && b != &scratch_ && generation == prev_gen)
          chain(prev, b, lin, mode, stamp_for(v, lin, b->span), stamps(v));
      }
    } else if (Fault f = get_block(v, eip, max_insns, b)) {
      deliver(v, f, eip);
      ++deliveries;
      continue;
    }
    const uint64_t left = budget - executed - deliveries;
    bool faulted = false;
    if (use_chaining && !single) {
      // The common case: this block and its chained successors, without coming back here.
      const ChainedRun r = !code32(s)       ? run_chained<false, false>(v, b, left)
                           : translator_ ? run_chained<true, true>(v, b, left)
                                         : run_chained<true, false>(v, b, left);
      executed += r.executed;
      prev = r.last;
      prev_gen = generation;
      if (r.fault) {
        deliver(v, r.fault, s.eip);
        ++deliveries;
        faulted = true;
      }
    } else {
      const uint64_t gen = generation;
      const Insn* const first = b->insns.data();
      const size_t count = b->insns.size();
      const size_t n = single ? 1 : (count < left ? count : size_t(left));
      host_run_.run_end = uintptr_t(first + n);
      const InsnsResult r = code32(s) ? run_insns<true>(v, first, host_run_.run_end)
                                      : run_insns<false>(v, first, host_run_.run_end);
      executed += uint64_t(r.stop - first);
      v.threaded.flat_current = false;  // these instructions may have changed it
      faulted = bool(r.fault);
      if (faulted) {
        deliver(v, r.fault, s.eip);
        ++deliveries;
      }
      // The block that runs next may be chained from this one (the link's checks make any
      // exit safe); not after a fault. A code write moved the generation, disabling prev.
      prev = faulted ? nullptr : b;
      prev_gen = gen;
    }
    // Single-step (TF) ran exactly one instruction: the #DB trap follows it (DR6.BS).
    if (trap_after && !faulted) {
      s.dr[6] |= 0x4000;
      deliver_event(v, Event{EventKind::Exception, kDB, false, 0, s.eip});
      v.threaded.flat_current = false;
      prev = nullptr;
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
  v.threaded.flat_current = false;  // a new CS, SS, CPL or EFLAGS.AC perhaps
}

void Interpreter::register_stats(machine::Stats& stats) {
  stats.counter("interp.threaded_blocks", &threaded_blocks_);
  if (!translator_) return;
  const BlockTranslator::Stats& t = translator_->stats();
  stats.counter("bt.blocks_translated", &t.blocks);
  stats.counter("bt.insns_inline", &t.insns_inline);
  stats.counter("bt.insns_callout", &t.insns_callout);
  stats.counter("bt.flags_skipped", &t.flags_skipped);
  stats.counter("bt.code_bytes", &t.code_bytes);
  stats.counter("bt.code_resets", &t.resets);
  stats.counter("bt.host_code_runs", &host_code_runs_);
  stats.counter("bt.host_code_links", &host_code_links_);
  stats.counter("bt.host_code_declined", &host_code_declined_);
}

}  // namespace vmlab::cpu
