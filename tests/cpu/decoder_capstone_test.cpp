// Cross-checks the decoder (cpu/decode) against Capstone, an independent x86 disassembler:
// every row of the opcode table (opcodes.def) in many operand/address sizes and ModRM forms,
// every row padded to the 15-byte limit, and a seeded random byte stream. Where both accept an
// encoding, the length, the name and the decoded memory operand and immediates must agree; any
// other disagreement must be listed, with its reason, in decoder_capstone_known_differences.h.
// docs/decoder_crosscheck.md explains how to read a failure.
//
//   build-dev/vmlab_unit_tests -tc='decoder_capstone*'
#include <capstone/capstone.h>
#include <doctest/doctest.h>
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>
#include "cpu/cpu_state.h"
#include "cpu/decode/decoder.h"
#include "cpu/decode/opcode_table.h"
#include "tests/cpu/decoder_capstone_known_differences.h"

using namespace vmlab::cpu;
using namespace vmlab::cpu::xcheck;

namespace {

// ---- what Capstone says -------------------------------------------------------------------

struct CsResult {
  bool ok = false;
  unsigned len = 0;
  std::string mnemonic;  // prefixes (lock, rep, ...) stripped
  bool integer = false;  // in the i686 integer set (no x87/MMX/SSE/AVX/VMX... group)
  bool has_mem = false;  // the first explicit memory operand
  x86_op_mem mem{};
  unsigned n_imm = 0;    // immediate operands, in order
  int64_t imm[2] = {};
};

// Capstone groups that mark an instruction as outside the i686 integer instruction set vmlab's
// decoder covers. x87 (X86_GRP_FPU) stays in: vmlab decodes D8-DF as ESC with a ModRM, so the
// lengths must agree there too.
bool non_integer_group(uint8_t g) {
  switch (g) {
    case X86_GRP_VM: case X86_GRP_3DNOW: case X86_GRP_AES: case X86_GRP_ADX: case X86_GRP_AVX:
    case X86_GRP_AVX2: case X86_GRP_AVX512: case X86_GRP_BMI: case X86_GRP_BMI2:
    case X86_GRP_F16C: case X86_GRP_FMA: case X86_GRP_FMA4: case X86_GRP_FSGSBASE:
    case X86_GRP_MMX: case X86_GRP_MODE64: case X86_GRP_RTM: case X86_GRP_SHA:
    case X86_GRP_SSE1: case X86_GRP_SSE2: case X86_GRP_SSE3: case X86_GRP_SSE41:
    case X86_GRP_SSE42: case X86_GRP_SSE4A: case X86_GRP_SSSE3: case X86_GRP_PCLMUL:
    case X86_GRP_XOP: case X86_GRP_CDI: case X86_GRP_ERI: case X86_GRP_TBM: case X86_GRP_SGX:
    case X86_GRP_DQI: case X86_GRP_BWI: case X86_GRP_PFI: case X86_GRP_VLX: case X86_GRP_SMAP:
    case X86_GRP_NOVLX:
      return true;
    default:
      return false;
  }
}

// MMX/SSE/AVX/AVX-512 registers: Capstone 4 leaves the group off some VEX instructions
// (e.g. C5 CE 52 /r VRSQRTSS), so an operand in one of these also marks an instruction as not
// integer.
bool vector_reg(unsigned r) {
  return (r >= X86_REG_K0 && r <= X86_REG_MM7) || (r >= X86_REG_XMM0 && r <= X86_REG_ZMM31);
}

// Capstone puts prefixes into the mnemonic ("rep movsb", "lock add"); keep the last word.
std::string strip_prefixes(const char* m) {
  std::string s = m;
  const auto sp = s.rfind(' ');
  return sp == std::string::npos ? s : s.substr(sp + 1);
}

class Capstone {
 public:
  Capstone() {
    REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_16, &h_[0]) == CS_ERR_OK);
    REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_32, &h_[1]) == CS_ERR_OK);
    for (csh h : h_) cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    for (int k = 0; k < 2; ++k) insn_[k] = cs_malloc(h_[k]);
  }
  ~Capstone() {
    for (int k = 0; k < 2; ++k) {
      cs_free(insn_[k], 1);
      cs_close(&h_[k]);
    }
  }
  Capstone(const Capstone&) = delete;
  Capstone& operator=(const Capstone&) = delete;

  CsResult disasm(const uint8_t* bytes, size_t n, bool code32) {
    CsResult r;
    const uint8_t* code = bytes;
    uint64_t addr = 0;
    cs_insn* in = insn_[code32];
    if (!cs_disasm_iter(h_[code32], &code, &n, &addr, in)) return r;
    r.ok = true;
    r.len = in->size;
    r.mnemonic = strip_prefixes(in->mnemonic);
    r.integer = true;
    for (unsigned g = 0; g < in->detail->groups_count; ++g)
      if (non_integer_group(in->detail->groups[g])) r.integer = false;
    const cs_x86& x = in->detail->x86;
    for (unsigned o = 0; o < x.op_count; ++o) {
      const cs_x86_op& op = x.operands[o];
      if (op.type == X86_OP_REG && vector_reg(op.reg)) r.integer = false;
      if (op.type == X86_OP_MEM && vector_reg(op.mem.index)) r.integer = false;  // VSIB
      if (op.type == X86_OP_MEM && !r.has_mem) {
        r.has_mem = true;
        r.mem = op.mem;
      } else if (op.type == X86_OP_IMM && r.n_imm < 2) {
        r.imm[r.n_imm++] = op.imm;
      }
    }
    return r;
  }

 private:
  csh h_[2] = {};
  cs_insn* insn_[2] = {};
};

