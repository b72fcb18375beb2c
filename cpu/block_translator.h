// BlockTranslator: turns a cached decoded block into host code (the `bt` technique, bt/). The
// interpreter's block machinery (decode cache, chaining, invalidation on code writes) is the
// translation cache; a translator only replaces the handler loop of blocks that ran often.
// cpu/ knows this interface only, so the interpreter builds without the code emitter.
//
//   HostCode code = translator.translate(vcpu, block);   // nullptr: keep interpreting it
//   Fault f;  uint64_t n = code(&vcpu, &f, &host_run);    // see HostRun (decode_cache.h)
#pragma once
#include <cstdint>
#include "cpu/decode/decode_cache.h"

namespace vmlab::cpu {

class Vcpu;

class BlockTranslator {
 public:
  virtual ~BlockTranslator() = default;
  // Host code for `b` (32-bit code), or nullptr when it has none to give (code memory full).
  // The code behaves exactly as the interpreter's loop over b.insns (interpreter.cpp,
  // run_insns_inline) with run_end = one past the last instruction: it returns how many
  // instructions it consumed, and on a fault stores it in *fault with EIP on that instruction.
  // It may go on into linked blocks' code first (HostRun says which block returned).
  virtual HostCode translate(const Vcpu& v, const Block& b) = 0;
  // Code memory ran out: the caller drops every block (flush) at a point where no host code
  // runs (the start of Interpreter::run), then calls reset().
  virtual bool full() const = 0;
  virtual void reset() = 0;
  struct Stats {
    uint64_t blocks = 0;          // blocks translated
    uint64_t insns_inline = 0;    // instructions emitted as host code
    uint64_t insns_callout = 0;   // instructions emitted as a call of their handler
    uint64_t flags_skipped = 0;   // inline instructions whose flags were dead (not stored)
    uint64_t code_bytes = 0;      // host code bytes in use
    uint64_t resets = 0;          // code memory filled up and was emptied
  };
  const Stats& stats() const { return stats_; }

 protected:
  Stats stats_;
};

}  // namespace vmlab::cpu
