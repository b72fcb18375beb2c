// Rng: a small deterministic generator (splitmix64) for the fuzzers. The same seed gives the
// same stream on every host, so a failing page is reproduced from (seed, mode, page) alone.
//
//   Rng r(Rng::mix(seed, mode, page));
//   uint8_t b = r.byte();
//   if (r.chance(10)) ...       // 10 percent
#pragma once
#include <cstdint>
#include <initializer_list>

namespace vmlab::fuzz {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  static uint64_t mix(uint64_t a, uint64_t b, uint64_t c) {
    Rng r(a ^ (b * 0x9E3779B97F4A7C15ull) ^ (c * 0xC2B2AE3D27D4EB4Full));
    r.next();
    return r.next();
  }
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  uint32_t u32() { return static_cast<uint32_t>(next() >> 32); }
  uint16_t u16() { return static_cast<uint16_t>(next() >> 48); }
  uint8_t byte() { return static_cast<uint8_t>(next() >> 56); }
  uint32_t below(uint32_t n) { return n ? static_cast<uint32_t>((next() >> 32) % n) : 0; }
  bool chance(uint32_t percent) { return below(100) < percent; }
  template <typename T, unsigned N> T pick(const T (&arr)[N]) { return arr[below(N)]; }
  template <typename T> T pick(std::initializer_list<T> l) {
    return l.begin()[below(static_cast<uint32_t>(l.size()))];
  }

 private:
  uint64_t state_;
};

}  // namespace vmlab::fuzz
