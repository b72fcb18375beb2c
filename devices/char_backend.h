// CharBackend: where a character device's output goes (serial port, debug console).
// Devices hold a CharBackend& and never know whether it is the terminal, a file or nothing.
//
//   auto out = open_char_backend("file:serial.log");   // or "stdio", "null"
//   out->write('A');
//   out->flush();
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace vmlab::devices {

class CharBackend {
 public:
  virtual ~CharBackend() = default;
  virtual void write(uint8_t byte) = 0;
  virtual void flush() {}
};

// Output to the process's stdout; flushed at every newline so a guest's lines appear promptly.
class StdioBackend : public CharBackend {
 public:
  void write(uint8_t byte) override;
  void flush() override;
};

class NullBackend : public CharBackend {
 public:
  void write(uint8_t) override {}
};

class FileBackend : public CharBackend {
 public:
  explicit FileBackend(std::FILE* f) : f_(f) {}
  ~FileBackend() override;
  void write(uint8_t byte) override;
  void flush() override;
 private:
  std::FILE* f_;
};

// Collects output in memory (tests, and the monitor later).
class BufferBackend : public CharBackend {
 public:
  void write(uint8_t byte) override { text += char(byte); }
  std::string text;
};

// "stdio", "null" or "file:PATH". Throws std::runtime_error with a message on a bad spec or a
// file that cannot be created.
std::unique_ptr<CharBackend> open_char_backend(const std::string& spec);

}  // namespace vmlab::devices
