// MOO reader: parses SingleStepTests "MOO" CPU test-vector files (format v1.x, as used by the
// 80286 real-mode suite; spec: github.com/dbalsom/moo doc/moo_format_v1.md).
//
// A file is a sequence of chunks `id[4] | u32 length | payload`; unknown chunks are skipped by
// length. Every length is checked against its enclosing chunk, so a truncated or corrupted file
// yields an error message naming the offset, never an out-of-bounds read.
//
//   MooFile f;
//   if (std::string err = load_moo_file("00.MOO.gz", f); !err.empty()) die(err);
//   for (const MooTest& t : f.tests) ... t.init.regs.get(kMooIp) ...
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vmlab::conformance {

// Register order of the REGS bitmask (80286 files): bit i = register i.
enum MooReg : uint8_t {
  kMooAx, kMooBx, kMooCx, kMooDx, kMooCs, kMooSs, kMooDs, kMooEs,
  kMooSp, kMooBp, kMooSi, kMooDi, kMooIp, kMooFlags, kNumMooRegs
};
const char* moo_reg_name(unsigned r);

struct MooRegs {
  uint16_t mask = 0;                     // bit i set = value[i] present
  std::array<uint16_t, kNumMooRegs> value{};
  bool has(unsigned r) const { return r < kNumMooRegs && ((mask >> r) & 1); }
  uint16_t get(unsigned r) const { return value[r]; }
};

struct MooRamByte {
  uint32_t addr = 0;  // physical address
  uint8_t value = 0;
};

struct MooState {
  MooRegs regs;
  std::vector<MooRamByte> ram;
};

// Present when the instruction raised an exception or executed INT n.
struct MooException {
  uint8_t vector = 0;
  uint32_t flags_addr = 0;  // physical address of the FLAGS word the CPU pushed
};

struct MooTest {
  uint32_t index = 0;
  std::string name;                  // disassembly, e.g. "div byte [si+3D3Bh]"
  std::vector<uint8_t> bytes;        // instruction bytes, trailing HLT included
  MooState init, fina;
  std::optional<MooException> exception;
  std::array<uint8_t, 20> hash{};    // SHA-1 naming the test
  bool has_hash = false;
  std::string hash_hex() const;
};

struct MooFile {
  uint8_t major = 0, minor = 0;
  uint32_t declared_tests = 0;       // from the MOO header
  std::string cpu;                   // e.g. "C286"
  bool has_meta = false;
  uint32_t opcode = 0;               // from META
  std::string mnemonic;              // from META, trailing blanks removed
  uint8_t cpu_mode = 0;              // from META: 0 = real mode
  std::vector<MooTest> tests;
};

// Parses an uncompressed MOO image. Returns "" on success, else an error message.
std::string parse_moo(std::span<const uint8_t> bytes, MooFile& out);
// Reads, gunzips (when the name ends in .gz) and parses a file.
std::string load_moo_file(const std::string& path, MooFile& out);

}  // namespace vmlab::conformance
