// GDB remote serial protocol framing (GDB manual, "Overview" of the remote protocol):
// `$payload#cc` with a two-hex-digit modulo-256 checksum, acknowledged by `+` / `-`; `}` escapes
// the next byte (XOR 0x20); a lone 0x03 byte outside a packet is an interrupt (Ctrl-C).
//
//   GdbPacketReader r;
//   for (const GdbInput& in : r.feed(bytes, n)) { ... in.kind == GdbInput::Packet ... }
//   std::string wire = gdb_frame("OK");          // "$OK#9a"
//
// The reader is a byte-at-a-time state machine, so packets may arrive split across reads or
// several in one read. Anything malformed is reported, never trusted: a bad checksum gives
// BadPacket (the stub answers `-`), an overlong packet is dropped whole.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vmlab::ui::gdb {

struct GdbInput {
  enum Kind : uint8_t { Packet, BadPacket, Interrupt, Ack, Nack } kind = Packet;
  std::string payload;  // unescaped; Packet only
};

class GdbPacketReader {
 public:
  // Longest payload accepted (what qSupported advertises as PacketSize).
  static constexpr size_t kMaxPayload = 16384;

  std::vector<GdbInput> feed(const uint8_t* data, size_t n);

 private:
  enum class State : uint8_t { Idle, Payload, Escape, Check1, Check2 };
  State state_ = State::Idle;
  std::string payload_;
  uint8_t sum_ = 0;
  uint8_t check_ = 0;
  bool overlong_ = false;
};

// `$<escaped payload>#<checksum>`: escapes $ # } and * as the protocol requires.
std::string gdb_frame(const std::string& payload);

// Hex helpers for register and memory contents (lower-case, two digits a byte).
std::string to_hex(const uint8_t* p, size_t n);
// Parses exactly 2*n hex digits into out; false on any non-hex digit or wrong length.
bool from_hex(const std::string& s, std::vector<uint8_t>& out);
// Parses a hex number (no 0x); false if empty, not hex or longer than 16 digits.
bool parse_hex_u64(const std::string& s, uint64_t& v);

}  // namespace vmlab::ui::gdb
