// MOO chunk parsing. Each level (file, TEST, INIT/FINA) walks its chunks with a ByteReader
// bounded by the enclosing chunk, so a bad length can only ever produce an error message.
#include "tests/conformance/moo_reader.h"

#include <fmt/format.h>

#include <algorithm>

#include "tests/conformance/byte_reader.h"
#include "tests/conformance/gzip.h"

namespace vmlab::conformance {
namespace {

struct Chunk {
  std::string id;
  size_t offset = 0;  // file offset of the chunk header
  std::span<const uint8_t> payload;
};

// Reads one chunk header and its payload; the payload must fit in what remains.
std::string next_chunk(ByteReader& r, Chunk& c) {
  c.offset = r.file_offset();
  uint32_t len = 0;
  if (!r.text(4, c.id) || !r.u32(len))
    return fmt::format("offset {:#x}: truncated chunk header", c.offset);
  for (char ch : c.id)
    if (ch < 0x20 || ch > 0x7E)
      return fmt::format("offset {:#x}: chunk id is not ASCII (corrupt file?)", c.offset);
  if (!r.bytes(len, c.payload))
    return fmt::format("offset {:#x}: chunk '{}' claims {} bytes but only {} remain", c.offset,
                       c.id, len, r.remaining());
  return {};
}

std::string parse_regs(const Chunk& c, MooRegs& regs) {
  ByteReader r(c.payload, c.offset + 8);
  if (!r.u16(regs.mask)) return fmt::format("offset {:#x}: REGS too short for its mask", c.offset);
  if (regs.mask >> kNumMooRegs)
    return fmt::format("offset {:#x}: REGS mask {:#06x} has bits beyond the 14 286 registers "
                       "(not a 16-bit file?)", c.offset, regs.mask);
  for (unsigned i = 0; i < kNumMooRegs; ++i)
    if (regs.has(i) && !r.u16(regs.value[i]))
      return fmt::format("offset {:#x}: REGS ends before register {}", c.offset, moo_reg_name(i));
  return {};
}

std::string parse_ram(const Chunk& c, std::vector<MooRamByte>& ram) {
  ByteReader r(c.payload, c.offset + 8);
  uint32_t count = 0;
  if (!r.u32(count)) return fmt::format("offset {:#x}: RAM chunk too short for its count", c.offset);
  if (uint64_t(count) * 5 > r.remaining())
    return fmt::format("offset {:#x}: RAM count {} needs {} bytes, chunk has {}", c.offset, count,
                       uint64_t(count) * 5, r.remaining());
  ram.resize(count);
  for (MooRamByte& b : ram) (void)(r.u32(b.addr) && r.u8(b.value));  // sizes checked above
  return {};
}

// INIT / FINA: REGS and RAM subchunks.
std::string parse_state(const Chunk& c, MooState& st) {
  ByteReader r(c.payload, c.offset + 8);
  bool have_regs = false;
  while (!r.at_end()) {
    Chunk sub;
    if (std::string e = next_chunk(r, sub); !e.empty()) return e;
    if (sub.id == "REGS") {
      if (std::string e = parse_regs(sub, st.regs); !e.empty()) return e;
      have_regs = true;
    } else if (sub.id == "RAM ") {
      if (std::string e = parse_ram(sub, st.ram); !e.empty()) return e;
    }
  }
  if (!have_regs) return fmt::format("offset {:#x}: {} has no REGS", c.offset, c.id);
  return {};
}

// NAME / BYTS: a u32 length, then that many bytes.
std::string parse_counted(const Chunk& c, std::span<const uint8_t>& out) {
  ByteReader r(c.payload, c.offset + 8);
  uint32_t len = 0;
  if (!r.u32(len) || !r.bytes(len, out))
    return fmt::format("offset {:#x}: {} length field exceeds the chunk", c.offset, c.id);
  return {};
}

std::string parse_test(const Chunk& c, MooTest& t) {
  ByteReader r(c.payload, c.offset + 8);
  if (!r.u32(t.index)) return fmt::format("offset {:#x}: TEST too short for its index", c.offset);
  bool have_init = false, have_fina = false, have_bytes = false;
  while (!r.at_end()) {
    Chunk sub;
    if (std::string e = next_chunk(r, sub); !e.empty()) return e;
    std::string err;
    std::span<const uint8_t> s;
    if (sub.id == "NAME") {
      if ((err = parse_counted(sub, s)).empty()) t.name.assign(s.begin(), s.end());
    } else if (sub.id == "BYTS") {
      if ((err = parse_counted(sub, s)).empty()) t.bytes.assign(s.begin(), s.end());
      have_bytes = true;
    } else if (sub.id == "INIT") {
      err = parse_state(sub, t.init);
      have_init = true;
    } else if (sub.id == "FINA") {
      err = parse_state(sub, t.fina);
      have_fina = true;
    } else if (sub.id == "EXCP") {
      ByteReader e(sub.payload, sub.offset + 8);
      MooException x;
      if (!e.u8(x.vector) || !e.u32(x.flags_addr))
        err = fmt::format("offset {:#x}: EXCP shorter than 5 bytes", sub.offset);
      t.exception = x;
    } else if (sub.id == "HASH") {
      if (sub.payload.size() != t.hash.size())
        err = fmt::format("offset {:#x}: HASH is {} bytes, expected 20", sub.offset,
                          sub.payload.size());
      else
        std::copy(sub.payload.begin(), sub.payload.end(), t.hash.begin());
      t.has_hash = true;
    }  // GMET, CYCL and anything newer: not needed here, skipped by length
    if (!err.empty()) return fmt::format("test {}: {}", t.index, err);
  }
  if (!have_init || !have_fina || !have_bytes)
    return fmt::format("offset {:#x}: test {} lacks {}", c.offset, t.index,
                       !have_init ? "INIT" : !have_fina ? "FINA" : "BYTS");
  return {};
}

}  // namespace

const char* moo_reg_name(unsigned r) {
  static constexpr const char* kNames[kNumMooRegs] = {"ax", "bx", "cx", "dx", "cs", "ss", "ds",
                                                      "es", "sp", "bp", "si", "di", "ip", "flags"};
  return r < kNumMooRegs ? kNames[r] : "?";
}

std::string MooTest::hash_hex() const {
  std::string s;
  for (uint8_t b : hash) s += fmt::format("{:02x}", b);
  return s;
}

std::string parse_moo(std::span<const uint8_t> bytes, MooFile& out) {
  out = MooFile{};
  ByteReader r(bytes);
  Chunk c;
  if (std::string e = next_chunk(r, c); !e.empty()) return e;
  if (c.id != "MOO ") return "not a MOO file (first chunk is '" + c.id + "', expected 'MOO ')";
  {
    ByteReader h(c.payload, 8);
    if (!h.u8(out.major) || !h.u8(out.minor) || !h.skip(2) || !h.u32(out.declared_tests))
      return "MOO header chunk too short";
    if (h.remaining() >= 4) (void)h.text(4, out.cpu);
    if (out.major != 1)
      return fmt::format("unsupported MOO version {}.{} (this reader knows 1.x)", out.major,
                         out.minor);
  }
  while (!r.at_end()) {
    if (std::string e = next_chunk(r, c); !e.empty()) return e;
    if (c.id == "META") {
      ByteReader m(c.payload, c.offset + 8);
      uint8_t major, minor, cpu_type;
      uint32_t count;
      uint64_t seed;
      if (!m.u8(major) || !m.u8(minor) || !m.u8(cpu_type) || !m.u32(out.opcode) ||
          !m.text(8, out.mnemonic) || !m.u32(count) || !m.u64(seed) || !m.u8(out.cpu_mode))
        return fmt::format("offset {:#x}: META chunk too short", c.offset);
      while (!out.mnemonic.empty() && (out.mnemonic.back() == ' ' || out.mnemonic.back() == '\0'))
        out.mnemonic.pop_back();
      out.has_meta = true;
    } else if (c.id == "TEST") {
      MooTest t;
      if (std::string e = parse_test(c, t); !e.empty()) return e;
      out.tests.push_back(std::move(t));
    }
  }
  if (out.tests.size() != out.declared_tests)
    return fmt::format("header declares {} tests but the file holds {} (truncated?)",
                       out.declared_tests, out.tests.size());
  return {};
}

std::string load_moo_file(const std::string& path, MooFile& out) {
  std::vector<uint8_t> bytes;
  bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  std::string err = gz ? read_gzip_file(path, bytes) : read_file_bytes(path, bytes);
  if (!err.empty()) return err;
  if (err = parse_moo(bytes, out); !err.empty()) return path + ": " + err;
  return {};
}

}  // namespace vmlab::conformance
