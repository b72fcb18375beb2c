// -hda/-cdrom/-drive/-snapshot (see drive_options.h).
#include "ui/drive_options.h"

#include <fmt/format.h>

namespace vmlab::ui {

namespace {
// QEMU's option syntax: key=value pairs separated by commas; ",," is a literal comma.
std::vector<std::string> split_options(const std::string& text) {
  std::vector<std::string> parts(1);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',') {
      if (i + 1 < text.size() && text[i + 1] == ',') { parts.back() += ','; ++i; continue; }
      parts.emplace_back();
      continue;
    }
    parts.back() += text[i];
  }
  return parts;
}

bool on_off(const std::string& text, const std::string& key, const std::string& v) {
  if (v == "on" || v == "yes" || v == "true") return true;
  if (v == "off" || v == "no" || v == "false") return false;
  throw std::invalid_argument(fmt::format("-drive '{}': {}={} must be on or off", text, key, v));
}
}  // namespace

machine::DriveConfig parse_drive(const std::string& text, bool* has_index) {
  machine::DriveConfig d;
  *has_index = false;
  bool media_cdrom = false;
  for (const std::string& part : split_options(text)) {
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string::npos)
      throw std::invalid_argument(fmt::format("-drive '{}': '{}' is not key=value", text, part));
    const std::string key = part.substr(0, eq), v = part.substr(eq + 1);
    if (key == "file") {
      d.file = v;
    } else if (key == "index") {
      char* end = nullptr;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end || n > 3)
        throw std::invalid_argument(fmt::format("-drive '{}': index={} (IDE has indexes 0-3)", text, v));
      d.index = unsigned(n);
      *has_index = true;
    } else if (key == "media") {
      if (v != "disk" && v != "cdrom")
        throw std::invalid_argument(fmt::format("-drive '{}': media={} (use disk or cdrom)", text, v));
      media_cdrom = v == "cdrom";
    } else if (key == "format") {
      if (v != "raw")
        throw std::invalid_argument(fmt::format(
            "-drive '{}': format={} is not supported (only raw; convert with "
            "'qemu-img convert -O raw IN OUT.img')", text, v));
    } else if (key == "if") {
      if (v != "ide")
        throw std::invalid_argument(fmt::format("-drive '{}': if={} is not supported (only ide)", text, v));
    } else if (key == "readonly") {
      d.read_only = on_off(text, key, v);
    } else if (key == "snapshot") {
      d.snapshot = on_off(text, key, v);
    } else {
      throw std::invalid_argument(fmt::format(
          "-drive '{}': '{}' is not supported (vmlab knows file, index, media, format=raw, if=ide, "
          "readonly, snapshot)", text, key));
    }
  }
  d.cdrom = media_cdrom;
  if (d.file.empty() && !d.cdrom)
    throw std::invalid_argument(fmt::format("-drive '{}': a disk needs file=IMAGE", text));
  return d;
}

std::vector<machine::DriveConfig> collect_drives(const std::vector<DriveOption>& opts, bool snapshot) {
  std::vector<machine::DriveConfig> out;
  bool used[4] = {};
  std::vector<std::pair<machine::DriveConfig, bool>> parsed;
  for (const DriveOption& o : opts) {
    machine::DriveConfig d;
    bool has_index = true;
    if (o.kind == "drive") {
      d = parse_drive(o.value, &has_index);
    } else if (o.kind == "cdrom") {
      d.file = o.value;
      d.cdrom = true;
      d.index = 2;  // QEMU: -cdrom is the secondary master
    } else {
      d.file = o.value;
      d.index = unsigned(o.kind[2] - 'a');  // hda..hdd
    }
    if (o.value.empty() && o.kind != "drive")
      throw std::invalid_argument(fmt::format("-{}: give an image file", o.kind));
    parsed.push_back({d, has_index});
  }
  // Explicit indexes first, then the others take the lowest free ones (as QEMU assigns them).
  for (auto& [d, has_index] : parsed) {
    if (!has_index) continue;
    if (used[d.index])
      throw std::invalid_argument(fmt::format(
          "IDE index {} is given twice ('{}'); -hda..-hdd are indexes 0-3, -cdrom is 2", d.index, d.file));
    used[d.index] = true;
  }
  for (auto& [d, has_index] : parsed) {
    if (has_index) continue;
    unsigned i = 0;
    while (i < 4 && used[i]) ++i;
    if (i == 4)
      throw std::invalid_argument(fmt::format("-drive file={}: all four IDE places are taken", d.file));
    d.index = i;
    used[i] = true;
  }
  for (auto& [d, has_index] : parsed) {
    if (snapshot) d.snapshot = true;
    out.push_back(d);
  }
  return out;
}

}  // namespace vmlab::ui
