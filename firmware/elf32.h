// ELF32 reader for boot loaders: the file header and PT_LOAD program headers of an i386
// executable, every field bounds-checked against the file (a kernel image is untrusted input).
//
//   std::string err;
//   auto img = parse_elf32(bytes, err);
//   if (!img) fail(err);
//   for (const auto& seg : img->segments) load(seg.paddr, bytes.subspan(seg.offset, seg.filesz));
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vmlab::firmware {

struct ElfSegment {
  uint32_t offset = 0;  // in the file
  uint32_t vaddr = 0;
  uint32_t paddr = 0;   // where a boot loader puts it (multiboot loads by physical address)
  uint32_t filesz = 0;  // bytes copied from the file
  uint32_t memsz = 0;   // bytes occupied; the rest (bss) is zeroed
};

struct ElfImage {
  uint32_t entry = 0;                 // e_entry (a virtual address)
  std::vector<ElfSegment> segments;   // PT_LOAD entries with memsz > 0, in file order
};

// True when the bytes start with the ELF magic (whatever the class).
bool is_elf(std::span<const uint8_t> file);

// nullopt + a one-line `error` when the file is not a valid little-endian i386 ELF32 executable
// or any header or segment lies outside the file.
std::optional<ElfImage> parse_elf32(std::span<const uint8_t> file, std::string& error);

}  // namespace vmlab::firmware