// ---- mnemonic check --------------------------------------------------------------------------

// The Capstone name expected for a decoded instruction; "f*" means any x87 mnemonic.
std::string expected_name(const OpRow& r, const Insn& i) {
  const std::string m = r.mnemonic;
  if (m == "Jcc") return std::string("j") + kCc[r.byte & 15];
  if (m == "CMOVcc") return std::string("cmov") + kCc[r.byte & 15];
  if (m == "SETcc") return std::string("set") + kCc[r.byte & 15];
  if (m == "ESC") return "f*";
  for (const NameRule& n : kNameRules)
    if (m == n.vmlab) return (n.by_addr ? i.addr32 : i.op32) ? n.cs32 : n.cs16;
  std::string lower = m;
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

bool name_matches(const OpRow& r, const Insn& i, const std::string& cs) {
  const std::string want = expected_name(r, i);
  if (want == "f*") return !cs.empty() && cs[0] == 'f';
  if (want == cs) return true;
  for (const NameQuirk& q : kNameQuirks)
    if (r.mnemonic == std::string(q.vmlab) && cs == q.cs_name)
      return true;
  return false;
}

// ---- operands: the ModRM memory operand and the immediates ----------------------------------

x86_reg cs_gpr(uint8_t reg, bool addr32) {
  static constexpr x86_reg k16[8] = {X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                     X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI};
  static constexpr x86_reg k32[8] = {X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                     X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI};
  if (reg == kNoReg) return X86_REG_INVALID;
  return addr32 ? k32[reg & 7] : k16[reg & 7];
}

x86_reg cs_seg(uint8_t seg) {
  static constexpr x86_reg k[6] = {X86_REG_ES, X86_REG_CS, X86_REG_SS,
                                   X86_REG_DS, X86_REG_FS, X86_REG_GS};
  return seg < 6 ? k[seg] : X86_REG_INVALID;
}

// Empty when vmlab's decoded operands agree with Capstone's; otherwise what differs.
// Memory: base, index, scale, displacement (modulo the address size) and the segment (the
// override if Capstone shows one, else the SDM default: SS for a BP/ESP/EBP base, DS otherwise).
// Immediates: the value at the width the CPU uses; relative branches by their target.
std::string operand_difference(const CsResult& c, const OpRow& r, const Insn& i, bool code32) {
  char buf[160];
  if (i.has_modrm && i.is_mem) {
    if (!c.has_mem) return "Capstone shows no memory operand";
    const uint32_t amask = i.addr32 ? 0xFFFFFFFFu : 0xFFFFu;
    const uint32_t cs_disp = uint32_t(uint64_t(c.mem.disp)) & amask;
    x86_reg base = cs_gpr(i.base, i.addr32), index = cs_gpr(i.index, i.addr32);
    // 16-bit forms add one or two registers unscaled; Capstone calls a lone SI/DI the base.
    if (!i.addr32 && base == X86_REG_INVALID) std::swap(base, index);
    const int scale = i.index == kNoReg ? c.mem.scale : 1 << i.scale;
    const bool ss_default = i.base == EBP || i.base == ESP;
    const x86_reg seg = c.mem.segment != X86_REG_INVALID ? c.mem.segment
                                                         : (ss_default ? X86_REG_SS : X86_REG_DS);
    if (base != c.mem.base || index != c.mem.index || scale != c.mem.scale ||
        (i.disp & amask) != cs_disp || cs_seg(i.seg) != seg) {
      std::snprintf(buf, sizeof buf,
                    "mem: vmlab base %d index %d scale %d disp %#x seg %d; capstone base %d "
                    "index %d scale %d disp %#x seg %d", base, index, 1 << i.scale,
                    i.disp & amask, cs_seg(i.seg), c.mem.base, c.mem.index, c.mem.scale, cs_disp,
                    seg);
      return buf;
    }
  }
  const unsigned opbits = r.size == OpSize::B ? 8 : i.op32 ? 32 : 16;
  auto mask = [](unsigned bits) { return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1; };
  uint32_t want = 0, got = 0;
  switch (r.imm) {
    case Imm::Ib: case Imm::Ibs: case Imm::Iw: case Imm::Iz: {
      if (c.n_imm == 0)  // Capstone shows no operand for AAM/AAD with the default base 10
        return r.map == 0 && (r.byte == 0xD4 || r.byte == 0xD5) && i.imm == 10
                   ? ""
                   : "Capstone shows no immediate";
      const unsigned bits = r.imm == Imm::Ib ? 8 : r.imm == Imm::Iw ? 16 : opbits;
      want = i.imm & mask(bits);
      got = uint32_t(uint64_t(c.imm[c.n_imm - 1])) & mask(bits);  // the last is the immediate
      break;
    }
    case Imm::Jb: case Imm::Jz: {  // Capstone shows the target of a branch at address 0
      if (c.n_imm != 1) return "Capstone shows no branch target";
      // The CPU wraps the target to the operand size; Capstone 4 wraps it to 16 bits in 16-bit
      // code and with 67 in 32-bit code, so only the low 16 bits compare there.
      const unsigned bits = code32 && i.op32 && i.addr32 ? 32 : 16;
      want = (i.len + i.imm) & mask(bits);
      got = uint32_t(uint64_t(c.imm[0])) & mask(bits);
      break;
    }
    case Imm::Ap:  // selector, then offset
      if (c.n_imm != 2) return "Capstone shows no far pointer";
      if ((i.imm2 & 0xFFFF) != (uint64_t(c.imm[0]) & 0xFFFF) ||
          (i.imm & mask(i.op32 ? 32 : 16)) != (uint64_t(c.imm[1]) & mask(i.op32 ? 32 : 16))) {
        std::snprintf(buf, sizeof buf, "far pointer: vmlab %#x:%#x, capstone %#llx:%#llx", i.imm2,
                      i.imm, (unsigned long long)c.imm[0], (unsigned long long)c.imm[1]);
        return buf;
      }
      return "";
    case Imm::IwIb:
      if (c.n_imm != 2) return "Capstone shows no ENTER operands";
      want = (i.imm & 0xFFFF) | (i.imm2 & 0xFF) << 16;
      got = uint32_t((uint64_t(c.imm[0]) & 0xFFFF) | (uint64_t(c.imm[1]) & 0xFF) << 16);
      break;
    case Imm::Ov:
      if (!c.has_mem) return "Capstone shows no memory operand";
      want = i.disp & mask(i.addr32 ? 32 : 16);
      got = uint32_t(uint64_t(c.mem.disp)) & mask(i.addr32 ? 32 : 16);
      break;
    case Imm::None:
      return "";
  }
  if (want != got) {
    std::snprintf(buf, sizeof buf, "immediate: vmlab %#x, capstone %#x", want, got);
    return buf;
  }
  return "";
}

// ---- the opcode a byte window starts with (for the difference lists) -------------------------

struct OpKey {
  uint8_t map = 0, byte = 0, modrm = 0;
  bool lock = false;
  std::vector<uint8_t> prefixes;
};

bool is_prefix(uint8_t b) {
  switch (b) {
    case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3:
      return true;
    default:
      return false;
  }
}

OpKey op_key(const uint8_t* b, unsigned n) {
  OpKey k;
  unsigned p = 0;
  while (p < n && is_prefix(b[p])) {
    k.lock |= b[p] == 0xF0;
    k.prefixes.push_back(b[p++]);
  }
  if (p < n && b[p] == 0x0F) { k.map = 1; ++p; }
  if (p < n) k.byte = b[p++];
  if (p < n) k.modrm = b[p];
  return k;
}

const Difference* find_difference(const Difference* list, size_t n, Side side, const OpKey& k) {
  const uint8_t mod = k.modrm >> 6, reg = (k.modrm >> 3) & 7;
  for (size_t e = 0; e < n; ++e) {
    const Difference& d = list[e];
    if (d.side != side || d.map != k.map || d.byte != k.byte) continue;
    if (d.reg != kAnyReg && d.reg != reg) continue;
    if (d.form == Form::Reg && mod != 3) continue;
    if (d.form == Form::Mem && mod == 3) continue;
    return &d;
  }
  return nullptr;
}

// ---- reporting ----------------------------------------------------------------------------

std::string hex(const uint8_t* b, unsigned n) {
  std::string s;
  char buf[4];
  for (unsigned k = 0; k < n; ++k) {
    std::snprintf(buf, sizeof buf, "%s%02x", k ? " " : "", b[k]);
    s += buf;
  }
  return s;
}

const char* status_name(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::Ok: return "Ok";
    case DecodeStatus::Truncated: return "Truncated";
    case DecodeStatus::TooLong: return "TooLong";
    case DecodeStatus::Undefined: return "Undefined";
  }
  return "?";
}

