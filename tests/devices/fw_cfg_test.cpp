// QEMU fw_cfg traditional interface: the items firmware reads, the file directory, selector and
// offset behaviour, reset and save/restore, random port traffic.
#include "devices/fw_cfg.h"

#include <doctest/doctest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace vmlab::devices;

namespace {

// What firmware does: select with a 16-bit OUT to 0x510, then INB from 0x511 n times.
std::vector<uint8_t> read_item(FwCfg& cfg, uint16_t key, size_t n) {
  cfg.write(0, 2, key);
  std::vector<uint8_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(uint8_t(cfg.read(1, 1)));
  return out;
}

uint64_t le(const std::vector<uint8_t>& b) {
  uint64_t v = 0;
  for (size_t i = b.size(); i-- > 0;) v = (v << 8) | b[i];
  return v;
}

uint32_t be(const uint8_t* p, unsigned n) {
  uint32_t v = 0;
  for (unsigned i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

TEST_CASE("fw_cfg_signature_reads_QEMU") {
  FwCfg cfg(64 << 20, 1);
  auto sig = read_item(cfg, FwCfg::kSignature, 4);
  CHECK(std::string(sig.begin(), sig.end()) == "QEMU");
}

TEST_CASE("fw_cfg_fresh_device_has_the_signature_selected") {
  FwCfg cfg(64 << 20, 1);
  CHECK(cfg.read(1, 1) == 'Q');
  CHECK(cfg.read(1, 1) == 'E');
}

TEST_CASE("fw_cfg_id_reports_traditional_interface_without_dma") {
  FwCfg cfg(64 << 20, 1);
  CHECK(le(read_item(cfg, FwCfg::kId, 4)) == 1);
}

TEST_CASE("fw_cfg_ram_size_and_cpu_counts_are_little_endian") {
  FwCfg cfg(0x1'2345'6000ull, 3);
  auto ram = read_item(cfg, FwCfg::kRamSize, 8);
  CHECK(ram == std::vector<uint8_t>{0x00, 0x60, 0x45, 0x23, 0x01, 0, 0, 0});
  CHECK(le(read_item(cfg, FwCfg::kNbCpus, 2)) == 3);
  CHECK(le(read_item(cfg, FwCfg::kMaxCpus, 2)) == 3);
}

TEST_CASE("fw_cfg_file_directory_lists_files_big_endian_and_files_read_by_selector") {
  FwCfg cfg(64 << 20, 1);
  CHECK(be(read_item(cfg, FwCfg::kFileDir, 4).data(), 4) == 0);  // empty directory
  uint16_t a = cfg.add_file("etc/acpi/tables", {1, 2, 3, 4, 5});
  uint16_t b = cfg.add_file("etc/table-loader", std::vector<uint8_t>(300, 0xAB));
  CHECK(a == 0x0020);
  CHECK(b == 0x0021);
  auto dir = read_item(cfg, FwCfg::kFileDir, 4 + 2 * 64);
  REQUIRE(dir.size() == 132);
  CHECK(be(&dir[0], 4) == 2);
  CHECK(be(&dir[4], 4) == 5);
  CHECK(be(&dir[8], 2) == 0x0020);
  CHECK(be(&dir[10], 2) == 0);
  CHECK(std::string(reinterpret_cast<const char*>(&dir[12])) == "etc/acpi/tables");
  CHECK(dir[12 + 55] == 0);
  CHECK(be(&dir[68], 4) == 300);
  CHECK(be(&dir[72], 2) == 0x0021);
  CHECK(std::string(reinterpret_cast<const char*>(&dir[76])) == "etc/table-loader");
  // The directory ends there: one more byte reads zero.
  CHECK(cfg.read(1, 1) == 0);
  // Look the file up the way SeaBIOS does: by the selector found in the directory.
  CHECK(read_item(cfg, uint16_t(be(&dir[8], 2)), 5) == std::vector<uint8_t>{1, 2, 3, 4, 5});
  auto big = read_item(cfg, 0x0021, 300);
  CHECK(big == std::vector<uint8_t>(300, 0xAB));
}

TEST_CASE("fw_cfg_add_file_rejects_bad_names_and_set_rejects_file_keys") {
  FwCfg cfg(64 << 20, 1);
  cfg.add_file("opt/x", {1});
  CHECK_THROWS_AS(cfg.add_file("opt/x", {2}), std::invalid_argument);
  CHECK_THROWS_AS(cfg.add_file("", {2}), std::invalid_argument);
  CHECK_THROWS_AS(cfg.add_file(std::string(56, 'n'), {2}), std::invalid_argument);
  CHECK_NOTHROW(cfg.add_file(std::string(55, 'n'), {2}));
  CHECK_THROWS_AS(cfg.set_u32(FwCfg::kFileDir, 0), std::invalid_argument);
  CHECK_THROWS_AS(cfg.set_u32(0x0020, 0), std::invalid_argument);
  cfg.set_u32(0x8000, 0xDEADBEEF);  // an x86-specific key is fine
  CHECK(le(read_item(cfg, 0x8000, 4)) == 0xDEADBEEF);
}

TEST_CASE("fw_cfg_reads_past_the_end_return_zero_and_do_not_wrap") {
  FwCfg cfg(64 << 20, 1);
  auto v = read_item(cfg, FwCfg::kNbCpus, 6);
  CHECK(v == std::vector<uint8_t>{1, 0, 0, 0, 0, 0});
  CHECK(cfg.save().offset == 2);  // the offset stopped at the end
}

TEST_CASE("fw_cfg_unknown_selector_reads_zeros") {
  FwCfg cfg(64 << 20, 1);
  CHECK(read_item(cfg, 0x0002, 4) == std::vector<uint8_t>(4, 0));   // UUID: not published
  CHECK(read_item(cfg, 0x3FFF, 4) == std::vector<uint8_t>(4, 0));   // no such file
  CHECK(read_item(cfg, 0xFFFF, 4) == std::vector<uint8_t>(4, 0));
}

TEST_CASE("fw_cfg_selector_write_rewinds_the_offset") {
  FwCfg cfg(64 << 20, 1);
  read_item(cfg, FwCfg::kSignature, 3);
  CHECK(cfg.read(1, 1) == 'U');
  cfg.write(0, 2, FwCfg::kSignature);  // same selector again: starts over
  CHECK(cfg.read(1, 1) == 'Q');
}

TEST_CASE("fw_cfg_write_channel_bit_is_ignored_in_the_selector") {
  FwCfg cfg(64 << 20, 1);
  CHECK(read_item(cfg, FwCfg::kWriteChannel | FwCfg::kSignature, 1)[0] == 'Q');
}

TEST_CASE("fw_cfg_data_writes_are_ignored") {
  FwCfg cfg(64 << 20, 1);
  cfg.write(0, 2, FwCfg::kSignature);
  cfg.write(1, 1, 0x55);
  cfg.write(0, 1, 0x05);  // a byte write cannot select
  CHECK(cfg.ignored_writes() == 2);
  CHECK(cfg.read(1, 1) == 'Q');
}

TEST_CASE("fw_cfg_wide_reads_return_consecutive_bytes") {
  FwCfg cfg(64 << 20, 1);
  cfg.write(0, 2, FwCfg::kSignature);
  CHECK(cfg.read(1, 2) == uint32_t('Q' | ('E' << 8)));
  CHECK(cfg.read(0, 1) == 'M');  // QEMU's combined port: a byte read at 0x510 reads data too
}

TEST_CASE("fw_cfg_fresh_equals_reset") {
  FwCfg fresh(64 << 20, 2), used(64 << 20, 2);
  read_item(used, FwCfg::kRamSize, 5);
  CHECK_FALSE(used.save() == fresh.save());
  used.reset();
  CHECK(used.save() == fresh.save());
  CHECK(used.read(1, 1) == 'Q');
}

TEST_CASE("fw_cfg_save_restore_round_trip_continues_the_stream") {
  FwCfg a(64 << 20, 1), b(64 << 20, 1);
  a.add_file("f", {9, 8, 7, 6});
  b.add_file("f", {9, 8, 7, 6});
  read_item(a, 0x0020, 2);
  b.restore(a.save());
  CHECK(b.save() == a.save());
  CHECK(b.read(1, 1) == 7);
  CHECK(a.read(1, 1) == 7);
}

TEST_CASE("fw_cfg_restore_clamps_an_offset_past_the_item_end") {
  FwCfg cfg(64 << 20, 1);
  cfg.restore(FwCfg::State{FwCfg::kSignature, 1000});
  CHECK(cfg.save().offset == 4);
  CHECK(cfg.read(1, 1) == 0);
  cfg.restore(FwCfg::State{0x1234, 7});  // no such item: size 0
  CHECK(cfg.save().offset == 0);
}

TEST_CASE("fw_cfg_two_instances_are_independent") {
  FwCfg a(64 << 20, 1), b(128 << 20, 4);
  a.add_file("only/a", {1});
  CHECK(le(read_item(a, FwCfg::kNbCpus, 2)) == 1);
  CHECK(le(read_item(b, FwCfg::kNbCpus, 2)) == 4);
  CHECK(be(read_item(b, FwCfg::kFileDir, 4).data(), 4) == 0);
}

TEST_CASE("fw_cfg_random_port_traffic_keeps_the_offset_within_the_item") {
  std::mt19937 rng(0xF00C);
  FwCfg cfg(64 << 20, 2);
  cfg.add_file("etc/x", std::vector<uint8_t>(70, 0x11));
  const unsigned widths[] = {1, 2, 4};
  for (int i = 0; i < 20000; ++i) {
    uint64_t off = rng() % 2;
    unsigned w = widths[rng() % 3];
    if (rng() % 3 == 0) {
      uint16_t sel = (rng() % 2) ? uint16_t(rng() % 0x30) : uint16_t(rng());
      cfg.write(off, w, sel);
    } else {
      uint32_t v = cfg.read(off, w);
      if (w < 4) CHECK(v < (1u << (8 * w)));
    }
    auto s = cfg.save();
    FwCfg probe(64 << 20, 2);
    probe.add_file("etc/x", std::vector<uint8_t>(70, 0x11));
    probe.restore(s);
    CHECK(probe.save() == s);  // the live offset is always a valid one
  }
}
