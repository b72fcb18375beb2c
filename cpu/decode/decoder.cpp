// Decoder implementation; see decoder.h. The byte layout follows SDM Vol. 2, chapter 2.
#include "cpu/decode/decoder.h"
#include "cpu/cpu_state.h"
#include "cpu/decode/opcode_table.h"

namespace vmlab::cpu {
namespace {

// Reads little-endian fields while counting the length against the available bytes and the
// 15-byte architectural limit.
struct ByteStream {
  const uint8_t* b;
  unsigned avail;
  unsigned pos = 0;
  DecodeStatus status = DecodeStatus::Ok;

  bool need(unsigned n) {
    if (pos + n > kMaxInsnLength) { status = DecodeStatus::TooLong; return false; }
    if (pos + n > avail) { status = DecodeStatus::Truncated; return false; }
    return true;
  }
  uint32_t take(unsigned n) {  // call need(n) first
    uint32_t v = 0;
    for (unsigned k = 0; k < n; ++k) v |= uint32_t(b[pos + k]) << (8 * k);
    pos += n;
    return v;
  }
};

inline uint32_t sext8(uint32_t v) { return uint32_t(int32_t(int8_t(uint8_t(v)))); }
inline uint32_t sext16(uint32_t v) { return uint32_t(int32_t(int16_t(uint16_t(v)))); }

// ModRM memory operand, 16-bit addressing (SDM Vol. 2, Table 2-1).
bool decode_ea16(ByteStream& bs, Insn& i) {
  static constexpr uint8_t kBase[8] = {EBX, EBX, EBP, EBP, kNoReg, kNoReg, EBP, EBX};
  static constexpr uint8_t kIndex[8] = {ESI, EDI, ESI, EDI, ESI, EDI, kNoReg, kNoReg};
  i.base = kBase[i.rm];
  i.index = kIndex[i.rm];
  if (i.mod == 0 && i.rm == 6) {
    i.base = kNoReg;
    if (!bs.need(2)) return false;
    i.disp = bs.take(2);
  } else if (i.mod == 1) {
    if (!bs.need(1)) return false;
    i.disp = sext8(bs.take(1));
  } else if (i.mod == 2) {
    if (!bs.need(2)) return false;
    i.disp = bs.take(2);
  }
  if (i.base == EBP) i.seg = SS;
  return true;
}

// ModRM memory operand, 32-bit addressing with SIB (SDM Vol. 2, Tables 2-2 and 2-3).
bool decode_ea32(ByteStream& bs, Insn& i) {
  if (i.rm == 4) {
    if (!bs.need(1)) return false;
    const uint8_t sib = uint8_t(bs.take(1));
    i.scale = sib >> 6;
    const uint8_t idx = (sib >> 3) & 7, base = sib & 7;
    i.index = idx == 4 ? kNoReg : idx;
    if (base == 5 && i.mod == 0) {
      i.base = kNoReg;
      if (!bs.need(4)) return false;
      i.disp = bs.take(4);
    } else {
      i.base = base;
    }
  } else if (i.rm == 5 && i.mod == 0) {
    i.base = kNoReg;
    if (!bs.need(4)) return false;
    i.disp = bs.take(4);
  } else {
    i.base = i.rm;
  }
  if (i.mod == 1) {
    if (!bs.need(1)) return false;
    i.disp = sext8(bs.take(1));
  } else if (i.mod == 2) {
    if (!bs.need(4)) return false;
    i.disp = bs.take(4);
  }
  if (i.base == ESP || i.base == EBP) i.seg = SS;
  return true;
}

bool decode_imm(ByteStream& bs, Imm kind, Insn& i) {
  const unsigned osz = i.op32 ? 4 : 2;
  switch (kind) {
    case Imm::None: return true;
    case Imm::Ib: if (!bs.need(1)) return false; i.imm = bs.take(1); return true;
    case Imm::Ibs:
    case Imm::Jb: if (!bs.need(1)) return false; i.imm = sext8(bs.take(1)); return true;
    case Imm::Iw: if (!bs.need(2)) return false; i.imm = bs.take(2); return true;
    case Imm::Iz: if (!bs.need(osz)) return false; i.imm = bs.take(osz); return true;
    case Imm::Jz:
      if (!bs.need(osz)) return false;
      i.imm = i.op32 ? bs.take(4) : sext16(bs.take(2));
      return true;
    case Imm::Ap:
      if (!bs.need(osz + 2)) return false;
      i.imm = bs.take(osz);
      i.imm2 = bs.take(2);
      return true;
    case Imm::Ov: {
      const unsigned asz = i.addr32 ? 4 : 2;
      if (!bs.need(asz)) return false;
      i.disp = bs.take(asz);
      i.is_mem = true;
      i.base = i.index = kNoReg;
      return true;
    }
    case Imm::IwIb:
      if (!bs.need(3)) return false;
      i.imm = bs.take(2);
      i.imm2 = bs.take(1);
      return true;
  }
  return true;
}

}  // namespace

DecodeStatus decode(const uint8_t* bytes, unsigned avail, bool code32, Insn& out) {
  Insn i;
  ByteStream bs{bytes, avail};
  i.op32 = i.addr32 = code32;
  // Prefixes, in any order and number (the 15-byte limit bounds them).
  for (;;) {
    if (!bs.need(1)) return bs.status;
    const uint8_t p = bytes[bs.pos];
    switch (p) {
      case 0x66: i.op32 = !code32; i.opsize_prefix = true; break;
      case 0x67: i.addr32 = !code32; break;
      case 0xF0: i.lock = true; break;
      case 0xF2: i.rep = Rep::Repne; break;
      case 0xF3: i.rep = Rep::Rep; break;
      case 0x26: i.seg_override = ES; break;
      case 0x2E: i.seg_override = CS; break;
      case 0x36: i.seg_override = SS; break;
      case 0x3E: i.seg_override = DS; break;
      case 0x64: i.seg_override = FS; break;
      case 0x65: i.seg_override = GS; break;
      default: goto opcode;
    }
    ++bs.pos;
  }
opcode:
  i.opcode = uint8_t(bs.take(1));
  if (i.opcode == 0x0F) {
    if (!bs.need(1)) return bs.status;
    i.map = 1;
    i.opcode = uint8_t(bs.take(1));
  }
  const DispatchEntry& d = dispatch_entry(i.map, i.opcode);
  i.seg = DS;
  if (d.modrm) {
    if (!bs.need(1)) return bs.status;
    const uint8_t m = uint8_t(bs.take(1));
    i.has_modrm = true;
    i.mod = m >> 6;
    i.reg = (m >> 3) & 7;
    i.rm = m & 7;
    // MOV to/from CRn/DRn always name registers, whatever the mod field says.
    if (i.map == 1 && i.opcode >= 0x20 && i.opcode <= 0x23) i.mod = 3;
  }
  const int16_t row = d.row[i.reg];
  if (row < 0) {
    out = i;
    return DecodeStatus::Undefined;
  }
  const OpRow& r = kOpcodeRows[row];
  if (i.has_modrm && i.mod != 3) {
    i.is_mem = true;
    if (!(i.addr32 ? decode_ea32(bs, i) : decode_ea16(bs, i))) return bs.status;
  }
  if (!decode_imm(bs, r.imm, i)) return bs.status;
  if (i.seg_override != 0xFF) i.seg = i.seg_override;
  i.row = uint16_t(row);
  i.len = uint8_t(bs.pos);
  i.fn = i.op32 ? r.fn32 : r.fn16;
  out = i;
  // LOCK is legal only on the read-modify-write forms with a memory destination.
  if (i.lock && !(r.lockable && i.is_mem)) return DecodeStatus::Undefined;
  return DecodeStatus::Ok;
}

}  // namespace vmlab::cpu