const char* side_name(Side s) {
  switch (s) {
    case Side::VmlabOnly: return "VMLAB-ONLY";
    case Side::CapstoneOnly: return "CAPSTONE-ONLY";
    case Side::Name: return "NAME";
    case Side::Length: return "LENGTH";
    case Side::Operands: return "OPERANDS";
  }
  return "?";
}

// "0f b2 /3 reg": the opcode (and ModRM.reg and form) a disagreement is grouped under.
std::string opcode_name(const OpKey& k, bool has_modrm) {
  char buf[32];
  const DispatchEntry& d = dispatch_entry(k.map, k.byte);
  const bool by_reg =
      !std::all_of(std::begin(d.row), std::end(d.row), [&](int16_t r) { return r == d.row[0]; });
  if (has_modrm && !by_reg)
    std::snprintf(buf, sizeof buf, "%s%02x %s", k.map ? "0f " : "", k.byte,
                  (k.modrm >> 6) == 3 ? "reg" : "mem");
  else if (has_modrm)
    std::snprintf(buf, sizeof buf, "%s%02x /%u %s", k.map ? "0f " : "", k.byte, (k.modrm >> 3) & 7,
                  (k.modrm >> 6) == 3 ? "reg" : "mem");
  else
    std::snprintf(buf, sizeof buf, "%s%02x", k.map ? "0f " : "", k.byte);
  return buf;
}

