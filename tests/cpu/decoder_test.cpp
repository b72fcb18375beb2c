// Decoder: instruction lengths, prefixes, ModRM/SIB and 16-bit addressing forms, the 15-byte
// limit, undefined opcodes and LOCK legality (cpu/decode/decoder.cpp, opcodes.def).
#include <doctest/doctest.h>
#include <string>
#include <vector>
#include "cpu/cpu_state.h"
#include "cpu/decode/decoder.h"
#include "cpu/decode/opcode_table.h"

using namespace vmlab::cpu;

namespace {
DecodeStatus dec(const std::vector<uint8_t>& b, bool c32, Insn& i) {
  return decode(b.data(), unsigned(b.size()), c32, i);
}
unsigned len(const std::vector<uint8_t>& b, bool c32) {
  Insn i;
  REQUIRE(dec(b, c32, i) == DecodeStatus::Ok);
  return i.len;
}
std::string mnemonic(const Insn& i) { return kOpcodeRows[i.row].mnemonic; }
}  // namespace

TEST_CASE("decoder_lengths_of_common_one_byte_forms") {
  CHECK(len({0x90}, false) == 1);
  CHECK(len({0x05, 0x34, 0x12}, false) == 3);                    // add ax, imm16
  CHECK(len({0x05, 0x78, 0x56, 0x34, 0x12}, true) == 5);         // add eax, imm32
  CHECK(len({0x66, 0x05, 0x34, 0x12}, true) == 4);               // 66: imm16 in 32-bit code
  CHECK(len({0x83, 0xC0, 0x01}, true) == 3);                     // add eax, imm8
  CHECK(len({0xC8, 0x10, 0x00, 0x02}, false) == 4);              // enter 16, 2
  CHECK(len({0xEA, 0x00, 0x00, 0x00, 0xF0}, false) == 5);        // jmp far 16:16
  CHECK(len({0xEA, 0, 0, 0, 0, 0x08, 0}, true) == 7);            // jmp far 16:32
  CHECK(len({0xA1, 0x00, 0x10}, false) == 3);                    // mov ax, [moffs16]
  CHECK(len({0x67, 0xA1, 0x00, 0x10, 0, 0}, false) == 6);        // 67: moffs32
  CHECK(len({0xF6, 0xC0, 0x01}, false) == 3);                    // test al, imm8 (group 3 /0)
  CHECK(len({0xF6, 0xD0}, false) == 2);                          // not al: no immediate
  CHECK(len({0x0F, 0x84, 0, 0, 0, 0}, true) == 6);               // jz rel32
  CHECK(len({0x0F, 0xBA, 0xE0, 0x05}, true) == 4);               // bt eax, 5
}

TEST_CASE("decoder_32_bit_modrm_and_sib_forms") {
  Insn i;
  // mov eax, [ebx + esi*4 + 0x10]
  REQUIRE(dec({0x8B, 0x44, 0xB3, 0x10}, true, i) == DecodeStatus::Ok);
  CHECK(i.len == 4);
  CHECK(i.base == EBX);
  CHECK(i.index == ESI);
  CHECK(i.scale == 2);
  CHECK(i.disp == 0x10);
  CHECK(i.seg == DS);
  // mov eax, [disp32]: mod 0 rm 5
  REQUIRE(dec({0x8B, 0x05, 0x78, 0x56, 0x34, 0x12}, true, i) == DecodeStatus::Ok);
  CHECK(i.base == kNoReg);
  CHECK(i.disp == 0x12345678);
  // mov eax, [ebp - 4] defaults to SS
  REQUIRE(dec({0x8B, 0x45, 0xFC}, true, i) == DecodeStatus::Ok);
  CHECK(i.base == EBP);
  CHECK(i.disp == 0xFFFFFFFCu);
  CHECK(i.seg == SS);
  // SIB with no base (mod 0, base 5) and no index (index 4): [disp32]
  REQUIRE(dec({0x8B, 0x04, 0x25, 0, 0x10, 0, 0}, true, i) == DecodeStatus::Ok);
  CHECK(i.base == kNoReg);
  CHECK(i.index == kNoReg);
  CHECK(i.disp == 0x1000);
  // [esp] defaults to SS; a segment override wins
  REQUIRE(dec({0x8B, 0x04, 0x24}, true, i) == DecodeStatus::Ok);
  CHECK(i.seg == SS);
  REQUIRE(dec({0x26, 0x8B, 0x04, 0x24}, true, i) == DecodeStatus::Ok);
  CHECK(i.seg == ES);
}

TEST_CASE("decoder_16_bit_addressing_forms") {
  Insn i;
  REQUIRE(dec({0x8B, 0x00}, false, i) == DecodeStatus::Ok);  // [bx+si]
  CHECK((i.base == EBX && i.index == ESI && i.seg == DS));
  REQUIRE(dec({0x8B, 0x43, 0x80}, false, i) == DecodeStatus::Ok);  // [bp+di-0x80]
  CHECK((i.base == EBP && i.index == EDI && i.seg == SS));
  CHECK(i.disp == 0xFFFFFF80u);
  REQUIRE(dec({0x8B, 0x06, 0x34, 0x12}, false, i) == DecodeStatus::Ok);  // [0x1234]
  CHECK((i.base == kNoReg && i.index == kNoReg && i.disp == 0x1234 && i.len == 4));
  REQUIRE(dec({0x8B, 0x86, 0x34, 0x12}, false, i) == DecodeStatus::Ok);  // [bp+0x1234]
  CHECK((i.base == EBP && i.seg == SS && i.len == 4));
  REQUIRE(dec({0x67, 0x8B, 0x04, 0x24}, false, i) == DecodeStatus::Ok);  // 67: 32-bit form
  CHECK((i.addr32 && i.base == ESP && i.len == 4));
}

