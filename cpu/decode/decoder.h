// The x86 decoder: prefixes, one-byte and 0F opcode maps, ModRM/SIB with 16- and 32-bit
// addressing, displacements and immediates, driven by the dispatch table built from
// opcodes.def. Pure function of the bytes and the default operand/address size (CS.D).
//
//   Insn i;
//   switch (decode(bytes, n_available, code32(s), i)) {
//     case DecodeStatus::Ok: ...            // i.len bytes, i.fn is the handler
//     case DecodeStatus::Truncated: ...     // needs more bytes than were available
//     case DecodeStatus::TooLong: ...       // more than 15 bytes: #GP(0)
//     case DecodeStatus::Undefined: ...     // #UD (unknown opcode, illegal LOCK)
//   }
#pragma once
#include <cstdint>
#include "cpu/decode/insn.h"

namespace vmlab::cpu {

enum class DecodeStatus : uint8_t { Ok, Truncated, TooLong, Undefined };

inline constexpr unsigned kMaxInsnLength = 15;

DecodeStatus decode(const uint8_t* bytes, unsigned avail, bool code32, Insn& out);

}  // namespace vmlab::cpu