constexpr unsigned kShowGroups = 30;

// Collects disagreements, grouped by kind and opcode; prints the first 30 groups.
struct Findings {
  struct Group {
    unsigned count = 0;
    std::string example;
  };
  std::map<std::string, Group> failures;        // not in any list: the test fails
  std::map<const Difference*, unsigned> known;  // hits per known difference
  std::map<const Difference*, unsigned> bugs;   // hits per known decoder bug
  unsigned compared = 0, skipped_non_integer = 0, failure_count = 0;

  void record(Side side, const OpKey& k, bool has_modrm, const std::string& what) {
    if (const Difference* d =
            find_difference(kKnownDecoderBugs.data(), kKnownDecoderBugs.size(), side, k)) {
      ++bugs[d];
    } else if (const Difference* d2 = find_difference(std::data(kKnownDifferences),
                                                      std::size(kKnownDifferences), side, k)) {
      ++known[d2];
    } else {
      fail(std::string(side_name(side)) + " " + opcode_name(k, has_modrm), what);
    }
  }
  void fail(const std::string& group, const std::string& what) {
    Group& g = failures[group];
    if (g.count++ == 0) g.example = what;
    ++failure_count;
  }

  void print(const char* title) const {
    unsigned nknown = 0, nbugs = 0;
    for (auto& [d, n] : known) nknown += n;
    for (auto& [d, n] : bugs) nbugs += n;
    std::printf("[%s] %u compared, %u skipped (Capstone: not i686 integer), %u known differences "
                "hit, %u known decoder-bug cases hit (%zu entries), %u unexplained in %zu groups\n",
                title, compared, skipped_non_integer, nknown, nbugs, bugs.size(), failure_count,
                failures.size());
    for (auto& [d, n] : bugs)
      std::printf("  known decoder bug hit %u times: %s %s%02x: %s\n", n, side_name(d->side),
                  d->map ? "0f " : "", d->byte, d->reason);
    unsigned shown = 0;
    for (auto& [group, g] : failures) {
      if (++shown > kShowGroups) break;
      std::printf("  %-28s x%-5u e.g. %s\n", group.c_str(), g.count, g.example.c_str());
    }
  }
};

