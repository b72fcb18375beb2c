// DecodeCache: decoded blocks (straight-line runs of instructions, ending at the first
// non-plain instruction or the page end) keyed by the physical address of their first byte plus
// the mode bit that changes decoding (CS.D). Invalidated per physical page when a code page is
// written (GuestMemory's code-write listener -> Interpreter::invalidate_code_page). Invalidated
// blocks are kept until collect() at a safe point, so a block that is executing is never freed;
// generation() changes on every invalidation so the executing block stops after the current
// instruction (self-modifying code takes effect for the next instruction).
//
//   if (Block* b = cache.find(key)) ...;  else cache.insert(std::move(new_block));
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>
#include "cpu/decode/insn.h"

namespace vmlab::cpu {

struct Block;
class Vcpu;
struct Fault;
// What a translated block's host code (cpu/block_translator.h) shares with the interpreter that
// calls it: the code-write flag, and what it needs to follow chain links to the next translated
// block itself with the checks of Interpreter::run_chained (the values they compare against).
struct HostRun {
  uintptr_t run_end = 0;        // first: the interpreter's run_end_, 0 after a code write
  uint64_t left = 0;            // set by the caller: instructions this and later blocks may run
  uint64_t stamp_all = 0;       // set by the caller: Interpreter::Stamps of now
  uint64_t stamp_global = 0;
  uint32_t mode = 0;            // set by the caller: code_mode
  uint64_t tlb_epoch = 0;       // set by the caller: Tlb::epoch (handlers may flush the TLB)
  uint64_t linked = 0;          // by host code: instructions of the blocks it left for another
  const Block* last = nullptr;  // by host code: the block whose code returned
  uint64_t links = 0;           // by host code: links followed (statistics; the caller zeroes it)
};
// Host code of a translated block: returns the instructions the last block (HostRun::last)
// consumed, or kHostCodeDeclined when the machine is not in the state that block's code was
// made for (none of it ran).
using HostCode = uint64_t (*)(Vcpu* v, Fault* fault, HostRun* run);
inline constexpr uint64_t kHostCodeDeclined = ~uint64_t(0);

// Block chaining: a block remembers the blocks that ran after it, so the dispatcher can skip the
// jump-cache / physical-key lookup. A link is used only when everything that could change what
// the linear address decodes to is unchanged since it was made: the same linear address, CPL and
// code size (`mode`, as in the interpreter's jump cache), and the same `stamp` (decode cache
// generation + TLB epoch; both only grow, so an equal sum means neither changed, and an
// unchanged generation also means the target block was not retired, so the pointer is alive).
struct ChainLink {
  uint32_t lin = 0;
  uint32_t mode = ~0u;        // ~0 never matches
  uint64_t stamp = ~0ull;
  const Block* block = nullptr;
  // Copies of the target's instructions and span (a block never changes once cached), so
  // following a link goes straight to the instructions without waiting for the Block itself.
  const Insn* first = nullptr;
  uint32_t count = 0;
  uint32_t span = 0;
};

struct Block {
  uint64_t key = 0;           // physical address << 1 | CS.D
  uint32_t span = 0;          // bytes from the first instruction's start to the last one's end
  std::vector<Insn> insns;
  // Successors (taken / fall-through, or whatever ran last); filled by the interpreter, never
  // on its uncached scratch block. Mutable: a link is a cache, not part of the decoded block.
  mutable std::array<ChainLink, 2> next{};
  mutable uint8_t next_victim = 0;  // which link a new successor replaces
  // The bt technique only (cpu/block_translator.h): how often the block ran, and its host code
  // once it ran often enough. Mutable for the same reason as the links.
  mutable uint32_t heat = 0;
  mutable HostCode host = nullptr;
  // Its last instruction is one that may change segments, CPL, EFLAGS (IF, TF, AC), CR0, MSRs,
  // the interrupt shadow or HLT state, or do port I/O: a non-Plain one other than a near branch
  // (may_change_run_state, cpu/threaded.h). Set when the block is cached; the interpreter's
  // chained run re-checks what such an instruction may have changed.
  bool last_changes_state = true;  // (true until thread_block knows better: the safe answer)
};

inline uint64_t block_key(uint64_t pa, bool code32) { return (pa << 1) | (code32 ? 1 : 0); }

class DecodeCache {
 public:
  static constexpr std::size_t kMaxBlocks = 1u << 17;  // then everything is dropped and rebuilt

  Block* find(uint64_t key) {
    Block*& slot = front_[front_index(key)];
    if (slot && slot->key == key) return slot;
    auto it = blocks_.find(key);
    if (it == blocks_.end()) return nullptr;
    slot = it->second.get();
    return slot;
  }
  Block* insert(std::unique_ptr<Block> b);
  // Drops every block that starts on physical page `page`; returns how many.
  unsigned invalidate_page(uint64_t page);
  void flush();
  // Frees invalidated blocks; call only when no block is executing.
  void collect() { if (!graveyard_.empty()) graveyard_.clear(); }
  uint64_t generation() const { return generation_; }
  const uint64_t& generation_ref() const { return generation_; }
  std::size_t size() const { return blocks_.size(); }

 private:
  static unsigned front_index(uint64_t key) { return unsigned((key >> 1) ^ (key >> 13)) & 4095; }
  void retire(std::unique_ptr<Block> b);

  std::array<Block*, 4096> front_{};  // direct-mapped front of blocks_
  std::unordered_map<uint64_t, std::unique_ptr<Block>> blocks_;
  std::unordered_map<uint64_t, std::vector<uint64_t>> by_page_;  // page -> keys
  std::vector<std::unique_ptr<Block>> graveyard_;
  uint64_t generation_ = 0;
};

}  // namespace vmlab::cpu
