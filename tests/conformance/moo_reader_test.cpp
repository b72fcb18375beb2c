// Tests of the conformance-vector reader: real files from shared/testdata when present, and
// synthetic files corrupted in every way a bad download or a bug could (truncation at every
// byte, lying lengths, wrong magic), which must give an error message, never a crash.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/conformance/gzip.h"
#include "tests/conformance/known_failures.h"
#include "tests/conformance/moo_reader.h"
#include "tests/conformance/opcode_metadata.h"

using namespace vmlab::conformance;

namespace {

void put_u16(std::vector<uint8_t>& b, uint16_t v) { b.push_back(v & 0xFF); b.push_back(v >> 8); }
void put_u32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put_chunk(std::vector<uint8_t>& b, const char* id, const std::vector<uint8_t>& payload) {
  b.insert(b.end(), id, id + 4);
  put_u32(b, static_cast<uint32_t>(payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
}

std::vector<uint8_t> regs_chunk(uint16_t mask, std::vector<uint16_t> values) {
  std::vector<uint8_t> p;
  put_u16(p, mask);
  for (uint16_t v : values) put_u16(p, v);
  return p;
}

// A two-test file: test 0 is "inc ax" (FINA ax, ip, flags), test 1 has RAM changes and EXCP.
std::vector<uint8_t> synthetic_moo(uint32_t declared = 2) {
  std::vector<uint8_t> f, hdr;
  hdr = {1, 1, 0, 0};
  put_u32(hdr, declared);
  hdr.insert(hdr.end(), {'C', '2', '8', '6'});
  put_chunk(f, "MOO ", hdr);
  std::vector<uint8_t> meta = {1, 1, 6};
  put_u32(meta, 0x40);
  for (char c : std::string("inc     ")) meta.push_back(static_cast<uint8_t>(c));
  put_u32(meta, declared);
  for (int i = 0; i < 8; ++i) meta.push_back(0);
  meta.insert(meta.end(), {0, 0, 0, 0});
  put_chunk(f, "META", meta);
  for (uint32_t t = 0; t < 2; ++t) {
    std::vector<uint8_t> test, name, bytes, init, fina, ram, excp;
    put_u32(test, t);
    put_chunk(test, "GMET", std::vector<uint8_t>(10, 0xAA));
    put_u32(name, 6);
    for (char c : std::string("inc ax")) name.push_back(static_cast<uint8_t>(c));
    put_chunk(test, "NAME", name);
    put_u32(bytes, 2);
    bytes.insert(bytes.end(), {0x40, 0xF4});
    put_chunk(test, "BYTS", bytes);
    std::vector<uint16_t> all(14);
    for (unsigned i = 0; i < 14; ++i) all[i] = static_cast<uint16_t>(0x1000 + i);
    put_chunk(init, "REGS", regs_chunk(0x3FFF, all));
    put_u32(ram, 2);
    put_u32(ram, 0x10100); ram.push_back(0x40);
    put_u32(ram, 0x10101); ram.push_back(0xF4);
    put_chunk(init, "RAM ", ram);
    put_chunk(test, "INIT", init);
    put_chunk(fina, "REGS", regs_chunk(0x3001, {0x1001, 0x1102, 0x0046}));
    ram.clear();
    put_u32(ram, t);  // test 1 changes one byte
    if (t == 1) { put_u32(ram, 0x2000); ram.push_back(0x5A); }
    put_chunk(fina, "RAM ", ram);
    put_chunk(test, "FINA", fina);
    put_chunk(test, "CYCL", std::vector<uint8_t>(19, 0));
    put_chunk(test, "ZZZZ", std::vector<uint8_t>(3, 1));  // unknown: skipped by length
    if (t == 1) {
      excp.push_back(13);
      put_u32(excp, 0x2000);
      put_chunk(test, "EXCP", excp);
    }
    put_chunk(test, "HASH", std::vector<uint8_t>(20, static_cast<uint8_t>(0x10 + t)));
    put_chunk(f, "TEST", test);
  }
  return f;
}

std::vector<uint8_t> gzip_bytes(const std::vector<uint8_t>& in) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, in.size()) + 64);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

const std::string kVectorDir = std::string(VMLAB_SHARED_TESTDATA) + "/singlestep-286/v1_real_mode";

}  // namespace