// A copy of the window with every prefix byte `from` replaced by a DS override (3E), which
// changes neither the length nor the acceptance of any instruction.
struct Rewritten {
  uint8_t b[kMaxInsnLength];
  Rewritten(const uint8_t* src, unsigned n, std::initializer_list<uint8_t> from) {
    std::memcpy(b, src, std::min<unsigned>(n, kMaxInsnLength));
    for (unsigned k = 0; k < n && k < kMaxInsnLength && is_prefix(b[k]); ++k)
      if (std::find(from.begin(), from.end(), b[k]) != from.end()) b[k] = 0x3E;
  }
};

enum class Verdict : uint8_t { Agree, Skip, Length, Name, Operands, VmlabOnly, CapstoneOnly };

// Both decoders' answers for one window, and how they compare.
struct Judged {
  CsResult c;
  Insn i;
  DecodeStatus st;
  Verdict v;
  std::string operands;  // what differs, for Verdict::Operands
};

Judged judge(Capstone& cs, const uint8_t* b, unsigned n, bool code32) {
  Judged j;
  j.c = cs.disasm(b, n, code32);
  j.st = decode(b, n, code32, j.i);
  const bool vm_ok = j.st == DecodeStatus::Ok;
  if (j.c.ok && !j.c.integer) j.v = Verdict::Skip;
  else if (vm_ok && j.c.ok)
    j.v = j.i.len != j.c.len                                          ? Verdict::Length
          : !name_matches(kOpcodeRows[j.i.row], j.i, j.c.mnemonic) ? Verdict::Name
                                                                     : Verdict::Agree;
  else if (vm_ok) j.v = Verdict::VmlabOnly;
  else if (j.c.ok) j.v = Verdict::CapstoneOnly;
  else j.v = Verdict::Agree;
  if (j.v == Verdict::Agree && vm_ok) {
    j.operands = operand_difference(j.c, kOpcodeRows[j.i.row], j.i, code32);
    if (!j.operands.empty()) j.v = Verdict::Operands;
  }
  return j;
}

bool same_vmlab_answer(const Judged& x, const Judged& y) {
  if (x.st != y.st) return false;
  if (x.st != DecodeStatus::Ok) return true;
  const Insn &a = x.i, &b = y.i;
  return a.len == b.len && a.row == b.row && a.op32 == b.op32 && a.addr32 == b.addr32 &&
         a.base == b.base && a.index == b.index && a.scale == b.scale && a.disp == b.disp &&
         a.imm == b.imm && a.imm2 == b.imm2;
}

