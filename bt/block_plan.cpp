// See block_plan.h.
#include "bt/block_plan.h"

#include "cpu/cpu_state.h"
#include "cpu/semantics/arith.h"

namespace vmlab::bt {

using namespace cpu;

namespace {

// The byte forms of MOV, the ALU group and TEST (no operand-size dependence).
Plan byte_plan(const Insn& i) {
  const unsigned op = i.opcode;
  if (op < 0x40 && (op & 7) < 6 && !(op & 1)) {
    switch (op & 7) {
      case 0: return {Kind::AluEG, int(op >> 3), 1};
      case 2: return {Kind::AluGE, int(op >> 3), 1};
      case 4: return {Kind::AluAI, int(op >> 3), 1};
      default: return {};
    }
  }
  if (op == 0x80) return {Kind::AluEI, int(i.reg), 1};
  if (op == 0x84) return {Kind::AluEG, sem::kTest, 1};
  if (op == 0xA8) return {Kind::AluAI, sem::kTest, 1};
  if (op == 0xF6 && i.reg == 0) return {Kind::AluEI, sem::kTest, 1};
  if (op == 0x88) return {i.is_mem ? Kind::MovStore : Kind::MovRR, 0, 1};
  if (op == 0x8A) return {i.is_mem ? Kind::MovLoad : Kind::MovRR, 0, 1};
  if (op == 0xC6 && i.reg == 0 && i.is_mem) return {Kind::MovStoreImm, 0, 1};
  return {};
}

bool mem_ok(const Insn& i) { return !i.is_mem || i.addr32; }

}  // namespace

Plan plan_for(const Insn& i) {
  if (i.lock || i.rep != Rep::None || !mem_ok(i)) return {};
  const unsigned op = i.opcode;
  if (i.map == 1) {
    if (op >= 0x80 && op <= 0x8F) return {Kind::Jcc, int(op & 15)};
    if (!i.op32 && !(op >= 0x90 && op <= 0x9F)) return {};
    if (op >= 0x40 && op <= 0x4F) return {Kind::Cmov, int(op & 15)};
    if (op >= 0x90 && op <= 0x9F && !i.is_mem) return {Kind::Setcc, int(op & 15)};
    if (op == 0xAF) return {Kind::Imul};
    if (op == 0xB6) return {Kind::Movx, 0x01};
    if (op == 0xB7) return {Kind::Movx, 0x02};
    if (op == 0xBE) return {Kind::Movx, 0x11};
    if (op == 0xBF) return {Kind::Movx, 0x12};
    return {};
  }
  if (i.map != 0) return {};
  if (op >= 0x70 && op <= 0x7F) return {Kind::Jcc, int(op & 15)};
  if (const Plan b = byte_plan(i); b.kind != Kind::Call) return b;
  if (!i.op32) {  // 16-bit operands (a 66 prefix in 32-bit code): the MOV forms only
    if (op == 0x89) return {i.is_mem ? Kind::MovStore : Kind::MovRR, 0, 2};
    if (op == 0x8B) return {i.is_mem ? Kind::MovLoad : Kind::MovRR, 0, 2};
    if (op == 0xC7 && i.reg == 0 && i.is_mem) return {Kind::MovStoreImm, 0, 2};
    return {};
  }
  if (op >= 0x50 && op <= 0x57) return {Kind::Push};
  if (op >= 0x58 && op <= 0x5F) return {Kind::Pop};
  if (op == 0x68 || op == 0x6A) return {Kind::PushImm};
  if (op == 0xE9 || op == 0xEB) return {Kind::JmpRel};
  if (op == 0xE8) return {Kind::CallRel};
  if (op == 0xC3) return {Kind::Ret};
  if (op < 0x40) {
    switch (op & 7) {
      case 1: return {Kind::AluEG, int(op >> 3)};
      case 3: return {Kind::AluGE, int(op >> 3)};
      case 5: return {Kind::AluAI, int(op >> 3)};
      default: return {};
    }
  }
  if (op >= 0x40 && op <= 0x4F) return {Kind::IncDec, int(op >= 0x48)};
  if (op == 0xFF && i.reg <= 1) return {Kind::IncDec, int(i.reg)};  // INC/DEC r/m32
  if (op == 0x81 || op == 0x83) return {Kind::AluEI, int(i.reg)};
  if (op == 0x85) return {Kind::AluEG, sem::kTest};
  if (op == 0xA9) return {Kind::AluAI, sem::kTest};
  if (op == 0x89) return {i.is_mem ? Kind::MovStore : Kind::MovRR};
  if (op == 0x8B) return {i.is_mem ? Kind::MovLoad : Kind::MovRR};
  if (op == 0x8D && i.is_mem) return {Kind::Lea};
  if (op >= 0xB8 && op <= 0xBF) return {Kind::MovRI};
  if (op == 0xC7 && i.reg == 0) return {i.is_mem ? Kind::MovStoreImm : Kind::Call};
  if (op == 0x90 && !i.opsize_prefix) return {Kind::Nop};
  if ((op == 0xC1 || op == 0xD1) && !i.is_mem && (i.reg <= 1 || i.reg >= 4))
    return {Kind::Shift, int(i.reg)};
  if (op == 0xF7 && (i.reg == 2 || i.reg == 3)) return {Kind::NotNeg, int(i.reg)};
  return {};
}

std::vector<Plan> plan_block(const Block& b) {
  const std::size_t n = b.insns.size();
  std::vector<Plan> plans(n);
  for (std::size_t k = 0; k < n; ++k) {
    plans[k] = plan_for(b.insns[k]);
    if (ends_block(plans[k].kind) && k + 1 != n) plans[k] = {};
  }
  return plans;
}

FlagUse flag_use(const Insn& in, const Plan& p) {
  const bool reg_only = !in.is_mem;
  switch (p.kind) {
    case Kind::Nop: case Kind::MovRR: case Kind::MovRI: case Kind::Lea:
      return FlagUse::Passes;
    case Kind::Movx:
      return reg_only ? FlagUse::Passes : FlagUse::Needs;
    case Kind::NotNeg:
      if (!reg_only) return FlagUse::Needs;
      return p.op == 2 ? FlagUse::Passes : FlagUse::Overwrites;
    case Kind::AluGE: case Kind::AluEG: case Kind::AluEI: case Kind::AluAI:
      if (!reg_only || p.op == sem::kAdc || p.op == sem::kSbb) return FlagUse::Needs;
      return FlagUse::Overwrites;
    case Kind::Imul:
      return reg_only ? FlagUse::Overwrites : FlagUse::Needs;
    case Kind::Shift: {  // register forms only; a zero count changes nothing
      const unsigned cnt = (in.opcode == 0xD1 ? 1u : in.imm & 0xFF) & 31;
      if (cnt == 0) return FlagUse::Passes;
      return p.op <= 1 ? FlagUse::Needs : FlagUse::Overwrites;  // rotates keep SF ZF PF AF
    }
    default:  // reads flags (Jcc, SETcc, CMOVcc, INC/DEC keep CF), may fault (a handler then
              // delivers an exception that pushes EFLAGS), or is a handler call
      return FlagUse::Needs;
  }
}

std::vector<bool> dead_flags(const Block& b, const std::vector<Plan>& plans) {
  const std::size_t n = plans.size();
  std::vector<bool> dead(n, false);
  bool overwritten = false;  // going backwards: the flags are overwritten before any use
  for (std::size_t k = n; k-- > 0;) {
    dead[k] = overwritten;
    switch (flag_use(b.insns[k], plans[k])) {
      case FlagUse::Passes: break;
      case FlagUse::Overwrites: overwritten = true; break;
      case FlagUse::Needs: overwritten = false; break;
    }
  }
  return dead;
}

uint32_t segments_used(const Insn& in, Kind k) {
  switch (k) {
    case Kind::Call: case Kind::Nop: case Kind::MovRR: case Kind::MovRI: case Kind::Lea:
    case Kind::AluAI: case Kind::Shift: case Kind::Setcc: case Kind::Jcc:
    case Kind::JmpRel:
      return 0;
    case Kind::Push: case Kind::PushImm: case Kind::Pop: case Kind::CallRel: case Kind::Ret:
      return 1u << SS;
    default:
      return in.is_mem ? 1u << in.seg : 0;
  }
}

}  // namespace vmlab::bt
