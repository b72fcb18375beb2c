// Multiboot v1 loader (see multiboot_loader.h). Structure layouts from the Multiboot
// Specification 0.6.96, sections 3.1 (header) and 3.3 (boot information format).
#include "firmware/multiboot_loader.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <optional>

#include "cpu/flags.h"
#include "firmware/elf32.h"
#include "machine/setup_error.h"

namespace vmlab::firmware {

using machine::kPageSize;
using machine::SetupError;

namespace {

// Header flag 16: the a.out-kludge address fields are valid. Flags 0-2 (page-align modules,
// memory info, video mode) need no action: modules are always aligned, memory info always given,
// and a video mode is a preference.
constexpr uint32_t kFlagAoutKludge = 1u << 16;
// Info flags (what the loader filled in).
constexpr uint32_t kInfoMem = 1u << 0, kInfoCmdline = 1u << 2, kInfoMods = 1u << 3,
                   kInfoMmap = 1u << 6, kInfoLoaderName = 1u << 9;
constexpr uint32_t kInfoSize = 0x80;          // fields up to the framebuffer info, zeroed
constexpr uint32_t kBootAreaEnd = 0x9FC00;    // the EBDA starts here on a PC
constexpr uint32_t kLowRamTop = 0x9FC00, kHighRamBase = 0x100000;

uint32_t rd32(std::span<const uint8_t> b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
void put64(std::vector<uint8_t>& b, size_t off, uint64_t v) { std::memcpy(b.data() + off, &v, 8); }

struct Header {
  uint32_t file_offset, flags;
  uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

std::optional<Header> find_header(std::span<const uint8_t> k) {
  size_t limit = std::min<size_t>(k.size(), kMultibootSearchBytes);
  for (size_t off = 0; off + 12 <= limit; off += 4) {
    if (rd32(k, off) != kMultibootHeaderMagic) continue;
    uint32_t flags = rd32(k, off + 4), sum = rd32(k, off + 8);
    if (uint32_t(kMultibootHeaderMagic + flags + sum) != 0) continue;
    Header h{uint32_t(off), flags, 0, 0, 0, 0, 0};
    if ((flags & kFlagAoutKludge) && off + 32 <= k.size()) {
      h.header_addr = rd32(k, off + 12);
      h.load_addr = rd32(k, off + 16);
      h.load_end_addr = rd32(k, off + 20);
      h.bss_end_addr = rd32(k, off + 24);
      h.entry_addr = rd32(k, off + 28);
    } else if (flags & kFlagAoutKludge) {
      throw SetupError("multiboot header has the address-fields flag but the file ends inside it");
    }
    return h;
  }
  return std::nullopt;
}

// Copies `bytes` to guest-physical `pa` and zeroes up to `memsz`; the whole range must be RAM.
void place(machine::GuestMemory& mem, uint32_t pa, std::span<const uint8_t> bytes, uint32_t memsz,
           const char* what) {
  uint8_t* p = mem.ram_ptr(pa, memsz);
  if (!p)
    throw SetupError(fmt::format(
        "{} at {:#x}-{:#x} is not in guest RAM ({} MiB, with the hole at 0xA0000-0xFFFFF); "
        "use a larger -m or relink the kernel", what, pa, uint64_t(pa) + memsz, mem.ram_size() >> 20));
  std::memcpy(p, bytes.data(), bytes.size());
  std::memset(p + bytes.size(), 0, memsz - bytes.size());
  mem.note_write(pa, memsz);
}

// Packs the boot structures upwards from the info address, refusing to collide with the kernel.
struct BootArea {
  uint32_t next = kBootInfoAddr;
  uint32_t alloc(uint32_t size, uint32_t align = 4) {
    uint32_t at = (next + align - 1) & ~(align - 1);
    if (uint64_t(at) + size > kBootAreaEnd)
      throw SetupError("multiboot command line and module names are too long for low memory");
    next = at + size;
    return at;
  }
};

void write_bytes(machine::GuestMemory& mem, uint32_t pa, std::span<const uint8_t> b) {
  if (!mem.write_phys(pa, b)) throw SetupError(fmt::format("cannot write boot data at {:#x}", pa));
}
uint32_t write_string(machine::GuestMemory& mem, BootArea& area, const std::string& s) {
  uint32_t at = area.alloc(uint32_t(s.size() + 1), 1);
  std::vector<uint8_t> b(s.begin(), s.end());
  b.push_back(0);
  write_bytes(mem, at, b);
  return at;
}

void set_flat_segment(cpu::SegmentCache& seg, uint16_t sel, bool code) {
  seg.selector = sel;
  seg.base = 0;
  seg.limit = 0xFFFFFFFF;
  // present, DPL 0, S, accessed; code: execute/read, data: read/write; D/B and G set.
  seg.attr = uint16_t(cpu::SEG_P | cpu::SEG_S | cpu::SEG_ACCESSED | cpu::SEG_RW |
                      (code ? cpu::SEG_CODE : 0) | cpu::SEG_DB | cpu::SEG_G);
}

// Sets every register the multiboot state defines; the rest keep their RESET values (the
// machine resets the CPU before it runs the boot step).
void enter_protected_mode(cpu::CpuState& s, uint32_t entry, uint32_t info) {
  s.gpr[cpu::EAX] = kMultibootBootMagic;
  s.gpr[cpu::EBX] = info;
  s.gpr[cpu::ESP] = 0x7C00;  // the spec leaves ESP undefined; a harmless value in free low RAM
  s.eip = entry;
  cpu::write_eflags(s, 0x2);  // IF = 0, VM = 0, arithmetic flags clear
  s.cr0 = cpu::CR0_PE | cpu::CR0_ET;
  s.cr4 = 0;
  for (unsigned i = 0; i < cpu::kNumSegRegs; ++i)
    set_flat_segment(s.seg[i], kBootDataSelector, false);
  set_flat_segment(s.seg[cpu::CS], kBootCodeSelector, true);
  s.gdtr.base = kBootGdtAddr;
  s.gdtr.limit = 4 * 8 - 1;
  s.idtr.base = 0;  // undefined by the spec: the kernel must load its own before STI
  s.idtr.limit = 0x3FF;
  s.cpl = 0;
  s.events = cpu::PendingEvents{};
}

}  // namespace

std::vector<std::string> split_module_list(const std::string& spec) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == ',' && i + 1 < spec.size() && spec[i + 1] == ',') { cur += ','; ++i; continue; }
    if (spec[i] == ',') { out.push_back(cur); cur.clear(); continue; }
    cur += spec[i];
  }
  if (!cur.empty() || !out.empty()) out.push_back(cur);
  return out;
}

