// Per-opcode metadata of the SingleStepTests suite (metadata.json): which FLAGS bits an opcode
// leaves undefined (`flags-mask`, applied to both sides before comparing) and its status.
//
//   OpcodeMetadata meta;
//   if (std::string err = meta.load(dir + "/metadata.json"); !err.empty()) die(err);
//   uint16_t mask = meta.flags_mask("F6.6");   // 0xFFFF when nothing is undefined
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace vmlab::conformance {

class OpcodeMetadata {
 public:
  // Returns "" on success, else an error message.
  std::string load(const std::string& path);
  std::string parse(const std::string& json_text);

  // `key` is a file stem: "00", "F6.6" (opcode F6, ModRM.reg 6).
  uint16_t flags_mask(const std::string& key) const;
  std::string status(const std::string& key) const;  // "normal", "alias", "undefined", ...

 private:
  struct Entry { uint16_t flags_mask = 0xFFFF; std::string status; };
  std::map<std::string, Entry> entries_;
};

}  // namespace vmlab::conformance
