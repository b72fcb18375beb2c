// What bt/translator.cpp makes of a decoded block before it emits anything: which form each
// instruction takes (inline host code, or a call of its interpreter handler), which segments the
// inline memory accesses use, and which instructions' flags no one reads. Pure analysis of
// cpu::Insn, no code emission, so it reads on its own:
//
//   std::vector<Plan> plans = plan_block(block);
//   std::vector<bool> dead = dead_flags(block, plans);
#pragma once
#include <cstdint>
#include <vector>
#include "cpu/decode/decode_cache.h"

namespace vmlab::bt {

// The forms emitted inline. Everything else is a handler call.
enum class Kind {
  Call, Nop, MovRR, MovRI, MovLoad, MovStore, MovStoreImm, Lea, AluGE, AluEG, AluEI, AluAI,
  IncDec, Shift, Imul, Movx, Cmov, Setcc, Jcc,
  Push, PushImm, Pop, JmpRel, CallRel, Ret,  // 32-bit stack and operand size
  NotNeg,
};

struct Plan {
  Kind kind = Kind::Call;
  int op = 0;  // ALU op, shift op, condition code, MOVX source bytes | 0x10 for sign extension
  unsigned bytes = 4;  // operand size of the MOV and ALU forms: 4, 1 for the byte forms, 2 for
                       // the word MOVs
};

// The form instruction i takes (Kind::Call: a call of its handler).
Plan plan_for(const cpu::Insn& i);
// plan_for of every instruction of b, except that a block-ending transfer is inline only as
// the block's last instruction.
std::vector<Plan> plan_block(const cpu::Block& b);
// The control transfers that end a block: inline only as its last instruction.
inline bool ends_block(Kind k) { return k == Kind::JmpRel || k == Kind::CallRel || k == Kind::Ret; }
// The segments (a bit per segment register) the inline form's memory accesses go through.
uint32_t segments_used(const cpu::Insn& in, Kind k);

// How an inline instruction relates to the arithmetic flags, for finding flags no one reads.
enum class FlagUse { Passes, Overwrites, Needs };
FlagUse flag_use(const cpu::Insn& in, const Plan& p);
// dead[k]: the flags instruction k writes are overwritten, inside the block, before anything
// could read them: only register forms that cannot fault or call a handler come in between.
std::vector<bool> dead_flags(const cpu::Block& b, const std::vector<Plan>& plans);

}  // namespace vmlab::bt
