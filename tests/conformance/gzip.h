// Gzip decompression of whole files (zlib), with a cap on the output size so a corrupted or
// hostile file cannot exhaust memory.
//
//   std::vector<uint8_t> out;
//   std::string err = gunzip(compressed, out);   // empty string = success
//   std::string err2 = read_gzip_file("tests/00.MOO.gz", out);
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vmlab::conformance {

inline constexpr size_t kMaxGunzipBytes = size_t(512) << 20;

// Decompresses a complete gzip stream (concatenated members are accepted). Returns an error
// message for corrupt, truncated or oversized input; `out` is then unspecified.
std::string gunzip(std::span<const uint8_t> in, std::vector<uint8_t>& out,
                   size_t max_out = kMaxGunzipBytes);

// Reads the whole file at `path` into `out` (no decompression).
std::string read_file_bytes(const std::string& path, std::vector<uint8_t>& out);

// read_file_bytes + gunzip.
std::string read_gzip_file(const std::string& path, std::vector<uint8_t>& out);

}  // namespace vmlab::conformance
