// KnownFailures: the machine-readable list of conformance tests expected to fail, each with its
// reason (tests/conformance/KNOWN_FAILURES.md). One entry per line:
//
//   XX[.N] <index | index,index,... | *> — reason
//
// e.g. `0F * — 286 LOADALL/protected-mode group; not in the real-mode set` or
// `F6.6 12,377 — divide error pushes ...`. Any line whose first word looks like an opcode
// ("9C", "F6.6") must be a well-formed entry; other lines (prose, headings, fences) are ignored.
//
//   KnownFailures kf;
//   if (std::string err = kf.load(path); !err.empty()) die(err);
//   if (const KnownFailure* k = kf.find("F6.6", 12)) ... k->reason ...
#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace vmlab::conformance {

struct KnownFailure {
  std::string opcode;            // file stem, "F6.6"
  bool all = false;              // `*`: every test of the opcode
  std::set<uint32_t> indices;    // test indices when !all
  std::string reason;
  int line = 0;
  mutable uint32_t hits = 0;     // failures matched during this run (reports stale entries)
};

class KnownFailures {
 public:
  std::string load(const std::string& path);   // "" on success
  std::string parse(const std::string& text);  // "" on success
  const KnownFailure* find(const std::string& opcode, uint32_t index) const;
  const std::vector<KnownFailure>& entries() const { return entries_; }

 private:
  std::vector<KnownFailure> entries_;
};

}  // namespace vmlab::conformance
