// Character back ends: stdio, null, file (see char_backend.h).
#include "devices/char_backend.h"

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <stdexcept>

namespace vmlab::devices {

void StdioBackend::write(uint8_t byte) {
  std::fputc(byte, stdout);
  if (byte == '\n') std::fflush(stdout);
}
void StdioBackend::flush() { std::fflush(stdout); }

FileBackend::~FileBackend() {
  if (f_) std::fclose(f_);
}
void FileBackend::write(uint8_t byte) { std::fputc(byte, f_); }
void FileBackend::flush() { std::fflush(f_); }

std::unique_ptr<CharBackend> open_char_backend(const std::string& spec) {
  if (spec == "stdio") return std::make_unique<StdioBackend>();
  if (spec == "null" || spec == "none") return std::make_unique<NullBackend>();
  if (spec.rfind("file:", 0) == 0) {
    std::string path = spec.substr(5);
    if (path.empty()) throw std::runtime_error("'file:' needs a path, e.g. -serial file:serial.log");
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f)
      throw std::runtime_error(
          fmt::format("cannot create '{}' for serial output: {}", path, std::strerror(errno)));
    return std::make_unique<FileBackend>(f);
  }
  throw std::runtime_error(fmt::format(
      "unknown character back end '{}': use stdio, null or file:PATH", spec));
}

}  // namespace vmlab::devices
