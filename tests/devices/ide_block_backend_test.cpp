// Raw image back end of the IDE drives: pread/pwrite to the file, read-only and snapshot
// modes, and the setup errors (missing file, bad size) with what to do about them.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "devices/ide/block_backend.h"

using namespace vmlab::devices::ide;

namespace {
struct TempImage {
  std::string path;
  explicit TempImage(size_t bytes, uint8_t fill = 0) {
    char tmpl[] = "/tmp/vmlab_ide_XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    path = tmpl;
    std::vector<uint8_t> b(bytes, fill);
    REQUIRE(::write(fd, b.data(), b.size()) == ssize_t(b.size()));
    ::close(fd);
  }
  ~TempImage() { std::remove(path.c_str()); }
  std::vector<uint8_t> bytes() const {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
};
std::string error_of(const std::string& path, const BackendOptions& o) {
  try {
    BlockBackend::open(path, o);
  } catch (const BackendError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("ide_backend_writes_reach_the_file_at_once_and_reads_come_from_it") {
  TempImage img(8 * 512, 0x11);
  auto b = BlockBackend::open(img.path, {});
  CHECK(b->sectors() == 8);
  std::vector<uint8_t> s(1024, 0xAB);
  REQUIRE(b->write(3, 2, s.data()));
  auto file = img.bytes();  // another reader sees the data without any flush
  CHECK(file[3 * 512] == 0xAB);
  CHECK(file[5 * 512 - 1] == 0xAB);
  CHECK(file[5 * 512] == 0x11);
  std::vector<uint8_t> r(512);
  REQUIRE(b->read(4, 1, r.data()));
  CHECK(r[0] == 0xAB);
  CHECK(b->flush());
  CHECK_FALSE(b->read(7, 2, r.data()));  // past the end
  CHECK_FALSE(b->write(8, 1, s.data()));
  CHECK_FALSE(b->read(~0ull, 1, r.data()));
}

TEST_CASE("ide_backend_read_only_refuses_writes_and_snapshot_keeps_the_file_unchanged") {
  TempImage img(4 * 512, 0x22);
  std::vector<uint8_t> s(512, 0x99), r(512);
  auto ro = BlockBackend::open(img.path, {.read_only = true});
  CHECK_FALSE(ro->write(0, 1, s.data()));
  auto snap = BlockBackend::open(img.path, {.snapshot = true});
  REQUIRE(snap->write(1, 1, s.data()));
  REQUIRE(snap->read(0, 3, std::vector<uint8_t>(1536).data()));
  REQUIRE(snap->read(1, 1, r.data()));
  CHECK(r[0] == 0x99);  // the guest sees its write
  REQUIRE(snap->read(2, 1, r.data()));
  CHECK(r[0] == 0x22);
  CHECK(img.bytes()[512] == 0x22);  // the file does not
}

TEST_CASE("ide_backend_setup_errors_say_what_to_do") {
  CHECK(error_of("/nonexistent/dir/disk.img", {}).find("truncate -s") != std::string::npos);
  TempImage odd(1000);
  CHECK(error_of(odd.path, {}).find("truncate -s %512") != std::string::npos);
  TempImage not_cd(512 * 3);
  CHECK(error_of(not_cd.path, {.granularity = 2048}).find("%2048") != std::string::npos);
  TempImage empty(0);
  CHECK(error_of(empty.path, {}).find("empty") != std::string::npos);
  CHECK(error_of("/tmp", {}).find("not a regular file") != std::string::npos);
}
