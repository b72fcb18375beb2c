// ELF32 reader (see elf32.h). Field offsets from the System V ABI, "ELF header" and
// "Program header" (i386 supplement).
#include "firmware/elf32.h"

#include <cstring>
#include <fmt/format.h>

namespace vmlab::firmware {

namespace {
constexpr size_t kEhdrSize = 52, kPhdrSize = 32;
constexpr uint16_t kEtExec = 2, kEmI386 = 3;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kMaxPhnum = 4096;  // real kernels have a handful; bound the work

uint16_t le16(std::span<const uint8_t> b, size_t off) {
  return uint16_t(b[off] | (b[off + 1] << 8));
}
uint32_t le32(std::span<const uint8_t> b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);  // the host is little-endian x86-64
  return v;
}
}  // namespace

bool is_elf(std::span<const uint8_t> file) {
  return file.size() >= 4 && file[0] == 0x7F && file[1] == 'E' && file[2] == 'L' && file[3] == 'F';
}

std::optional<ElfImage> parse_elf32(std::span<const uint8_t> file, std::string& error) {
  if (!is_elf(file)) { error = "not an ELF file (no \\x7fELF magic)"; return std::nullopt; }
  if (file.size() < 5) { error = "truncated ELF header"; return std::nullopt; }
  if (file[4] == 2) {
    error = "64-bit ELF (ELFCLASS64): vmlab boots 32-bit kernels; build with -m32 / elf_i386";
    return std::nullopt;
  }
  if (file[4] != 1) { error = fmt::format("unknown ELF class {}", file[4]); return std::nullopt; }
  if (file.size() < kEhdrSize) {
    error = fmt::format("truncated ELF header ({} bytes, need {})", file.size(), kEhdrSize);
    return std::nullopt;
  }
  if (file[5] != 1) { error = "big-endian ELF: an i386 kernel is little-endian"; return std::nullopt; }
  uint16_t type = le16(file, 16), machine = le16(file, 18);
  if (machine != kEmI386) {
    error = fmt::format("ELF machine {} is not i386 (3)", machine);
    return std::nullopt;
  }
  if (type != kEtExec) {
    error = fmt::format("ELF type {} is not an executable (ET_EXEC = 2); link the kernel statically", type);
    return std::nullopt;
  }
  ElfImage img;
  img.entry = le32(file, 24);
  uint64_t phoff = le32(file, 28);
  uint16_t phentsize = le16(file, 42), phnum = le16(file, 44);
  if (phnum == 0) { error = "ELF has no program headers"; return std::nullopt; }
  if (phnum > kMaxPhnum) { error = fmt::format("ELF has too many program headers ({})", phnum); return std::nullopt; }
  if (phentsize < kPhdrSize) {
    error = fmt::format("ELF program header size {} is smaller than {}", phentsize, kPhdrSize);
    return std::nullopt;
  }
  if (phoff + uint64_t(phnum) * phentsize > file.size()) {
    error = fmt::format("ELF program headers (offset {:#x}, {} x {} bytes) run past the end of the "
                        "file ({} bytes)", phoff, phnum, phentsize, file.size());
    return std::nullopt;
  }
  for (unsigned i = 0; i < phnum; ++i) {
    size_t ph = size_t(phoff) + size_t(i) * phentsize;
    if (le32(file, ph) != kPtLoad) continue;
    ElfSegment s{le32(file, ph + 4), le32(file, ph + 8), le32(file, ph + 12), le32(file, ph + 16),
                 le32(file, ph + 20)};
    if (s.memsz == 0) continue;
    if (s.filesz > s.memsz) {
      error = fmt::format("ELF segment {} has filesz {:#x} > memsz {:#x}", i, s.filesz, s.memsz);
      return std::nullopt;
    }
    if (uint64_t(s.offset) + s.filesz > file.size()) {
      error = fmt::format("ELF segment {} (offset {:#x}, {:#x} bytes) runs past the end of the file "
                          "({} bytes): the file is truncated", i, s.offset, s.filesz, file.size());
      return std::nullopt;
    }
    if (uint64_t(s.paddr) + s.memsz > (1ull << 32)) {
      error = fmt::format("ELF segment {} at {:#x} (+{:#x}) wraps past 4 GiB", i, s.paddr, s.memsz);
      return std::nullopt;
    }
    img.segments.push_back(s);
  }
  if (img.segments.empty()) { error = "ELF has no loadable (PT_LOAD) segments"; return std::nullopt; }
  return img;
}

}  // namespace vmlab::firmware
