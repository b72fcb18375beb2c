// The opcode table (opcodes.def) as data: one OpRow per instruction form, and the decoder's
// dispatch table built from it at compile time.
//
//   const DispatchEntry& d = dispatch_entry(/*map=*/0, 0x01);
//   const OpRow& r = kOpcodeRows[d.row[reg]];     // d.row[...] < 0: undefined opcode
//   Handler h = op32 ? r.fn32 : r.fn16;
#pragma once
#include <cstddef>
#include <cstdint>
#include "cpu/decode/insn.h"

namespace vmlab::cpu {

enum class OpSize : uint8_t { B, V, W, N };
enum class Imm : uint8_t { None, Ib, Ibs, Iw, Iz, Jb, Jz, Ap, Ov, IwIb };
enum class OpClass : uint8_t { Plain, Branch, Privileged, Sensitive, Serializing };

struct OpRow {
  const char* mnemonic;
  uint8_t map, byte, reg;  // reg 8 = any
  bool modrm;
  OpSize size;
  const char* operands;
  Imm imm;
  OpClass cls;
  bool lockable;
  Handler fn16, fn32;      // the handler for 16- and 32-bit operand size (same for B/W/N)
};

struct DispatchEntry {
  int16_t row[8];  // by ModRM.reg; -1 = undefined
  bool modrm;
};

extern const OpRow kOpcodeRows[];
extern const std::size_t kNumOpcodeRows;
const DispatchEntry& dispatch_entry(unsigned map, unsigned byte);
const char* op_class_name(OpClass c);

}  // namespace vmlab::cpu
