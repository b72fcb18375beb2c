// Parsing of KNOWN_FAILURES.md. Strict about entry lines (a typo must not silently turn an
// expected failure into an unexpected one, or hide a whole opcode), lenient about prose.
#include "tests/conformance/known_failures.h"

#include <fmt/format.h>

#include <cctype>
#include <sstream>

#include "tests/conformance/gzip.h"

namespace vmlab::conformance {
namespace {

bool is_hex2(const std::string& s, size_t at) {
  return s.size() >= at + 2 && std::isxdigit(static_cast<unsigned char>(s[at])) &&
         std::isxdigit(static_cast<unsigned char>(s[at + 1]));
}

// "XX" or "XX.N" with N in 0..7.
bool is_opcode_token(const std::string& t) {
  if (t.size() == 2) return is_hex2(t, 0);
  return t.size() == 4 && is_hex2(t, 0) && t[2] == '.' && t[3] >= '0' && t[3] <= '7';
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string parse_indices(const std::string& tok, KnownFailure& k) {
  if (tok == "*") { k.all = true; return {}; }
  std::stringstream ss(tok);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (part.empty() || part.size() > 9) return "bad test index '" + part + "'";
    for (char c : part)
      if (!std::isdigit(static_cast<unsigned char>(c))) return "bad test index '" + part + "'";
    k.indices.insert(static_cast<uint32_t>(std::stoul(part)));
  }
  if (k.indices.empty()) return "no test index";
  return {};
}

}  // namespace

std::string KnownFailures::load(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (std::string err = read_file_bytes(path, bytes); !err.empty()) return err;
  std::string err = parse(std::string(bytes.begin(), bytes.end()));
  return err.empty() ? err : path + ":" + err;
}

std::string KnownFailures::parse(const std::string& text) {
  entries_.clear();
  std::stringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::stringstream ls(line);
    std::string op, idx, dash;
    if (!(ls >> op) || !is_opcode_token(op)) continue;  // prose
    KnownFailure k;
    k.opcode = upper(op);
    k.line = n;
    if (!(ls >> idx)) return fmt::format("{}: entry '{}' has no test index or '*'", n, op);
    if (std::string e = parse_indices(idx, k); !e.empty()) return fmt::format("{}: {}", n, e);
    if (!(ls >> dash) || (dash != "—" && dash != "-" && dash != "--"))
      return fmt::format("{}: expected '— reason' after the test index", n);
    std::getline(ls, k.reason);
    size_t first = k.reason.find_first_not_of(" \t");
    k.reason = first == std::string::npos ? "" : k.reason.substr(first);
    if (k.reason.empty()) return fmt::format("{}: entry has no reason", n);
    entries_.push_back(std::move(k));
  }
  return {};
}

const KnownFailure* KnownFailures::find(const std::string& opcode, uint32_t index) const {
  for (const KnownFailure& k : entries_)
    if (k.opcode == opcode && (k.all || k.indices.count(index))) return &k;
  return nullptr;
}

}  // namespace vmlab::conformance
