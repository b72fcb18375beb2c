// vmlab_conformance: runs the SingleStepTests 80286 real-mode vectors on the interpreter.
//
//   vmlab_conformance --dir ../shared/testdata/singlestep-286
//       --known-failures tests/conformance/KNOWN_FAILURES.md [--opcode F6.6] [--limit 50] [-v]
//
// Prints a per-opcode pass table, the totals and a closing "N passed, M failed" line. Exit 0
// when every failure is listed in KNOWN_FAILURES.md, 1 otherwise (the first few unexpected
// failures are printed in detail), 2 on a setup error, 77 when the vectors are absent (ctest
// reports the test as skipped).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/conformance/known_failures.h"
#include "tests/conformance/moo_reader.h"
#include "tests/conformance/opcode_metadata.h"
#include "tests/conformance/vector_runner.h"

namespace fs = std::filesystem;
using namespace vmlab::conformance;

namespace {

constexpr int kExitSkip = 77;

struct OpcodeRow {
  std::string stem, mnemonic;
  uint32_t passed = 0, failed = 0, known = 0, revoked = 0;
};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string hex_bytes(const std::vector<uint8_t>& b) {
  std::string s;
  for (uint8_t x : b) s += fmt::format("{:02X} ", x);
  if (!s.empty()) s.pop_back();
  return s;
}

void print_failure(const std::string& stem, const MooTest& t, const TestOutcome& o) {
  fmt::print("  FAIL {} #{} \"{}\"  bytes: {}{}\n", stem, t.index, t.name, hex_bytes(t.bytes),
             t.exception ? fmt::format("  (expects int {})", t.exception->vector) : "");
  for (const Mismatch& m : o.mismatches) {
    if (m.what == "exit")
      fmt::print("      exit: {}\n", m.note);
    else
      fmt::print("      {:<14} expected {:#06x}  got {:#06x}{}{}\n", m.what, m.expected, m.got,
                 m.note.empty() ? "" : "  ", m.note);
  }
  if (!o.delivered.empty()) fmt::print("      exceptions delivered: {}\n", o.delivered);
  std::string init;
  for (unsigned r = 0; r < kNumMooRegs; ++r)
    init += fmt::format("{}={:04X} ", moo_reg_name(r), t.init.regs.get(r));
  fmt::print("      init: {}\n", init);
}

std::set<std::string> load_revocations(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    for (char& c : line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.insert(line);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Run the SingleStepTests 80286 real-mode conformance vectors on the interpreter"};
  std::string dir, known_path, only;
  bool verbose = false, emit_known = false, no_decode_cache = false, no_blocks = false;
  uint32_t limit = 0, details = 10;
  int64_t only_index = -1;
  uint64_t budget = 1000;
  app.add_option("--dir", dir, "singlestep-286 folder (holds v1_real_mode/)")->required();
  app.add_option("--known-failures", known_path, "KNOWN_FAILURES.md");
  app.add_option("--opcode", only, "run one file, e.g. 00 or F6.6 (F6 = all F6.N)");
  app.add_option("--limit", limit, "at most N tests per file (0 = all)");
  app.add_option("--index", only_index, "run only the test with this index");
  app.add_option("--details", details, "unexpected failures printed in detail (default 10)");
  app.add_option("--budget", budget, "instruction budget per test (default 1000)");
  app.add_flag("--no-decode-cache", no_decode_cache, "interpreter: decode every instruction");
  app.add_flag("--no-blocks", no_blocks, "interpreter: run one instruction at a time");
  app.add_flag("-v,--verbose", verbose, "print every failure, expected or not");
  app.add_flag("--emit-known", emit_known,
               "print a KNOWN_FAILURES.md line per failing opcode (indices of its failures)");
  CLI11_PARSE(app, argc, argv);

  fs::path vec_dir = fs::path(dir) / "v1_real_mode";
  if (!fs::is_directory(vec_dir)) {
    fmt::print("SKIP: conformance vectors not found at {} (they live in shared/testdata beside "
               "the repository)\n", vec_dir.string());
    return kExitSkip;
  }
  OpcodeMetadata meta;
  if (std::string err = meta.load((vec_dir / "metadata.json").string()); !err.empty()) {
    fmt::print(stderr, "error: {}\n", err);
    return 2;
  }
  KnownFailures known;
  if (!known_path.empty())
    if (std::string err = known.load(known_path); !err.empty()) {
      fmt::print(stderr, "error: {}\n", err);
      return 2;
    }
  std::set<std::string> revoked = load_revocations((fs::path(dir) / "revocation_list.txt").string());

  std::vector<std::string> stems;
  for (const auto& ent : fs::directory_iterator(vec_dir)) {
    std::string name = ent.path().filename().string();
    if (name.size() <= 7 || name.substr(name.size() - 7) != ".MOO.gz") continue;
    std::string stem = name.substr(0, name.size() - 7);
    if (!only.empty() && upper(stem) != upper(only) && upper(stem).rfind(upper(only) + ".", 0) != 0)
      continue;
    stems.push_back(stem);
  }
  std::sort(stems.begin(), stems.end());
  if (stems.empty()) {
    fmt::print(stderr, "error: no .MOO.gz file in {} matches '{}'\n", vec_dir.string(), only);
    return 2;
  }

  auto start = std::chrono::steady_clock::now();
  VectorRunner runner({.budget = budget, .decode_cache = !no_decode_cache, .blocks = !no_blocks});
  std::vector<OpcodeRow> rows;
  uint32_t unexpected = 0, total_known = 0;
  for (const std::string& stem : stems) {
    MooFile f;
    if (std::string err = load_moo_file((vec_dir / (stem + ".MOO.gz")).string(), f); !err.empty()) {
      fmt::print(stderr, "error: {}\n", err);
      return 2;
    }
    OpcodeRow row{stem, f.mnemonic};
    uint16_t mask = meta.flags_mask(stem);
    std::vector<uint32_t> failing;
    uint32_t n = 0;
    for (const MooTest& t : f.tests) {
      if (limit && n >= limit) break;
      if (only_index >= 0 && t.index != uint64_t(only_index)) continue;
      ++n;
      if (t.has_hash && revoked.count(t.hash_hex())) { ++row.revoked; continue; }
      TestOutcome o = runner.run(t, mask);
      if (o.passed) { ++row.passed; continue; }
      ++row.failed;
      failing.push_back(t.index);
      const KnownFailure* k = known.find(upper(stem), t.index);
      if (k) {
        ++k->hits;
        ++row.known;
        if (verbose) print_failure(stem, t, o);
      } else {
        if (unexpected < details || verbose) print_failure(stem, t, o);
        ++unexpected;
      }
    }
    total_known += row.known;
    if (emit_known && !failing.empty()) {
      std::string idx;
      for (uint32_t i : failing) idx += (idx.empty() ? "" : ",") + std::to_string(i);
      fmt::print("EMIT {} {} — <reason>\n", upper(stem), idx);
    }
    rows.push_back(std::move(row));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  fmt::print("\n{:<7} {:<9} {:>13} {:>7}\n", "opcode", "mnemonic", "passed/total", "pct");
  uint32_t passed = 0, failed = 0, revoked_n = 0;
  for (const OpcodeRow& r : rows) {
    uint32_t total = r.passed + r.failed;
    fmt::print("{:<7} {:<9} {:>13} {:>6.1f}%{}\n", r.stem, r.mnemonic,
               fmt::format("{}/{}", r.passed, total), total ? 100.0 * r.passed / total : 100.0,
               r.known ? fmt::format("  ({} known)", r.known) : "");
    passed += r.passed;
    failed += r.failed;
    revoked_n += r.revoked;
  }
  uint32_t total = passed + failed;
  fmt::print("\ntotal   {}/{} tests passed ({:.2f}%) in {} files, {:.1f} s; {} expected failures "
             "(KNOWN_FAILURES.md), {} unexpected; {} revoked tests skipped\n",
             passed, total, total ? 100.0 * passed / total : 100.0, rows.size(), secs, total_known,
             unexpected, revoked_n);
  for (const KnownFailure& k : known.entries())
    if (k.hits == 0 && (only.empty() || upper(k.opcode).rfind(upper(only), 0) == 0) && !limit)
      fmt::print("note: KNOWN_FAILURES.md line {} ({} ...) matched no failure: now passing?\n",
                 k.line, k.opcode);
  if (unexpected)
    fmt::print("{} failures are not in KNOWN_FAILURES.md (first {} shown above)\n", unexpected,
               std::min(unexpected, details));
  fmt::print("{} passed, {} failed\n", passed, failed);
  return unexpected ? 1 : 0;
}
