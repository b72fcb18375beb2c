// Stats: the registry of counters the machine reports at exit, as an aligned table (--stats)
// and as JSON (--stats-json FILE). Counters stay in the plain structs that own them
// (CpuCounters, MmuCounters, BusStats); the registry holds pointers or callbacks, and reads
// them only when asked for a snapshot.
//
//   Stats st;
//   st.counter("cpu.instructions", &vcpu.counters.instructions);
//   st.gauge("run.seconds", [&] { return elapsed(); });
//   st.dynamic([&](std::vector<StatValue>& out) { ... one entry per I/O port seen ... });
//   fmt::print(stderr, "{}", st.table());
//   st.write_json("stats.json");
#pragma once
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vmlab::machine {

struct StatValue {
  std::string name;     // dotted: "cpu.exceptions.13", "io.port.0x3f8.writes"
  uint64_t count = 0;   // used when !is_real
  double real = 0;      // used when is_real
  bool is_real = false;
};

class Stats {
 public:
  void counter(std::string name, const uint64_t* value);
  void gauge(std::string name, std::function<double()> fn);
  void counter_fn(std::string name, std::function<uint64_t()> fn);
  // A group whose entries are only known at snapshot time (ports seen, non-zero vectors).
  void dynamic(std::function<void(std::vector<StatValue>&)> fn);

  // Every value, in registration order.
  std::vector<StatValue> snapshot() const;
  // "name .......... value" lines, names padded to one column, numbers right-aligned.
  std::string table() const;
  // {"name": value, ...} (flat, dotted names, registration order kept by nlohmann::ordered_json).
  nlohmann::ordered_json json() const;
  // Writes json() to `path` (atomically: a temporary file renamed into place). False + `error`.
  bool write_json(const std::string& path, std::string& error) const;

 private:
  struct Entry {
    std::string name;
    const uint64_t* ptr = nullptr;
    std::function<uint64_t()> count_fn;
    std::function<double()> real_fn;
    std::function<void(std::vector<StatValue>&)> group_fn;
  };
  std::vector<Entry> entries_;
};

}  // namespace vmlab::machine