// Compares one byte window: vmlab and Capstone, plus the length the test itself expects
// (0 = not known, as for random windows).
void compare(Capstone& cs, const uint8_t* b, unsigned n, bool code32, unsigned expect_len,
             Findings& f) {
  const Judged j = judge(cs, b, n, code32);
  const CsResult& c = j.c;
  const Insn& i = j.i;
  const DecodeStatus st = j.st;
  const OpKey k = op_key(b, n);
  const bool modrm = dispatch_entry(k.map, k.byte).modrm;
  if (st == DecodeStatus::Ok && expect_len && i.len != expect_len)
    f.fail("TABLE-LENGTH " + opcode_name(k, modrm),
           std::string(code32 ? "code32 " : "code16 ") +
               hex(b, std::max<unsigned>(i.len, expect_len)) + " | vmlab len " +
               std::to_string(i.len) + " | table says len " + std::to_string(expect_len));
  if (j.v == Verdict::Skip) {
    ++f.skipped_non_integer;
    return;
  }
  ++f.compared;
  if (j.v == Verdict::Agree) return;
  const unsigned show = std::min<unsigned>(n, std::max<unsigned>({c.len, i.len, expect_len, 1u}));
  const std::string where = std::string(code32 ? "code32 " : "code16 ") + hex(b, show);
  const std::string vm = std::string("vmlab ") + status_name(st) +
                         (st == DecodeStatus::Ok
                              ? " len " + std::to_string(i.len) + " " + kOpcodeRows[i.row].mnemonic
                              : "");
  const std::string csd =
      c.ok ? "capstone len " + std::to_string(c.len) + " " + c.mnemonic : "capstone rejects";
  const std::string what = where + " | " + vm + " | " + csd;

  // Explained by a prefix Capstone mishandles? Only if vmlab's answer does not change.
  const bool size_prefix = std::count(k.prefixes.begin(), k.prefixes.end(), 0x66) ||
                           std::count(k.prefixes.begin(), k.prefixes.end(), 0x67);
  const bool rep_prefix = std::count(k.prefixes.begin(), k.prefixes.end(), 0xF2) ||
                          std::count(k.prefixes.begin(), k.prefixes.end(), 0xF3);
  if (size_prefix && rep_prefix) {
    const Rewritten r(b, n, {0xF2, 0xF3});
    const Judged j2 = judge(cs, r.b, std::min<unsigned>(n, kMaxInsnLength), code32);
    if (j2.v == Verdict::Agree && same_vmlab_answer(j, j2)) {
      ++f.known[&kRepConfusesCapstone];
      return;
    }
  }
  if (j.v == Verdict::CapstoneOnly && st == DecodeStatus::Undefined && k.lock) {
    const Rewritten r(b, n, {0xF0});
    Insn i2;
    if (decode(r.b, std::min<unsigned>(n, kMaxInsnLength), code32, i2) == DecodeStatus::Ok &&
        !(kOpcodeRows[i2.row].lockable && i2.is_mem)) {
      ++f.known[&kLockNotChecked];
      return;
    }
  }
  switch (j.v) {
    case Verdict::Length: f.record(Side::Length, k, modrm, what); break;
    case Verdict::Name: f.record(Side::Name, k, modrm, what); break;
    case Verdict::Operands: f.record(Side::Operands, k, modrm, what + " | " + j.operands); break;
    case Verdict::VmlabOnly: f.record(Side::VmlabOnly, k, modrm, what); break;
    case Verdict::CapstoneOnly: f.record(Side::CapstoneOnly, k, modrm, what); break;
    case Verdict::Agree: case Verdict::Skip: break;
  }
}

// ---- table test: byte builders ------------------------------------------------------------

struct Rng {  // xorshift64*: deterministic, seeded
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
  uint8_t byte() { return uint8_t(next() >> 32); }
  unsigned below(unsigned n) { return unsigned((next() >> 33) % n); }
};

// A ModRM operand form: the ModRM.mod/rm (and SIB) bytes and the displacement length.
struct MemForm {
  const char* name;
  bool addr32;
  uint8_t mod, rm;
  int sib;            // -1 = none; otherwise the SIB byte (index/base fixed, scale randomized)
  unsigned disp;
};
constexpr MemForm kForms[] = {
    {"reg", false, 3, 0xFF, -1, 0},
    {"reg", true, 3, 0xFF, -1, 0},
    {"[disp16]", false, 0, 6, -1, 2},
    {"[bx+si+disp16]", false, 2, 0, -1, 2},
    {"[bp+di+disp8]", false, 1, 3, -1, 1},
    {"[si]", false, 0, 4, -1, 0},
    {"[disp32]", true, 0, 5, -1, 4},
    {"[esi+edi*s+disp8]", true, 1, 4, (7 << 3) | 6, 1},
    {"[disp32+ecx*s] (SIB base=EBP, mod 0)", true, 0, 4, (1 << 3) | 5, 4},
    {"[esp] (SIB, no index)", true, 0, 4, (4 << 3) | 4, 0},
    {"[ebp+disp8]", true, 1, 5, -1, 1},
    {"[ebx+disp32]", true, 2, 3, -1, 4},
};

