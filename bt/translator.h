// The bt technique's translator: a cached, hot, 32-bit decoded block -> x86-64 host code
// (emitted with xbyak into CodeMemory). The hottest integer forms (MOV, the ALU group, LEA,
// INC/DEC, MOVZX/MOVSX, IMUL, shifts by a constant, CMOVcc, SETcc, Jcc) become inline host
// code over CpuState, with the guest memory operand reached through the TLB as the interpreter's
// fast handlers do; every other instruction, and every inline one whose checks fail, is a call
// of its interpreter handler. So the interpreter stays the one definition of each instruction,
// and bt's guest-visible results are the interpreter's. See docs/bt.md.
//
//   auto core = std::make_unique<cpu::Interpreter>(opts, std::make_unique<bt::Translator>());
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include "cpu/block_translator.h"

namespace vmlab::bt {

// One mapping of host memory that is readable, writable and executable, filled front to back.
class CodeMemory {
 public:
  explicit CodeMemory(std::size_t bytes);
  ~CodeMemory();
  CodeMemory(const CodeMemory&) = delete;
  CodeMemory& operator=(const CodeMemory&) = delete;
  uint8_t* cursor() const { return base_ + used_; }
  std::size_t left() const { return size_ - used_; }
  std::size_t used() const { return used_; }
  void commit(std::size_t bytes);  // the next `bytes` at cursor() hold code now (16-aligned)
  void clear() { used_ = 0; }
  bool ok() const { return base_ != nullptr; }

 private:
  uint8_t* base_ = nullptr;
  std::size_t size_ = 0, used_ = 0;
};

class Translator : public cpu::BlockTranslator {
 public:
  static constexpr std::size_t kDefaultCodeBytes = 256u << 20;
  explicit Translator(std::size_t code_bytes = kDefaultCodeBytes);
  ~Translator() override;
  // Names every block's host code in /tmp/perf-<pid>.map, the file `perf report` reads for code
  // made at run time (the same convention as QEMU's -perfmap and the JVMs'). False: cannot write.
  bool write_perf_map();
  bool has_code_memory() const { return mem_.ok(); }  // false: the mapping failed (ulimit -v?)
  cpu::HostCode translate(const cpu::Vcpu& v, const cpu::Block& b) override;
  bool full() const override { return full_; }
  void reset() override;

 private:
  CodeMemory mem_;
  std::FILE* perf_map_ = nullptr;
  bool full_ = false;
};

}  // namespace vmlab::bt
