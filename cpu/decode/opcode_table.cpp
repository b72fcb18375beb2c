// Builds kOpcodeRows and the dispatch table from opcodes.def, instantiating every handler for
// the operand sizes its row allows.
#include "cpu/decode/opcode_table.h"
#include <array>
#include "cpu/semantics/arith.h"
#include "cpu/semantics/bcd.h"
#include "cpu/semantics/bit.h"
#include "cpu/semantics/control_flow.h"
#include "cpu/semantics/data_move.h"
#include "cpu/semantics/muldiv.h"
#include "cpu/semantics/random.h"
#include "cpu/semantics/shift.h"
#include "cpu/semantics/simd.h"
#include "cpu/semantics/stack.h"
#include "cpu/semantics/string.h"
#include "cpu/semantics/system_insns.h"
#include "cpu/semantics/x87.h"

namespace vmlab::cpu {
namespace {

using namespace sem;

template <OpSize S> struct SizeT { using lo = uint32_t; using hi = uint32_t; };
template <> struct SizeT<OpSize::B> { using lo = uint8_t; using hi = uint8_t; };
template <> struct SizeT<OpSize::V> { using lo = uint16_t; using hi = uint32_t; };
template <> struct SizeT<OpSize::W> { using lo = uint16_t; using hi = uint16_t; };

constexpr uint8_t kReg_0 = 0, kReg_1 = 1, kReg_2 = 2, kReg_3 = 3, kReg_4 = 4, kReg_5 = 5,
                  kReg_6 = 6, kReg_7 = 7, kReg_ANY = 8;
constexpr bool kModrm_M = true, kModrm_N = false, kLock_L = true, kLock__ = false;


}  // namespace

constexpr OpRow kOpcodeRows[] = {
#define OP(m, map, b, reg, modrm, sz, ops, imm, cls, lk, h, arg)                               \
  OpRow{#m, map, uint8_t(b), kReg_##reg, kModrm_##modrm, OpSize::sz, ops, Imm::imm,           \
        OpClass::cls, kLock_##lk, &h<typename SizeT<OpSize::sz>::lo, int(arg)>,               \
        &h<typename SizeT<OpSize::sz>::hi, int(arg)>},
#include "cpu/decode/opcodes.def"
#undef OP
};
const std::size_t kNumOpcodeRows = std::size(kOpcodeRows);

namespace {

using DispatchTable = std::array<std::array<DispatchEntry, 256>, 2>;

constexpr DispatchTable build_dispatch() {
  DispatchTable t{};
  for (auto& map : t)
    for (auto& e : map) {
      for (auto& r : e.row) r = -1;
      e.modrm = false;
    }
  for (std::size_t n = 0; n < std::size(kOpcodeRows); ++n) {
    const OpRow& r = kOpcodeRows[n];
    DispatchEntry& e = t[r.map][r.byte];
    e.modrm = r.modrm;
    for (unsigned reg = 0; reg < 8; ++reg)
      if (r.reg == 8 || r.reg == reg) e.row[reg] = int16_t(n);
  }
  return t;
}

constexpr DispatchTable kDispatch = build_dispatch();

}  // namespace


const DispatchEntry& dispatch_entry(unsigned map, unsigned byte) { return kDispatch[map & 1][byte & 0xFF]; }

const char* op_class_name(OpClass c) {
  switch (c) {
    case OpClass::Plain: return "plain";
    case OpClass::Branch: return "branch";
    case OpClass::Privileged: return "privileged";
    case OpClass::Sensitive: return "sensitive";
    case OpClass::Serializing: return "serializing";
  }
  return "?";
}

}  // namespace vmlab::cpu