TEST_CASE("moo_reader_parses_every_field_of_a_synthetic_file") {
  MooFile f;
  std::vector<uint8_t> img = synthetic_moo();
  REQUIRE(parse_moo(img, f) == "");
  CHECK(f.major == 1);
  CHECK(f.cpu == "C286");
  CHECK(f.has_meta);
  CHECK(f.opcode == 0x40);
  CHECK(f.mnemonic == "inc");
  REQUIRE(f.tests.size() == 2);
  const MooTest& t0 = f.tests[0];
  CHECK(t0.index == 0);
  CHECK(t0.name == "inc ax");
  CHECK(t0.bytes == std::vector<uint8_t>{0x40, 0xF4});
  CHECK(t0.init.regs.mask == 0x3FFF);
  CHECK(t0.init.regs.get(kMooAx) == 0x1000);
  CHECK(t0.init.regs.get(kMooFlags) == 0x100D);
  REQUIRE(t0.init.ram.size() == 2);
  CHECK(t0.init.ram[1].addr == 0x10101);
  CHECK(t0.init.ram[1].value == 0xF4);
  CHECK(t0.fina.regs.has(kMooAx));
  CHECK_FALSE(t0.fina.regs.has(kMooBx));
  CHECK(t0.fina.regs.get(kMooIp) == 0x1102);
  CHECK(t0.fina.regs.get(kMooFlags) == 0x0046);
  CHECK(t0.fina.ram.empty());
  CHECK_FALSE(t0.exception.has_value());
  const MooTest& t1 = f.tests[1];
  REQUIRE(t1.exception.has_value());
  CHECK(t1.exception->vector == 13);
  CHECK(t1.exception->flags_addr == 0x2000);
  REQUIRE(t1.fina.ram.size() == 1);
  CHECK(t1.fina.ram[0].value == 0x5A);
  CHECK(t1.hash_hex() == std::string(40, '1'));
}

TEST_CASE("moo_reader_reports_truncation_at_every_byte_without_crashing") {
  std::vector<uint8_t> img = synthetic_moo();
  for (size_t n = 0; n < img.size(); ++n) {
    MooFile f;
    std::vector<uint8_t> cut(img.begin(), img.begin() + static_cast<long>(n));
    std::string err = parse_moo(cut, f);
    CAPTURE(n);
    CHECK_FALSE(err.empty());
  }
}

TEST_CASE("moo_reader_rejects_lying_lengths_and_bad_magic") {
  std::vector<uint8_t> img = synthetic_moo();
  MooFile f;
  SUBCASE("wrong magic") {
    img[0] = 'X';
    CHECK(parse_moo(img, f).find("not a MOO file") != std::string::npos);
  }
  SUBCASE("declared test count differs from the chunks present") {
    img = synthetic_moo(3);
    CHECK(parse_moo(img, f).find("declares 3 tests") != std::string::npos);
  }
  SUBCASE("every 32-bit length field set to huge values") {
    // Corrupt each 4-byte window in turn with 0xFFFFFFF0: whatever it hits, no crash, and a
    // length field hit gives an error.
    int errors = 0;
    for (size_t at = 0; at + 4 <= img.size(); ++at) {
      std::vector<uint8_t> bad = img;
      bad[at] = 0xF0; bad[at + 1] = 0xFF; bad[at + 2] = 0xFF; bad[at + 3] = 0xFF;
      MooFile g;
      if (!parse_moo(bad, g).empty()) ++errors;
    }
    CHECK(errors > 20);
  }
  SUBCASE("RAM count larger than its chunk") {
    // Find the first RAM subchunk and raise its count.
    std::string s(img.begin(), img.end());
    size_t at = s.find("RAM ");
    REQUIRE(at != std::string::npos);
    img[at + 8] = 0xFF;
    std::string err = parse_moo(img, f);
    CHECK(err.find("RAM count") != std::string::npos);
  }
  SUBCASE("REGS mask with bits beyond the 286 registers") {
    std::string s(img.begin(), img.end());
    size_t at = s.find("REGS");
    img[at + 9] = 0xFF;
    CHECK(parse_moo(img, f).find("REGS mask") != std::string::npos);
  }
  SUBCASE("random byte flips never crash") {
    uint32_t x = 12345;
    for (int round = 0; round < 2000; ++round) {
      std::vector<uint8_t> bad = img;
      for (int k = 0; k < 3; ++k) {
        x = x * 1664525u + 1013904223u;
        bad[(x >> 8) % bad.size()] = static_cast<uint8_t>(x >> 24);
      }
      MooFile g;
      (void)parse_moo(bad, g);
    }
    CHECK(true);
  }
}