TEST_CASE("decoder_prefixes_set_size_segment_rep_and_lock") {
  Insn i;
  REQUIRE(dec({0xF3, 0x66, 0x2E, 0xA5}, false, i) == DecodeStatus::Ok);  // rep movsd cs:
  CHECK(i.rep == Rep::Rep);
  CHECK(i.op32);
  CHECK(i.seg_override == CS);
  CHECK(i.len == 4);
  CHECK(mnemonic(i) == "MOVS");
  REQUIRE(dec({0xF0, 0x01, 0x18}, true, i) == DecodeStatus::Ok);  // lock add [eax], ebx
  CHECK(i.lock);
}

TEST_CASE("lock_prefix_on_register_destination_or_non_lockable_insn_is_undefined") {
  Insn i;
  CHECK(dec({0xF0, 0x01, 0xC3}, true, i) == DecodeStatus::Undefined);   // add ebx, eax
  CHECK(dec({0xF0, 0x8B, 0x00}, true, i) == DecodeStatus::Undefined);   // mov eax, [eax]
  CHECK(dec({0xF0, 0x39, 0x00}, true, i) == DecodeStatus::Undefined);   // cmp [eax], eax
  CHECK(dec({0xF0, 0x0F, 0xC7, 0x08}, true, i) == DecodeStatus::Ok);    // cmpxchg8b [eax]
}

TEST_CASE("instruction_longer_than_15_bytes_is_too_long") {
  std::vector<uint8_t> b(14, 0x66);
  b.push_back(0x90);
  Insn i;
  CHECK(dec(b, true, i) == DecodeStatus::Ok);  // exactly 15
  b.assign(15, 0x66);
  b.push_back(0x90);
  CHECK(dec(b, true, i) == DecodeStatus::TooLong);
  std::vector<uint8_t> c(18, 0x3E);  // 13 prefixes + a 5-byte add = 18 bytes
  c[13] = 0x05;
  CHECK(dec(c, true, i) == DecodeStatus::TooLong);
}

TEST_CASE("undefined_and_truncated_encodings") {
  Insn i;
  CHECK(dec({0x0F, 0x04}, true, i) == DecodeStatus::Undefined);
  CHECK(dec({0x8F, 0xC8}, true, i) == DecodeStatus::Undefined);  // 8F /1
  CHECK(dec({0xFF, 0xF8}, true, i) == DecodeStatus::Undefined);  // FF /7
  CHECK(dec({0xC6, 0xC8, 0x00}, true, i) == DecodeStatus::Undefined);  // C6 /1
  CHECK(dec({0x05, 0x01}, true, i) == DecodeStatus::Truncated);
  CHECK(dec({0x0F}, true, i) == DecodeStatus::Truncated);
}

TEST_CASE("mov_cr_ignores_the_mod_field") {
  Insn i;
  REQUIRE(dec({0x0F, 0x20, 0x00}, true, i) == DecodeStatus::Ok);  // mod 0 still names eax
  CHECK(i.len == 3);
  CHECK(!i.is_mem);
}

TEST_CASE("opcode_table_rows_are_unique_per_map_byte_and_reg") {
  int seen[2][256][8] = {};
  for (std::size_t n = 0; n < kNumOpcodeRows; ++n) {
    const OpRow& r = kOpcodeRows[n];
    for (unsigned reg = 0; reg < 8; ++reg)
      if (r.reg == 8 || r.reg == reg) ++seen[r.map][r.byte][reg];
  }
  int dups = 0;
  for (auto& m : seen)
    for (auto& b : m)
      for (int c : b) dups += c > 1;
  CHECK(dups == 0);
  CHECK(kNumOpcodeRows > 300);
}

TEST_CASE("every_opcode_table_row_decodes_to_itself_with_the_expected_length") {
  auto imm_bytes = [](Imm k) -> unsigned {
    switch (k) {
      case Imm::None: return 0;
      case Imm::Ib: case Imm::Ibs: case Imm::Jb: return 1;
      case Imm::Iw: return 2;
      case Imm::Iz: case Imm::Jz: case Imm::Ov: return 4;
      case Imm::Ap: return 6;
      case Imm::IwIb: return 3;
    }
    return 0;
  };
  for (std::size_t n = 0; n < kNumOpcodeRows; ++n) {
    const OpRow& r = kOpcodeRows[n];
    std::vector<uint8_t> b;
    if (r.map == 1) b.push_back(0x0F);
    b.push_back(r.byte);
    const unsigned reg = r.reg == 8 ? 0 : r.reg;
    if (r.modrm) b.push_back(uint8_t(0xC0 | (reg << 3)));  // register form: no displacement
    b.resize(b.size() + 8, 0);
    Insn i;
    INFO("row " << n << " " << r.mnemonic << " " << r.operands);
    REQUIRE(decode(b.data(), unsigned(b.size()), true, i) == DecodeStatus::Ok);
    CHECK(kOpcodeRows[i.row].byte == r.byte);
    CHECK(kOpcodeRows[i.row].map == r.map);
    if (r.reg != 8) CHECK(i.row == n);
    CHECK(i.len == 1 + r.map + (r.modrm ? 1 : 0) + imm_bytes(r.imm));
    CHECK(bool(i.fn));
  }
}
