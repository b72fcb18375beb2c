// metadata.json layout: {"opcodes": {"08": {"status": ..., "flags-mask": 65519}, "F6": {"reg":
// {"6": {...}}}}}. Group opcodes are flattened here to "F6.6" keys, the file-name convention.
#include "tests/conformance/opcode_metadata.h"

#include <nlohmann/json.hpp>

#include "tests/conformance/gzip.h"

namespace vmlab::conformance {

std::string OpcodeMetadata::load(const std::string& path) {
  std::vector<uint8_t> bytes;
  if (std::string err = read_file_bytes(path, bytes); !err.empty()) return err;
  std::string err = parse(std::string(bytes.begin(), bytes.end()));
  return err.empty() ? err : path + ": " + err;
}

std::string OpcodeMetadata::parse(const std::string& json_text) {
  entries_.clear();
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "not valid JSON";
  if (!j.is_object() || !j.contains("opcodes") || !j["opcodes"].is_object())
    return "no \"opcodes\" object";
  auto read_entry = [](const nlohmann::json& o) {
    Entry e;
    if (auto it = o.find("flags-mask"); it != o.end() && it->is_number_unsigned())
      e.flags_mask = static_cast<uint16_t>(it->get<uint64_t>());
    if (auto it = o.find("status"); it != o.end() && it->is_string()) e.status = *it;
    return e;
  };
  for (const auto& [op, o] : j["opcodes"].items()) {
    if (!o.is_object()) continue;
    if (auto reg = o.find("reg"); reg != o.end() && reg->is_object()) {
      for (const auto& [r, ro] : reg->items())
        if (ro.is_object()) entries_[op + "." + r] = read_entry(ro);
    } else {
      entries_[op] = read_entry(o);
    }
  }
  return {};
}

uint16_t OpcodeMetadata::flags_mask(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0xFFFF : it->second.flags_mask;
}

std::string OpcodeMetadata::status(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? std::string() : it->second.status;
}

}  // namespace vmlab::conformance
