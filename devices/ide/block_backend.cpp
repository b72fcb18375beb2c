// Raw image files for IDE drives (see block_backend.h).
#include "devices/ide/block_backend.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vmlab::devices::ide {

namespace {
// pread/pwrite may transfer less than asked (signals, huge requests): loop until done.
bool full_pread(int fd, uint8_t* p, size_t n, off_t off) {
  while (n) {
    ssize_t r = ::pread(fd, p, n, off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r; n -= size_t(r); off += r;
  }
  return true;
}
bool full_pwrite(int fd, const uint8_t* p, size_t n, off_t off) {
  while (n) {
    ssize_t r = ::pwrite(fd, p, n, off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r; n -= size_t(r); off += r;
  }
  return true;
}
}  // namespace

std::unique_ptr<BlockBackend> BlockBackend::open(const std::string& path, const BackendOptions& opt) {
  std::unique_ptr<BlockBackend> b(new BlockBackend);
  b->path_ = path;
  b->read_only_ = opt.read_only;
  b->snapshot_ = opt.snapshot;
  // A snapshot never writes the file, so read access is enough.
  const bool write_file = !opt.read_only && !opt.snapshot;
  b->fd_ = ::open(path.c_str(), (write_file ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (b->fd_ < 0) {
    int e = errno;
    if (e == ENOENT)
      throw BackendError(fmt::format("cannot open disk image '{}': no such file (create one with "
                                     "'truncate -s 64M {}' or 'qemu-img create -f raw {} 64M')",
                                     path, path, path));
    if (write_file && (e == EACCES || e == EROFS || e == EPERM))
      throw BackendError(fmt::format("cannot open disk image '{}' for writing: {} (make it "
                                     "writable, or add readonly=on or -snapshot)", path, std::strerror(e)));
    if (e == EISDIR)
      throw BackendError(fmt::format("disk image '{}' is not a regular file or block device", path));
    throw BackendError(fmt::format("cannot open disk image '{}': {}", path, std::strerror(e)));
  }
  struct stat st{};
  if (::fstat(b->fd_, &st) != 0)
    throw BackendError(fmt::format("cannot stat disk image '{}': {}", path, std::strerror(errno)));
  uint64_t size = 0;
  if (S_ISREG(st.st_mode)) {
    size = uint64_t(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(b->fd_, 0, SEEK_END);
    if (end < 0)
      throw BackendError(fmt::format("cannot size block device '{}': {}", path, std::strerror(errno)));
    size = uint64_t(end);
  } else {
    throw BackendError(fmt::format("disk image '{}' is not a regular file or block device", path));
  }
  if (size == 0)
    throw BackendError(
        fmt::format("disk image '{}' is empty (give it a size: 'truncate -s 64M {}')", path, path));
  if (size % opt.granularity)
    throw BackendError(fmt::format(
        "image '{}' is {} bytes, not a multiple of {} (the {} size): pad it with "
        "'truncate -s %{} {}'", path, size, opt.granularity,
        opt.granularity == kSectorSize ? "sector" : "CD block", opt.granularity, path));
  b->sectors_ = size / kSectorSize;
  return b;
}

std::unique_ptr<BlockBackend> BlockBackend::memory(uint64_t sectors, bool read_only) {
  std::unique_ptr<BlockBackend> b(new BlockBackend);
  b->path_ = "<memory>";
  b->sectors_ = sectors;
  b->read_only_ = read_only;
  b->mem_ = std::make_unique<uint8_t[]>(size_t(sectors * kSectorSize));
  return b;
}

BlockBackend::~BlockBackend() {
  if (fd_ >= 0) ::close(fd_);
}

bool BlockBackend::read(uint64_t lba, uint32_t count, uint8_t* out) {
  if (!in_range(lba, count)) return false;
  if (mem_) {
    std::memcpy(out, mem_.get() + lba * kSectorSize, size_t(count) * kSectorSize);
  } else if (!full_pread(fd_, out, size_t(count) * kSectorSize, off_t(lba * kSectorSize))) {
    io_errors++;
    return false;
  }
  if (!overlay_.empty()) {
    for (uint32_t i = 0; i < count; ++i)
      if (auto it = overlay_.find(lba + i); it != overlay_.end())
        std::memcpy(out + size_t(i) * kSectorSize, it->second.data(), kSectorSize);
  }
  sectors_read += count;
  return true;
}

bool BlockBackend::write(uint64_t lba, uint32_t count, const uint8_t* in) {
  if (read_only_ || !in_range(lba, count)) return false;
  if (snapshot_) {
    for (uint32_t i = 0; i < count; ++i)
      std::memcpy(overlay_[lba + i].data(), in + size_t(i) * kSectorSize, kSectorSize);
  } else if (mem_) {
    std::memcpy(mem_.get() + lba * kSectorSize, in, size_t(count) * kSectorSize);
  } else if (!full_pwrite(fd_, in, size_t(count) * kSectorSize, off_t(lba * kSectorSize))) {
    io_errors++;
    return false;
  }
  sectors_written += count;
  return true;
}

bool BlockBackend::flush() {
  flushes++;
  if (fd_ < 0 || snapshot_ || read_only_) return true;
  if (::fsync(fd_) != 0) {
    io_errors++;
    return false;
  }
  return true;
}

}  // namespace vmlab::devices::ide