std::vector<uint8_t> read_image_file(const std::string& path, const char* what) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw SetupError(fmt::format("cannot open {} '{}': {}", what, path, std::strerror(errno)));
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    bytes.insert(bytes.end(), buf, buf + n);
    if (bytes.size() > (3ull << 30)) {
      std::fclose(f);
      throw SetupError(fmt::format("{} '{}' is larger than the largest guest RAM (3 GiB)", what, path));
    }
  }
  bool err = std::ferror(f);
  std::fclose(f);
  if (err) throw SetupError(fmt::format("cannot read {} '{}'", what, path));
  return bytes;
}

MultibootLoad load_multiboot(machine::GuestMemory& mem, cpu::CpuState& s,
                             std::span<const uint8_t> kernel, const MultibootParams& params) {
  auto header = find_header(kernel);
  if (!header)
    throw SetupError(fmt::format(
        "'{}' has no multiboot header in its first 8 KiB (magic 0x1BADB002 with a valid checksum); "
        "vmlab -kernel boots multiboot v1 kernels", params.kernel_name));
  uint32_t unknown = header->flags & 0xFFF8u;  // bits 0-15 are requirements: refuse what we lack
  if (unknown)
    throw SetupError(fmt::format("multiboot header requires features vmlab does not provide "
                                 "(flags {:#x})", unknown));

  MultibootLoad r;
  uint64_t lo = ~0ull, hi = 0;
  if (header->flags & kFlagAoutKludge) {
    const Header& h = *header;
    if (h.header_addr < h.load_addr || h.header_addr - h.load_addr > h.file_offset)
      throw SetupError("multiboot header_addr/load_addr are inconsistent with the header's position");
    uint32_t load_offset = h.file_offset - (h.header_addr - h.load_addr);
    uint64_t load_size = h.load_end_addr ? uint64_t(h.load_end_addr) - h.load_addr
                                         : kernel.size() - load_offset;
    if (h.load_end_addr && h.load_end_addr < h.load_addr)
      throw SetupError("multiboot load_end_addr is below load_addr");
    if (load_offset + load_size > kernel.size())
      throw SetupError("multiboot load_end_addr runs past the end of the kernel file");
    uint64_t end = h.load_addr + load_size;
    if (h.bss_end_addr && h.bss_end_addr < end)
      throw SetupError("multiboot bss_end_addr is below the end of the loaded image");
    uint64_t mem_end = h.bss_end_addr ? h.bss_end_addr : end;
    if (mem_end - h.load_addr > 0xFFFFFFFFu || mem_end == h.load_addr)
      throw SetupError("multiboot a.out kludge describes an empty or oversized image");
    place(mem, h.load_addr, kernel.subspan(load_offset, size_t(load_size)),
          uint32_t(mem_end - h.load_addr), "kernel image");
    lo = h.load_addr;
    hi = mem_end;
    r.entry = h.entry_addr;
    r.used_aout_kludge = true;
  } else {
    std::string err;
    auto img = parse_elf32(kernel, err);
    if (!img) throw SetupError(fmt::format("cannot load '{}': {}", params.kernel_name, err));
    bool entry_mapped = false;
    for (const ElfSegment& seg : img->segments) {
      place(mem, seg.paddr, kernel.subspan(seg.offset, seg.filesz), seg.memsz, "ELF segment");
      lo = std::min<uint64_t>(lo, seg.paddr);
      hi = std::max<uint64_t>(hi, uint64_t(seg.paddr) + seg.memsz);
      // A higher-half kernel links at vaddr but loads at paddr: enter at the physical address.
      if (!entry_mapped && img->entry - seg.vaddr < seg.memsz) {
        r.entry = seg.paddr + (img->entry - seg.vaddr);
        entry_mapped = true;
      }
    }
    if (!entry_mapped) r.entry = img->entry;
  }
  r.kernel_start = uint32_t(lo);
  r.kernel_end = uint32_t(hi);
  if (lo < kBootAreaEnd && hi > kBootGdtAddr)
    throw SetupError(fmt::format("kernel occupies {:#x}-{:#x}, which overlaps the boot data area "
                                 "{:#x}-{:#x}; link it at 1 MiB", lo, hi, kBootGdtAddr, kBootAreaEnd));

  // GDT: null, unused, flat code (0x10), flat data (0x18).
  std::vector<uint8_t> gdt(32, 0);
  put64(gdt, 16, 0x00CF9B000000FFFFull);
  put64(gdt, 24, 0x00CF93000000FFFFull);
  write_bytes(mem, kBootGdtAddr, gdt);

  BootArea area;
  uint32_t info_addr = area.alloc(kInfoSize);
  std::vector<uint8_t> info(kInfoSize, 0);
  uint32_t flags = kInfoMem | kInfoCmdline | kInfoMmap | kInfoLoaderName;
  uint64_t ram = mem.ram_size();

  // Memory map, E820 style: each entry is size(4)=20, base(8), length(8), type(4).
  struct Range { uint64_t base, len; uint32_t type; };
  std::vector<Range> ranges;
  if (params.memory_map.empty()) {
    ranges = {{0, kLowRamTop, 1}, {kLowRamTop, 0xA0000 - kLowRamTop, 2}, {0xF0000, 0x10000, 2}};
    if (ram > kHighRamBase) ranges.push_back({kHighRamBase, ram - kHighRamBase, 1});
  } else {
    for (const E820Entry& e : params.memory_map) ranges.push_back({e.base, e.length, uint32_t(e.type)});
  }
  // mem_upper: the usable RAM from 1 MiB up to the first hole (the firmware tables, if any);
  // modules must stay below that end too.
  uint64_t ram_end = kHighRamBase;
  for (const Range& rg : ranges)
    if (rg.type == 1 && rg.base == kHighRamBase) ram_end = rg.base + rg.len;
  if (params.memory_map.empty()) ram_end = std::max<uint64_t>(ram, kHighRamBase);
  if (hi > ram_end)
    throw SetupError(fmt::format("kernel ends at {:#x}, past the usable RAM from 1 MiB, which "
                                 "ends at {:#x} (the firmware tables follow); use a larger -m", hi, ram_end));
  put32(info, 4, kLowRamTop / 1024);                                        // mem_lower (KiB)
  put32(info, 8, uint32_t((ram_end - kHighRamBase) / 1024));                 // mem_upper (KiB)
  std::vector<uint8_t> mmap(ranges.size() * 24, 0);
  for (size_t i = 0; i < ranges.size(); ++i) {
    put32(mmap, i * 24, 20);
    put64(mmap, i * 24 + 4, ranges[i].base);
    put64(mmap, i * 24 + 12, ranges[i].len);
    put32(mmap, i * 24 + 20, ranges[i].type);
  }
  uint32_t mmap_addr = area.alloc(uint32_t(mmap.size()));
  write_bytes(mem, mmap_addr, mmap);
  put32(info, 44, uint32_t(mmap.size()));
  put32(info, 48, mmap_addr);

  // Command line as QEMU gives it: the kernel's name, then -append.
  std::string cmdline = params.kernel_name;
  if (!params.append.empty()) cmdline += " " + params.append;
  put32(info, 16, write_string(mem, area, cmdline));
  put32(info, 64, write_string(mem, area, "vmlab"));

  // Modules: page-aligned after the kernel (and never below 1 MiB).
  if (!params.modules.empty()) {
    uint32_t list = area.alloc(uint32_t(params.modules.size() * 16));
    std::vector<uint8_t> entries(params.modules.size() * 16, 0);
    uint64_t at = (hi + kPageSize - 1) & ~uint64_t(kPageSize - 1);
    at = std::max<uint64_t>(at, kHighRamBase);
    for (size_t i = 0; i < params.modules.size(); ++i) {
      const MultibootModule& m = params.modules[i];
      uint64_t size = std::max<uint64_t>(m.bytes.size(), 1);
      if (at + size > ram_end)
        throw SetupError(fmt::format("module '{}' ({} bytes) does not fit in guest RAM after the "
                                     "kernel; use a larger -m", m.cmdline, m.bytes.size()));
      place(mem, uint32_t(at), m.bytes, uint32_t(size), "module");
      put32(entries, i * 16, uint32_t(at));
      put32(entries, i * 16 + 4, uint32_t(at + m.bytes.size()));
      put32(entries, i * 16 + 8, write_string(mem, area, m.cmdline));
      at = (at + size + kPageSize - 1) & ~uint64_t(kPageSize - 1);
    }
    write_bytes(mem, list, entries);
    flags |= kInfoMods;
    put32(info, 20, uint32_t(params.modules.size()));
    put32(info, 24, list);
  }
  put32(info, 0, flags);
  write_bytes(mem, info_addr, info);
  r.info_addr = info_addr;

  mem.set_a20(true);
  enter_protected_mode(s, r.entry, info_addr);
  return r;
}

}  // namespace vmlab::firmware
