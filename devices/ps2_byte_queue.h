// Ps2ByteQueue: the small FIFO a PS/2 device (keyboard, mouse) keeps for bytes it has to send to
// the i8042. Plain data so it can sit in a device's State. Real devices have a small buffer and
// drop (keyboards send an overrun code) when it is full; here a push onto a full queue is
// dropped and reported to the caller, so guest traffic can never grow memory.
//
//   Ps2ByteQueue q;
//   q.push(0xFA);
//   if (!q.empty()) uint8_t b = q.pop();
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace vmlab::devices {

struct Ps2ByteQueue {
  static constexpr size_t kCapacity = 32;
  std::array<uint8_t, kCapacity> data{};  // ring buffer
  uint8_t head = 0;                       // index of the oldest byte
  uint8_t count = 0;                      // bytes held, <= kCapacity

  bool empty() const { return count == 0; }
  size_t size() const { return count; }
  size_t room() const { return kCapacity - count; }
  // False (and nothing stored) when full.
  bool push(uint8_t b) {
    if (count >= kCapacity) return false;
    data[(head + count) % kCapacity] = b;
    ++count;
    return true;
  }
  // Precondition: !empty(); an empty pop returns 0 rather than reading stale data.
  uint8_t pop() {
    if (count == 0) return 0;
    uint8_t b = data[head];
    head = uint8_t((head + 1) % kCapacity);
    --count;
    return b;
  }
  void clear() { head = 0; count = 0; data.fill(0); }
  // Restored snapshots come from outside: clamp to something a queue can hold.
  void sanitize() {
    if (count > kCapacity) count = kCapacity;
    head = uint8_t(head % kCapacity);
  }
  bool operator==(const Ps2ByteQueue&) const = default;
};

}  // namespace vmlab::devices
