// Parsing -serial / -monitor / -debugcon specifications (QEMU's spellings; see char_backend.h).
#include <fmt/format.h>
#include <stdexcept>
#include <vector>

#include "devices/char_backend.h"

namespace vmlab::devices {

namespace {

constexpr const char* kSpellings =
    "stdio, null, file:PATH, tcp:[HOST]:PORT,server[,nowait] or mon:stdio";

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    parts.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

[[noreturn]] void bad(const std::string& spec, const std::string& why) {
  throw std::runtime_error(fmt::format("character device '{}': {}", spec, why));
}

// "on"/"off" (also yes/no, true/false, as QEMU accepts).
bool parse_switch(const std::string& spec, const std::string& key, const std::string& v) {
  if (v == "on" || v == "yes" || v == "true") return true;
  if (v == "off" || v == "no" || v == "false") return false;
  bad(spec, fmt::format("'{}' must be on or off, not '{}'", key, v));
}

void parse_tcp(const std::string& spec, const std::string& body, CharSpec& c) {
  std::vector<std::string> parts = split_commas(body);
  const std::string& addr = parts[0];
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos)
    bad(spec, "expected tcp:[HOST]:PORT, e.g. tcp::4444,server,nowait");
  c.host = addr.substr(0, colon);
  if (c.host.size() >= 2 && c.host.front() == '[' && c.host.back() == ']')
    c.host = c.host.substr(1, c.host.size() - 2);  // [::1]
  std::string port = addr.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    bad(spec, fmt::format("'{}' is not a TCP port number (0-65535)", port));
  c.port = uint16_t(std::stoul(port));
  bool server = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    size_t eq = p.find('=');
    std::string key = p.substr(0, eq), val = eq == std::string::npos ? "" : p.substr(eq + 1);
    if (key == "server") server = eq == std::string::npos || parse_switch(spec, key, val);
    else if (key == "nowait" && eq == std::string::npos) c.wait = false;
    else if (key == "wait") c.wait = eq == std::string::npos || parse_switch(spec, key, val);
    else if (key == "nodelay") {}  // vmlab always sets TCP_NODELAY
    else if (key == "telnet" || key == "reconnect" || key == "tls-creds" || key == "websocket")
      bad(spec, fmt::format("option '{}' is not implemented (vmlab speaks raw TCP)", key));
    else bad(spec, fmt::format("unknown option '{}' (tcp takes server, nowait, wait=on|off)", p));
  }
  if (!server)
    bad(spec, "only server mode is implemented: add ',server' (vmlab listens, you connect)");
}

}  // namespace

CharSpec parse_char_spec(const std::string& spec) {
  CharSpec c;
  std::string rest = spec;
  if (rest.rfind("mon:", 0) == 0) {
    c.mux = true;
    rest = rest.substr(4);
    if (rest.rfind("mon:", 0) == 0) bad(spec, "'mon:' given twice");
    if (rest.empty()) bad(spec, "'mon:' needs a back end, e.g. mon:stdio");
  }
  if (rest == "null" || rest == "none") {
    if (c.mux) bad(spec, "the monitor needs a back end with input (mon:stdio or mon:tcp:...)");
    c.kind = CharSpec::Kind::Null;
    return c;
  }
  if (rest == "stdio" || rest.rfind("stdio,", 0) == 0) {
    c.kind = CharSpec::Kind::Stdio;
    std::vector<std::string> parts = split_commas(rest);
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string& p = parts[i];
      if (p.rfind("signal=", 0) == 0) c.signals = parse_switch(spec, "signal", p.substr(7));
      else if (p.rfind("input=", 0) == 0) c.input = parse_switch(spec, "input", p.substr(6));
      else bad(spec, fmt::format("unknown stdio option '{}' (stdio takes signal=on|off, input=on|off)", p));
    }
    if (c.mux && !c.input) bad(spec, "the monitor needs input: drop input=off");
    return c;
  }
  if (rest.rfind("file:", 0) == 0) {
    c.kind = CharSpec::Kind::File;
    c.path = rest.substr(5);
    if (c.path.empty()) bad(spec, "'file:' needs a path, e.g. -serial file:serial.log");
    if (c.mux) bad(spec, "a file has no input for the monitor: use mon:stdio or mon:tcp:...");
    return c;
  }
  if (rest.rfind("tcp:", 0) == 0) {
    c.kind = CharSpec::Kind::Tcp;
    parse_tcp(spec, rest.substr(4), c);
    return c;
  }
  if (rest.empty()) bad(spec, fmt::format("empty back end; use {}", kSpellings));
  std::string kind = rest.substr(0, rest.find_first_of(":,"));
  bad(spec, fmt::format("unknown back end '{}': use {}", kind, kSpellings));
}

}  // namespace vmlab::devices
