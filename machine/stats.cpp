// Stats: counter registry, table and JSON output (see stats.h).
#include "machine/stats.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>

namespace vmlab::machine {

void Stats::counter(std::string name, const uint64_t* value) {
  entries_.push_back(Entry{std::move(name), value, {}, {}, {}});
}
void Stats::gauge(std::string name, std::function<double()> fn) {
  entries_.push_back(Entry{std::move(name), nullptr, {}, std::move(fn), {}});
}
void Stats::counter_fn(std::string name, std::function<uint64_t()> fn) {
  entries_.push_back(Entry{std::move(name), nullptr, std::move(fn), {}, {}});
}
void Stats::dynamic(std::function<void(std::vector<StatValue>&)> fn) {
  entries_.push_back(Entry{{}, nullptr, {}, {}, std::move(fn)});
}

std::vector<StatValue> Stats::snapshot() const {
  std::vector<StatValue> out;
  for (const Entry& e : entries_) {
    if (e.group_fn) e.group_fn(out);
    else if (e.ptr) out.push_back(StatValue{e.name, *e.ptr, 0, false});
    else if (e.count_fn) out.push_back(StatValue{e.name, e.count_fn(), 0, false});
    else if (e.real_fn) out.push_back(StatValue{e.name, 0, e.real_fn(), true});
  }
  return out;
}

std::string Stats::table() const {
  auto values = snapshot();
  size_t name_w = 0, val_w = 0;
  std::vector<std::string> text;
  for (const auto& v : values) {
    name_w = std::max(name_w, v.name.size());
    text.push_back(v.is_real ? fmt::format("{:.3f}", v.real) : fmt::format("{}", v.count));
    val_w = std::max(val_w, text.back().size());
  }
  std::string out;
  for (size_t i = 0; i < values.size(); ++i)
    out += fmt::format("  {:<{}}  {:>{}}\n", values[i].name, name_w, text[i], val_w);
  return out;
}

nlohmann::ordered_json Stats::json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& v : snapshot()) {
    if (v.is_real) j[v.name] = v.real;
    else j[v.name] = v.count;
  }
  return j;
}

bool Stats::write_json(const std::string& path, std::string& error) const {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) {
    error = fmt::format("cannot write stats file '{}': {}", tmp, std::strerror(errno));
    return false;
  }
  std::string text = json().dump(2) + "\n";
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = fmt::format("cannot write stats file '{}': {}", path, std::strerror(errno));
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace vmlab::machine
