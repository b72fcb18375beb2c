// ByteReader: a bounds-checked little-endian cursor over a byte span, for parsing untrusted
// files (MOO test vectors). Every read reports failure instead of running past the end, so a
// truncated or corrupted file gives an error message, never an out-of-bounds read.
//
//   ByteReader r(bytes);
//   uint32_t len;
//   if (!r.u32(len) || !r.skip(len)) return error("truncated");
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace vmlab::conformance {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes, size_t base_offset = 0)
      : bytes_(bytes), base_(base_offset) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  // Offset of the cursor in the whole file (for error messages).
  size_t file_offset() const { return base_ + pos_; }

  bool u8(uint8_t& out) { return read_le(out); }
  bool u16(uint16_t& out) { return read_le(out); }
  bool u32(uint32_t& out) { return read_le(out); }
  bool u64(uint64_t& out) { return read_le(out); }

  // The next `n` bytes as a sub-span; false (cursor unchanged) when fewer remain.
  bool bytes(size_t n, std::span<const uint8_t>& out) {
    if (n > remaining()) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    std::span<const uint8_t> ignored;
    return bytes(n, ignored);
  }
  bool text(size_t n, std::string& out) {
    std::span<const uint8_t> b;
    if (!bytes(n, b)) return false;
    out.assign(b.begin(), b.end());
    return true;
  }

 private:
  template <typename T> bool read_le(T& out) {
    if (sizeof(T) > remaining()) return false;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= T(T(bytes_[pos_ + i]) << (8 * i));
    out = v;
    pos_ += sizeof(T);
    return true;
  }

  std::span<const uint8_t> bytes_;
  size_t base_ = 0;
  size_t pos_ = 0;
};

}  // namespace vmlab::conformance
