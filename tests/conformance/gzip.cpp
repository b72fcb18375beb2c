// Gzip decompression with zlib's inflate (windowBits 16+MAX_WBITS selects the gzip wrapper).
#include "tests/conformance/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace vmlab::conformance {

std::string gunzip(std::span<const uint8_t> in, std::vector<uint8_t>& out, size_t max_out) {
  out.clear();
  if (in.empty()) return "empty gzip input";
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return "zlib inflateInit2 failed";
  // zlib takes non-const input pointers but does not write through them.
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  if (in.size() > UINT32_MAX) { inflateEnd(&zs); return "gzip input too large"; }
  out.resize(std::min(max_out, std::max<size_t>(in.size() * 4, 1 << 16)));
  size_t produced = 0;
  std::string err;
  for (;;) {
    if (produced == out.size()) {
      if (out.size() >= max_out) { err = "decompressed size exceeds limit"; break; }
      out.resize(std::min(max_out, out.size() * 2));
    }
    size_t room = std::min<size_t>(out.size() - produced, UINT32_MAX);
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    produced += room - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (gzip allows concatenation).
      if (inflateReset(&zs) != Z_OK) { err = "zlib inflateReset failed"; break; }
      continue;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
      if (zs.avail_out == 0) continue;  // output full: grow and go on
      // Input used up with the stream not finished.
      if (zs.avail_in == 0) { err = "truncated gzip stream"; break; }
      if (rc == Z_OK) continue;
    }
    err = std::string("corrupt gzip stream: ") + (zs.msg ? zs.msg : "inflate error");
    break;
  }
  inflateEnd(&zs);
  if (!err.empty()) { out.clear(); return err; }
  out.resize(produced);
  return {};
}

std::string read_file_bytes(const std::string& path, std::vector<uint8_t>& out) {
  out.clear();
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return "cannot open " + path + ": " + std::strerror(errno);
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) out.insert(out.end(), buf, buf + n);
  if (std::ferror(f.get())) return "read error on " + path;
  return {};
}

std::string read_gzip_file(const std::string& path, std::vector<uint8_t>& out) {
  std::vector<uint8_t> compressed;
  if (std::string err = read_file_bytes(path, compressed); !err.empty()) return err;
  if (std::string err = gunzip(compressed, out); !err.empty()) return path + ": " + err;
  return {};
}

}  // namespace vmlab::conformance
