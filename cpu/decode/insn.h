// Insn: one decoded instruction with its operands baked in, as the decoder leaves it and the
// interpreter executes it. A handler is a plain function pointer chosen at decode time for the
// instruction's operand size, so executing needs no further decoding.
//
//   Insn i;
//   if (decode(bytes, n, /*code32=*/false, i) == DecodeStatus::Ok) i.fn(vcpu, i);
#pragma once
#include <cstdint>
#include "cpu/fault.h"

namespace vmlab::cpu {

class Vcpu;
struct Insn;
using Handler = Fault (*)(Vcpu&, const Insn&);

inline constexpr uint8_t kNoReg = 0xFF;

enum class Rep : uint8_t { None, Rep /*F3*/, Repne /*F2*/ };

struct Insn {
  Handler fn = nullptr;
  // Threaded dispatch (cpu/threaded.h), set when the interpreter caches the block: this
  // instruction's threaded handler, its end as an offset from the block's first byte
  // (next_off), and its index in the block (pos).
  Handler tfn = nullptr;
  uint16_t row = 0;       // index into kOpcodeRows (mnemonic, class, operands)
  uint8_t len = 0;        // bytes, prefixes included (1..15)
  uint8_t opcode = 0;     // the opcode byte (second byte for 0F xx)
  uint8_t map = 0;        // 0 = one-byte map, 1 = 0F map
  uint8_t mod = 0, reg = 0, rm = 0;  // ModRM fields (0 when the form has none)
  bool op32 = false;      // operand size 32 (after 66)
  bool addr32 = false;    // address size 32 (after 67)
  bool lock = false;      // F0 prefix
  bool opsize_prefix = false;  // a 66 prefix was present (SSE selects packed-double forms by it)
  bool has_modrm = false;
  bool is_mem = false;    // ModRM names a memory operand
  Rep rep = Rep::None;
  uint8_t seg = 3;        // segment of the memory operand (DS/SS default, or the override)
  uint8_t seg_override = 0xFF;  // the override prefix's segment, 0xFF = none (string sources)
  uint8_t base = kNoReg, index = kNoReg, scale = 0;  // effective address: base + index<<scale + disp
  uint16_t next_off = 0;  // see tfn
  uint8_t pos = 0;        // see tfn: the instruction's index in its block
  uint32_t disp = 0;
  uint32_t imm = 0;       // first immediate (sign-extended where the form says so)
  uint32_t imm2 = 0;      // second immediate: far pointer selector, ENTER nesting level
};

}  // namespace vmlab::cpu