unsigned imm_len(Imm kind, bool op32, bool addr32) {
  switch (kind) {
    case Imm::None: return 0;
    case Imm::Ib: case Imm::Ibs: case Imm::Jb: return 1;
    case Imm::Iw: return 2;
    case Imm::Iz: case Imm::Jz: return op32 ? 4 : 2;
    case Imm::Ap: return op32 ? 6 : 4;
    case Imm::Ov: return addr32 ? 4 : 2;
    case Imm::IwIb: return 3;
  }
  return 0;
}


// Builds one encoding of table row `r`: prefixes, opcode, ModRM/SIB/displacement in the given
// form (ignored without ModRM), random immediates; the rest of `b` stays random. Returns the
// instruction's length as the table and the SDM's length rules give it.
unsigned encode_row(const OpRow& r, const std::vector<uint8_t>& prefixes, const MemForm& form,
                    bool op32, bool addr32, Rng& rng, uint8_t* b) {
  unsigned n = 0;
  for (uint8_t p : prefixes) b[n++] = p;
  if (r.map == 1) b[n++] = 0x0F;
  b[n++] = r.byte;
  if (r.modrm) {
    const uint8_t reg = r.reg == 8 ? uint8_t(rng.below(8)) : r.reg;
    const uint8_t rm = form.rm == 0xFF ? uint8_t(rng.below(8)) : form.rm;
    b[n++] = uint8_t(form.mod << 6 | reg << 3 | rm);
    // MOV to/from CRn/DRn: the ModRM always names a register, so no SIB or displacement.
    if (!(r.map == 1 && r.byte >= 0x20 && r.byte <= 0x23)) {
      if (form.sib >= 0) b[n++] = uint8_t(rng.below(4) << 6 | form.sib);
      n += form.disp;
    }
  }
  return n + imm_len(r.imm, op32, addr32);
}

}  // namespace

