// TableBytes: builds a little-endian binary table (ACPI, MP, E820) field by field, with the
// byte checksum these tables share (all bytes of the range sum to 0 mod 256).
//
//   TableBytes t;
//   t.str("PCMP", 4); t.u16(0); t.u8(4); size_t sum_at = t.size(); t.u8(0);
//   t.put_u16(4, uint16_t(t.size()));   // patch the length once known
//   t.fix_checksum(0, t.size(), sum_at);
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace vmlab::firmware {

class TableBytes {
 public:
  void u8(uint8_t v) { b_.push_back(v); }
  void u16(uint16_t v) { for (int i = 0; i < 2; ++i) b_.push_back(uint8_t(v >> (8 * i))); }
  void u32(uint32_t v) { for (int i = 0; i < 4; ++i) b_.push_back(uint8_t(v >> (8 * i))); }
  void u64(uint64_t v) { for (int i = 0; i < 8; ++i) b_.push_back(uint8_t(v >> (8 * i))); }
  // Exactly `width` bytes: the text, padded with `pad` (ACPI/MP ids are space or NUL padded).
  void str(std::string_view s, size_t width, char pad = ' ') {
    for (size_t i = 0; i < width; ++i) b_.push_back(uint8_t(i < s.size() ? s[i] : pad));
  }
  void zeros(size_t n) { b_.insert(b_.end(), n, 0); }
  void align(size_t a) { while (b_.size() % a) b_.push_back(0); }
  void append(const std::vector<uint8_t>& v) { b_.insert(b_.end(), v.begin(), v.end()); }

  void put_u16(size_t at, uint16_t v) { for (int i = 0; i < 2; ++i) b_.at(at + i) = uint8_t(v >> (8 * i)); }
  void put_u32(size_t at, uint32_t v) { for (int i = 0; i < 4; ++i) b_.at(at + i) = uint8_t(v >> (8 * i)); }
  // Sets the byte at `sum_at` (inside [begin, end)) so the range sums to zero.
  void fix_checksum(size_t begin, size_t end, size_t sum_at) {
    b_.at(sum_at) = 0;
    b_.at(sum_at) = uint8_t(0x100 - checksum(b_, begin, end));
  }

  size_t size() const { return b_.size(); }
  const std::vector<uint8_t>& bytes() const { return b_; }
  std::vector<uint8_t> take() { return std::move(b_); }

  // Sum of bytes [begin, end) mod 256 (0 for a valid table).
  static uint8_t checksum(const std::vector<uint8_t>& v, size_t begin, size_t end) {
    unsigned sum = 0;
    for (size_t i = begin; i < end && i < v.size(); ++i) sum += v[i];
    return uint8_t(sum);
  }

 private:
  std::vector<uint8_t> b_;
};

}  // namespace vmlab::firmware
