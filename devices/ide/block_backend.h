// BlockBackend: a raw disk or CD image file as an array of 512-byte sectors, the host side of
// an IDE drive. Reads and writes go straight to the file with pread/pwrite (no host-side cache
// of our own), so whatever the guest wrote is in the host's page cache as soon as the command
// completes and survives the vmlab process being killed; flush() is fsync, what FLUSH CACHE
// promises (the data survives a host crash too).
//
//   auto disk = BlockBackend::open("disk.img", {.read_only = false});   // throws BackendError
//   disk->read(lba, 8, buf);          // false: I/O error or past the end
//   disk->write(lba, 8, buf);
//   disk->flush();
//
// With `snapshot`, writes go to an in-memory overlay (sector -> bytes) that is dropped when
// vmlab exits: the file is opened read-only and never changes (QEMU's -snapshot).
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace vmlab::devices::ide {

inline constexpr uint32_t kSectorSize = 512;

// A host-side problem with an image (missing, unreadable, bad size): the message says what to do.
class BackendError : public std::runtime_error {
 public:
  explicit BackendError(const std::string& what) : std::runtime_error(what) {}
};

struct BackendOptions {
  bool read_only = false;
  bool snapshot = false;       // writes to a temporary in-memory overlay
  uint32_t granularity = kSectorSize;  // the file size must be a multiple (2048 for a CD image)
};

class BlockBackend {
 public:
  static std::unique_ptr<BlockBackend> open(const std::string& path, const BackendOptions& opt);
  // An in-memory image (tests): `sectors` zero-filled sectors.
  static std::unique_ptr<BlockBackend> memory(uint64_t sectors, bool read_only = false);
  ~BlockBackend();
  BlockBackend(const BlockBackend&) = delete;
  BlockBackend& operator=(const BlockBackend&) = delete;

  uint64_t sectors() const { return sectors_; }
  bool read_only() const { return read_only_; }
  const std::string& path() const { return path_; }
  // [lba, lba+count) must lie inside the image; false on a host I/O error or out of range.
  bool read(uint64_t lba, uint32_t count, uint8_t* out);
  bool write(uint64_t lba, uint32_t count, const uint8_t* in);  // false also when read-only
  bool flush();                                                 // fsync (no-op in memory)

  // Host statistics.
  uint64_t sectors_read = 0, sectors_written = 0, flushes = 0, io_errors = 0;

 private:
  BlockBackend() = default;
  bool in_range(uint64_t lba, uint32_t count) const {
    return lba <= sectors_ && count <= sectors_ - lba;
  }
  int fd_ = -1;                       // -1: in-memory image
  std::string path_;
  uint64_t sectors_ = 0;
  bool read_only_ = false;
  bool snapshot_ = false;
  std::unordered_map<uint64_t, std::array<uint8_t, kSectorSize>> overlay_;  // snapshot writes
  std::unique_ptr<uint8_t[]> mem_;    // in-memory image
};

}  // namespace vmlab::devices::ide