TEST_CASE("decoder_capstone: every opcode table row, all operand/address sizes and ModRM forms") {
  Capstone cs;
  Findings f;
  Rng rng{0x5EED'DEC0'DE00'0001ull};
  // Size overrides in every combination, LOCK (legal only on the rows marked L with a memory
  // destination), two segment overrides, and REP with 66 (REP changes no size).
  static const std::vector<std::vector<uint8_t>> kPrefixSets = {
      {}, {0x66}, {0x67}, {0x66, 0x67}, {0xF0}, {0x26, 0x64}, {0xF3, 0x66}};
  unsigned cases = 0, truncation_errors = 0;
  for (size_t row = 0; row < kNumOpcodeRows; ++row) {
    const OpRow& r = kOpcodeRows[row];
    for (bool code32 : {false, true})
      for (const auto& ps : kPrefixSets) {
        const bool op32 = code32 != (std::count(ps.begin(), ps.end(), 0x66) > 0);
        const bool addr32 = code32 != (std::count(ps.begin(), ps.end(), 0x67) > 0);
        for (const MemForm& form : kForms) {
          if (!r.modrm && &form != &kForms[0]) break;  // one pass for rows without ModRM
          if (r.modrm && form.addr32 != addr32) continue;
          for (int rep = 0; rep < 2; ++rep) {
            uint8_t b[kMaxInsnLength];
            for (uint8_t& x : b) x = rng.byte();  // random immediates, displacements, tail
            const unsigned n = encode_row(r, ps, form, op32, addr32, rng, b);
            ++cases;
            compare(cs, b, kMaxInsnLength, code32, n, f);
            // Fewer bytes than the instruction needs: Truncated, whatever is missing.
            Insn i;
            if (decode(b, kMaxInsnLength, code32, i) != DecodeStatus::Ok) continue;
            for (unsigned avail = 0; avail < n; ++avail)
              if (decode(b, avail, code32, i) != DecodeStatus::Truncated &&
                  truncation_errors++ < 10)
                std::printf("  not Truncated with %u of %u bytes: code%d %s\n", avail, n,
                            code32 ? 32 : 16, hex(b, n).c_str());
          }
        }
      }
  }
  std::printf("[decoder_capstone table] %u encodings from %zu opcode rows\n", cases,
              kNumOpcodeRows);
  f.print("decoder_capstone table");
  CHECK(f.failure_count == 0);
  CHECK(truncation_errors == 0);
}

// The 15-byte limit (SDM Vol. 2, 2.3.11): every row padded with segment prefixes to exactly 15
// bytes decodes, with Capstone agreeing; one more prefix is #GP (TooLong).
TEST_CASE("decoder_capstone: 15-byte limit, every row padded with prefixes") {
  Capstone cs;
  Findings f;
  Rng rng{0x15'15'15ull};
  unsigned toolong_errors = 0;
  for (size_t row = 0; row < kNumOpcodeRows; ++row) {
    const OpRow& r = kOpcodeRows[row];
    for (bool code32 : {false, true}) {
      uint8_t b[kMaxInsnLength + 1];
      for (uint8_t& x : b) x = rng.byte();
      const MemForm& form = code32 ? kForms[6] : kForms[3];  // [disp32] / [bx+si+disp16]
      const unsigned n = encode_row(r, {}, form, code32, code32, rng, b);
      uint8_t padded[kMaxInsnLength + 1];
      for (unsigned pad : {kMaxInsnLength - n, kMaxInsnLength + 1 - n}) {
        for (unsigned k = 0; k < pad; ++k) padded[k] = k & 1 ? 0x26 : 0x3E;
        std::memcpy(padded + pad, b, sizeof padded - pad);
        if (pad + n == kMaxInsnLength) {
          compare(cs, padded, kMaxInsnLength, code32, kMaxInsnLength, f);
        } else {
          Insn i;
          const DecodeStatus st = decode(padded, kMaxInsnLength + 1, code32, i);
          if (st != DecodeStatus::TooLong && toolong_errors++ < 10)
            std::printf("  16 bytes not TooLong (%s): code%d %s\n", status_name(st),
                        code32 ? 32 : 16,
                        hex(padded, kMaxInsnLength + 1).c_str());
        }
      }
    }
  }
  f.print("decoder_capstone 15-byte limit");
  CHECK(f.failure_count == 0);
  CHECK(toolong_errors == 0);
}

// Random 15-byte windows, biased toward what decoders get wrong: prefixes (repeated, mixed),
// the 0F map and ModRM memory forms with SIB and displacements.
TEST_CASE("decoder_capstone: random byte stream, lengths agree on every i686 integer instruction") {
  Capstone cs;
  Findings f;
  Rng rng{0xC0FF'EE00'1234'5678ull};
  static constexpr uint8_t kPrefixes[] = {0x66, 0x67, 0xF0, 0xF2, 0xF3, 0x26, 0x2E,
                                          0x36, 0x3E, 0x64, 0x65};
  constexpr unsigned kWindows = 200'000;
  unsigned vm_toolong = 0;
  for (unsigned w = 0; w < kWindows; ++w) {
    uint8_t b[kMaxInsnLength];
    for (uint8_t& x : b) x = rng.byte();
    unsigned n = 0;
    // 0 prefixes half the time, else 1-3, and now and then enough to pass 15 bytes.
    unsigned np = rng.below(2) ? 0 : 1 + rng.below(3);
    if (rng.below(64) == 0) np = 8 + rng.below(7);
    for (unsigned k = 0; k < np; ++k) b[n++] = kPrefixes[rng.below(std::size(kPrefixes))];
    if (n < kMaxInsnLength && rng.below(8) < 3) b[n++] = 0x0F;
    if (n + 1 < kMaxInsnLength) {
      ++n;  // the opcode byte stays random
      if (rng.below(4) != 0) b[n] = uint8_t(b[n] % 0xC0);  // ModRM (if any): mostly memory
    }
    const bool code32 = rng.below(2);
    Insn i;
    if (decode(b, kMaxInsnLength, code32, i) == DecodeStatus::TooLong) ++vm_toolong;
    compare(cs, b, kMaxInsnLength, code32, 0, f);
  }
  std::printf("[decoder_capstone random] %u windows (%u TooLong for vmlab)\n", kWindows,
              vm_toolong);
  f.print("decoder_capstone random");
  // A decoder-bug entry the stream no longer hits has probably been fixed: say so.
  for (const Difference& d : kKnownDecoderBugs)
    if (!f.bugs.count(&d))
      std::printf("  known decoder bug entry no longer hit (fixed? remove it): %s%02x: %s\n",
                  d.map ? "0f " : "", d.byte, d.reason);
  CHECK(f.failure_count == 0);
}
