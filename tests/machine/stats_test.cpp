// Stats: values are read at snapshot time; table alignment; JSON content and file output.
#include "machine/stats.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace vmlab::machine;

TEST_CASE("stats_reads_counters_when_snapshotted") {
  uint64_t insns = 5;
  Stats st;
  st.counter("cpu.instructions", &insns);
  st.gauge("run.seconds", [] { return 1.5; });
  st.dynamic([](std::vector<StatValue>& out) {
    out.push_back(StatValue{"io.port.0x3f8.writes", 7, 0, false});
  });
  insns = 42;
  auto v = st.snapshot();
  REQUIRE(v.size() == 3);
  CHECK(v[0].count == 42);
  CHECK(v[1].is_real);
  CHECK(v[1].real == doctest::Approx(1.5));
  CHECK(v[2].name == "io.port.0x3f8.writes");
}

TEST_CASE("stats_table_aligns_names_and_numbers") {
  uint64_t a = 1, b = 123456;
  Stats st;
  st.counter("short", &a);
  st.counter("a.much.longer.name", &b);
  std::string t = st.table();
  std::istringstream in(t);
  std::string l1, l2;
  std::getline(in, l1);
  std::getline(in, l2);
  CHECK(l1.size() == l2.size());
  CHECK(l1.substr(l1.size() - 1) == "1");
  CHECK(l2.find("123456") != std::string::npos);
}

TEST_CASE("stats_json_file_round_trips") {
  uint64_t a = 99;
  Stats st;
  st.counter("tlb.misses", &a);
  st.gauge("guest.mips", [] { return 12.25; });
  std::string path = "vmlab_stats_test.json", err;
  REQUIRE(st.write_json(path, err));
  std::ifstream f(path);
  auto j = nlohmann::json::parse(f);
  CHECK(j["tlb.misses"] == 99);
  CHECK(j["guest.mips"].get<double>() == doctest::Approx(12.25));
  std::remove(path.c_str());
  CHECK_FALSE(st.write_json("/nonexistent-dir/x.json", err));
  CHECK(err.find("/nonexistent-dir") != std::string::npos);
}