TEST_CASE("gunzip_round_trips_and_rejects_corrupt_or_truncated_streams") {
  std::vector<uint8_t> img = synthetic_moo();
  std::vector<uint8_t> gz = gzip_bytes(img), out;
  REQUIRE(gunzip(gz, out) == "");
  CHECK(out == img);
  std::vector<uint8_t> cut(gz.begin(), gz.begin() + static_cast<long>(gz.size() / 2));
  CHECK(gunzip(cut, out).find("truncated") != std::string::npos);
  std::vector<uint8_t> bad = gz;
  bad[0] = 0x00;  // gzip magic
  CHECK_FALSE(gunzip(bad, out).empty());
  CHECK_FALSE(gunzip({}, out).empty());
  CHECK(gunzip(gz, out, 16).find("exceeds limit") != std::string::npos);
}

TEST_CASE("known_failures_parses_entries_and_rejects_malformed_ones") {
  KnownFailures kf;
  REQUIRE(kf.parse("# Known failures\n\nSome prose line.\n```\n"
                   "9C * — PUSHF stores bits 12-15 differently\n"
                   "f6.6 12,377 - divide error\n```\n") == "");
  REQUIRE(kf.entries().size() == 2);
  CHECK(kf.find("9C", 4) != nullptr);
  CHECK(kf.find("F6.6", 377)->reason == "divide error");
  CHECK(kf.find("F6.6", 378) == nullptr);
  CHECK(kf.find("F6.7", 12) == nullptr);
  CHECK_FALSE(kf.parse("9C\n").empty());
  CHECK_FALSE(kf.parse("9C 12\n").empty());
  CHECK_FALSE(kf.parse("9C 12 — \n").empty());
  CHECK_FALSE(kf.parse("9C 1x2 — reason\n").empty());
  CHECK_FALSE(kf.parse("9C 12 reason without dash\n").empty());
}

TEST_CASE("opcode_metadata_flattens_group_opcodes") {
  OpcodeMetadata m;
  REQUIRE(m.parse(R"({"opcodes": {"08": {"status": "normal", "flags-mask": 65519},
                      "F6": {"reg": {"6": {"status": "normal", "flags-mask": 63274}}},
                      "00": {"status": "normal"}}})") == "");
  CHECK(m.flags_mask("08") == 65519);
  CHECK(m.flags_mask("F6.6") == 63274);
  CHECK(m.flags_mask("00") == 0xFFFF);
  CHECK(m.flags_mask("nope") == 0xFFFF);
  CHECK(m.status("F6.6") == "normal");
  CHECK_FALSE(m.parse("{not json").empty());
  CHECK_FALSE(m.parse("[1,2]").empty());
}

TEST_CASE("moo_reader_reads_the_real_286_vectors") {
  if (!std::filesystem::exists(kVectorDir + "/F6.6.MOO.gz")) {
    MESSAGE("skipped: " << kVectorDir << " not present");
    return;
  }
  MooFile f;
  REQUIRE(load_moo_file(kVectorDir + "/F6.6.MOO.gz", f) == "");
  CHECK(f.cpu == "C286");
  CHECK(f.opcode == 0xF6);
  CHECK(f.mnemonic == "div");
  REQUIRE(f.tests.size() == 500);
  const MooTest& t = f.tests[0];
  CHECK(t.name == "div byte [si+3D3Bh]");
  CHECK(t.bytes == std::vector<uint8_t>{0xF6, 0xB4, 0x3B, 0x3D, 0xF4});
  CHECK(t.init.regs.mask == 0x3FFF);
  REQUIRE(t.exception.has_value());
  CHECK(t.exception->vector == 0);
  CHECK(t.hash_hex() == "0b796f0cf88c29174f23f6515809f5eb5683e57c");
  OpcodeMetadata m;
  REQUIRE(m.load(kVectorDir + "/metadata.json") == "");
  CHECK(m.flags_mask("08") == 0xFFEF);  // AF undefined after OR
  // A truncated real file is an error, not a crash or a short read taken as complete.
  std::vector<uint8_t> raw;
  REQUIRE(read_gzip_file(kVectorDir + "/F6.6.MOO.gz", raw) == "");
  raw.resize(raw.size() - 700);
  CHECK_FALSE(parse_moo(raw, f).empty());
}
