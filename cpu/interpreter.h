// Interpreter: the reference execution core. Decodes guest instructions (cpu/decode), keeps the
// decoded instructions in a cache keyed by physical address, and executes them with the
// semantics in cpu/semantics. Faults are delivered through cpu/protected_mode.h.
//
//   Interpreter core;                       // default options: every speed trick on
//   Exit e = core.run(vcpu, 1'000'000);
//   Interpreter slow({.decode_cache = false});   // decode every instruction every time
//
// See docs/interpreter.md.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include "cpu/block_translator.h"
#include "cpu/cpu_state.h"
#include "cpu/decode/decode_cache.h"
#include "cpu/execution_core.h"
#include "cpu/fault.h"
#include "mmu/tlb.h"

namespace vmlab::cpu {

class Vcpu;

class Interpreter : public ExecutionCore {
 public:
  // Every speed trick has an off switch (STYLE.md point 9); conformance runs with them off too.
  struct Options {
    bool decode_cache = true;   // keep decoded blocks per physical page; off = decode each time
    bool blocks = true;         // run straight-line blocks of decoded insns; off = one at a time
    bool jump_cache = true;     // find the next block by linear address, skipping the fetch
                                // translation and the physical-key lookup; off = always look up
    bool blocks_through_branches = true;  // a block goes on past a conditional branch (Jcc,
                                          // LOOP, JCXZ) and is left only when it is taken
    bool chaining = true;       // a block remembers its successors (Block::next), so the next
                                // block is found without any lookup; off = jump cache / lookup
    bool fast_handlers = true;  // cached blocks use the straight-line variants of the hottest
                                // forms (cpu/fast_handlers.h); off = the general handlers only
    bool threaded = true;       // cached 32-bit blocks run as threaded code (cpu/threaded.h):
                                // each handler jumps to the next; off = the loop calls each one
    bool flat_segments = true;  // threaded fast handlers skip the segment checks while ES, SS and
                                // DS are flat (ThreadedRun::flat_tlb); off = they always check
    uint32_t hot_runs = 16;     // bt only: runs of a cached block before it is translated
    bool rdrand = false;        // RDRAND/RDSEED run (Vcpu::rdrand_executes) instead of #UD:
                                // for the KVM core's fallback only
  };

  Interpreter();
  explicit Interpreter(Options o);
  // The bt technique: the same machinery, with blocks that ran Options::hot_runs times replaced
  // by the translator's host code (32-bit code only; everything else is interpreted as before).
  Interpreter(Options o, std::unique_ptr<BlockTranslator> translator);
  ~Interpreter() override;

  const char* name() const override { return translator_ ? "bt" : "interp"; }
  void register_stats(machine::Stats& stats) override;
  const BlockTranslator* translator() const { return translator_.get(); }
  uint64_t host_code_links() const { return host_code_links_; }  // bt: links host code followed
  Exit run(Vcpu& vcpu, uint64_t budget) override;
  void invalidate_code_page(uint64_t page) override;
  void flush_code_cache() override;

  const Options& options() const { return opts_; }
  uint64_t invalidations() const { return invalidations_; }
  // Blocks found through a chain link (Block::next) rather than a lookup; for tests and stats.
  uint64_t chain_hits() const { return chain_hits_; }
  // Blocks run as threaded code (cpu/threaded.h); for tests and stats.
  uint64_t threaded_blocks() const { return threaded_blocks_; }
  std::size_t cached_blocks() const { return cache_->size(); }

 private:
  Fault get_block(Vcpu& v, uint32_t eip, unsigned max_insns, const Block*& out);
  void deliver(Vcpu& v, const Fault& f, uint32_t eip);

  // The jump cache: linear address of a block's first byte -> block, direct-mapped. An entry is
  // valid only while nothing that could change what that address decodes to has happened since
  // it was filled: no code invalidation (cache generation), no TLB flush (Tlb::epoch), and the
  // same CPL and code size. Its speed comes from not walking the dependent load chain
  // TLB entry -> physical address -> cache slot for each of the many short blocks.
  // `stamp` is generation + epoch (see Stamps): one compare checks both. For a block whose pages
  // have global translations it is generation + global epoch, tagged kGlobalStamp, so a CR3
  // reload (which keeps global TLB entries) leaves it valid.
  struct JumpCacheEntry {
    uint32_t lin = 0;
    uint32_t mode = ~0u;         // code_mode (CPL, code size); ~0 never matches
    uint64_t stamp = ~0ull;
    const Block* block = nullptr;
  };
  static constexpr unsigned kJumpCacheSize = 4096;
  static unsigned jump_cache_index(uint32_t lin) { return (lin ^ (lin >> 10)) & (kJumpCacheSize - 1); }
  bool jump_cache_usable(const Vcpu& v) const;
  // Generation + TLB epoch: both only grow, so the sum is unchanged exactly when neither changed.
  // An entry made for a block on global pages carries generation + global epoch with the top bit
  // set instead; it is valid while that one is unchanged.
  static constexpr uint64_t kGlobalStamp = 1ull << 63;
  struct Stamps {
    uint64_t all, global;
    bool valid(uint64_t stamp) const { return stamp == all || stamp == global; }
  };
  static Stamps stamps_at(uint64_t generation, const mmu::Tlb& tlb) {
    return {generation + tlb.epoch, (generation + tlb.global_epoch) | kGlobalStamp};
  }
  Stamps stamps(const Vcpu& v) const;
  // The stamp for a new entry naming the block at `lin` of `span` bytes.
  uint64_t stamp_for(const Vcpu& v, uint32_t lin, uint32_t span) const;
  // Runs block b, then its chained successors for as long as links are valid and nothing needs
  // the dispatcher (events, attention, budget, faults, code writes); see interpreter.cpp.
  struct ChainedRun;
  template <bool kCode32, bool kTranslate> ChainedRun run_chained(Vcpu& v, const Block* b, uint64_t left);
  // Remembers `to` as a successor of `from` (both cached blocks) under `stamp`.
  static void chain(const Block* from, const Block* to, uint32_t lin, uint32_t mode, uint64_t stamp,
                    const Stamps& now);
  std::array<JumpCacheEntry, kJumpCacheSize> jump_cache_{};

  Options opts_;
  std::unique_ptr<BlockTranslator> translator_;
  uint64_t host_code_runs_ = 0;             // bt: blocks run as host code
  uint64_t host_code_links_ = 0;            // bt: chain links host code followed itself
  uint64_t host_code_declined_ = 0;         // bt: host code that declined (segments), interpreted
  std::unique_ptr<DecodeCache> cache_;
  Block scratch_;                           // uncached decodes (cache off, page-crossing insns)
  Vcpu* vcpu_ = nullptr;                    // of the last run(): code bits and counters
  // run_end: the address after the last instruction the running block may execute; 0 = stop
  // after the current one (set by code invalidation: see run_insns_inline). With the rest of
  // HostRun, shared with bt's host code.
  HostRun host_run_{};
  uint64_t invalidations_ = 0;
  uint64_t chain_hits_ = 0;
  uint64_t threaded_blocks_ = 0;
};

}  // namespace vmlab::cpu
