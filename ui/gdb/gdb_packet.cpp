// GDB remote protocol framing (see gdb_packet.h).
#include "ui/gdb/gdb_packet.h"

namespace vmlab::ui::gdb {

namespace {
int hex_digit(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::vector<GdbInput> GdbPacketReader::feed(const uint8_t* data, size_t n) {
  std::vector<GdbInput> out;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = data[i];
    switch (state_) {
      case State::Idle:
        if (c == '$') {
          state_ = State::Payload;
          payload_.clear();
          sum_ = 0;
          overlong_ = false;
        } else if (c == 0x03) {
          out.push_back({GdbInput::Interrupt, {}});
        } else if (c == '+') {
          out.push_back({GdbInput::Ack, {}});
        } else if (c == '-') {
          out.push_back({GdbInput::Nack, {}});
        }  // anything else between packets is line noise: ignored
        break;
      case State::Payload:
      case State::Escape:
        if (c == '#' && state_ == State::Payload) {
          state_ = State::Check1;
          break;
        }
        if (c == '$' && state_ == State::Payload) {  // a new packet restarts: the old one was cut
          out.push_back({GdbInput::BadPacket, {}});
          payload_.clear();
          sum_ = 0;
          overlong_ = false;
          break;
        }
        sum_ = uint8_t(sum_ + c);
        if (state_ == State::Payload && c == '}') {
          state_ = State::Escape;
          break;
        }
        if (payload_.size() < kMaxPayload) {
          payload_.push_back(char(state_ == State::Escape ? (c ^ 0x20) : c));
        } else {
          overlong_ = true;
        }
        state_ = State::Payload;
        break;
      case State::Check1: {
        const int d = hex_digit(c);
        check_ = uint8_t(d < 0 ? 0 : d << 4);
        if (d < 0) {
          out.push_back({GdbInput::BadPacket, {}});
          state_ = State::Idle;
        } else {
          state_ = State::Check2;
        }
        break;
      }
      case State::Check2: {
        const int d = hex_digit(c);
        state_ = State::Idle;
        if (d < 0 || uint8_t(check_ | d) != sum_ || overlong_) {
          out.push_back({GdbInput::BadPacket, {}});
        } else {
          out.push_back({GdbInput::Packet, std::move(payload_)});
        }
        payload_.clear();
        break;
      }
    }
  }
  return out;
}

std::string gdb_frame(const std::string& payload) {
  std::string s = "$";
  uint8_t sum = 0;
  for (char ch : payload) {
    const uint8_t c = uint8_t(ch);
    if (c == '$' || c == '#' || c == '}' || c == '*') {
      s.push_back('}');
      s.push_back(char(c ^ 0x20));
      sum = uint8_t(sum + '}' + (c ^ 0x20));
    } else {
      s.push_back(char(c));
      sum = uint8_t(sum + c);
    }
  }
  s.push_back('#');
  s.push_back(kHex[sum >> 4]);
  s.push_back(kHex[sum & 15]);
  return s;
}

std::string to_hex(const uint8_t* p, size_t n) {
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

bool from_hex(const std::string& s, std::vector<uint8_t>& out) {
  if (s.size() % 2) return false;
  out.clear();
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    const int hi = hex_digit(uint8_t(s[i])), lo = hex_digit(uint8_t(s[i + 1]));
    if (hi < 0 || lo < 0) return false;
    out.push_back(uint8_t(hi << 4 | lo));
  }
  return true;
}

bool parse_hex_u64(const std::string& s, uint64_t& v) {
  if (s.empty() || s.size() > 16) return false;
  v = 0;
  for (char ch : s) {
    const int d = hex_digit(uint8_t(ch));
    if (d < 0) return false;
    v = v << 4 | uint64_t(d);
  }
  return true;
}

}  // namespace vmlab::ui::gdb
