// Multiboot v1 loader and ELF32 reader: images are generated here byte by byte, good and bad.
#include "firmware/multiboot_loader.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "firmware/elf32.h"
#include "machine/setup_error.h"

using namespace vmlab;
using firmware::load_multiboot;
using firmware::MultibootParams;
using machine::GuestMemory;
using machine::SetupError;

namespace {

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) { std::memcpy(&b[off], &v, 2); }
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { std::memcpy(&b[off], &v, 4); }
uint32_t get32(GuestMemory& m, uint64_t pa) {
  uint32_t v = 0;
  std::vector<uint8_t> b(4);
  REQUIRE(m.read_phys(pa, b));
  std::memcpy(&v, b.data(), 4);
  return v;
}
uint64_t get64(GuestMemory& m, uint64_t pa) { return get32(m, pa) | (uint64_t(get32(m, pa + 4)) << 32); }
std::string get_str(GuestMemory& m, uint64_t pa) {
  std::string s;
  for (;;) {
    std::vector<uint8_t> b(1);
    REQUIRE(m.read_phys(pa++, b));
    if (!b[0]) return s;
    s += char(b[0]);
  }
}

struct Seg { uint32_t vaddr, paddr, memsz; std::vector<uint8_t> data; };

// ELF32 i386 executable: header, program headers at 52, segment data from 0x100 on. The first
// segment's data starts with a multiboot header (flags `mb_flags`).
std::vector<uint8_t> make_elf(std::vector<Seg> segs, uint32_t entry, uint32_t mb_flags = 0) {
  std::vector<uint8_t> f(0x100, 0);
  f[0] = 0x7F; f[1] = 'E'; f[2] = 'L'; f[3] = 'F';
  f[4] = 1; f[5] = 1; f[6] = 1;
  put16(f, 16, 2);    // ET_EXEC
  put16(f, 18, 3);    // EM_386
  put32(f, 20, 1);
  put32(f, 24, entry);
  put32(f, 28, 52);   // phoff
  put16(f, 40, 52);
  put16(f, 42, 32);
  put16(f, 44, uint16_t(segs.size()));
  std::vector<uint8_t> mb(12);
  put32(mb, 0, firmware::kMultibootHeaderMagic);
  put32(mb, 4, mb_flags);
  put32(mb, 8, uint32_t(0u - firmware::kMultibootHeaderMagic - mb_flags));
  segs[0].data.insert(segs[0].data.begin(), mb.begin(), mb.end());
  for (size_t i = 0; i < segs.size(); ++i) {
    size_t ph = 52 + i * 32;
    uint32_t off = uint32_t(f.size());
    put32(f, ph, 1);  // PT_LOAD
    put32(f, ph + 4, off);
    put32(f, ph + 8, segs[i].vaddr);
    put32(f, ph + 12, segs[i].paddr);
    put32(f, ph + 16, uint32_t(segs[i].data.size()));
    put32(f, ph + 20, std::max<uint32_t>(segs[i].memsz, uint32_t(segs[i].data.size())));
    f.insert(f.end(), segs[i].data.begin(), segs[i].data.end());
  }
  return f;
}

std::vector<uint8_t> simple_kernel() {
  return make_elf({{0x100000, 0x100000, 0x2000, {0xF4, 0xEB, 0xFE}}}, 0x10000C);
}

}  // namespace

TEST_CASE("multiboot_loads_elf_segments_zeroes_bss_and_sets_machine_state") {
  GuestMemory mem(4 << 20);
  std::memset(mem.ram_base() + 0x100000, 0xCC, 0x3000);
  cpu::CpuState s{};
  auto r = load_multiboot(mem, s, simple_kernel(), {"kernel.elf", "console=ttyS0", {}});
  CHECK(r.entry == 0x10000C);
  CHECK(r.kernel_start == 0x100000);
  CHECK(r.kernel_end == 0x102000);
  CHECK(mem.ram_base()[0x10000C] == 0xF4);
  CHECK(mem.ram_base()[0x100010] == 0);   // bss zeroed
  CHECK(mem.ram_base()[0x101FFF] == 0);
  CHECK(mem.ram_base()[0x102000] == 0xCC);  // nothing past memsz
  CHECK(s.gpr[cpu::EAX] == 0x2BADB002);
  CHECK(s.gpr[cpu::EBX] == r.info_addr);
  CHECK(s.eip == 0x10000C);
  CHECK((s.cr0 & cpu::CR0_PE) != 0);
  CHECK((s.cr0 & cpu::CR0_PG) == 0);
  CHECK((s.eflags & cpu::IF) == 0);
  CHECK(s.seg[cpu::CS].selector == 0x10);
  CHECK(s.seg[cpu::CS].limit == 0xFFFFFFFFu);
  CHECK(cpu::code32(s));
  CHECK(s.seg[cpu::SS].selector == 0x18);
  CHECK(cpu::stack32(s));
  CHECK(s.seg[cpu::DS].base == 0);
  CHECK(mem.a20());
  // The GDT the selectors refer to really is in memory.
  CHECK(get64(mem, s.gdtr.base + 0x10) == 0x00CF9B000000FFFFull);
  CHECK(get64(mem, s.gdtr.base + 0x18) == 0x00CF93000000FFFFull);
  // Multiboot info.
  uint32_t info = r.info_addr, flags = get32(mem, info);
  CHECK((flags & 0x1) != 0);  // mem_lower/upper
  CHECK((flags & 0x4) != 0);  // cmdline
  CHECK((flags & 0x40) != 0); // mmap
  CHECK((flags & 0x8) == 0);  // no modules
  CHECK(get32(mem, info + 4) == 639);
  CHECK(get32(mem, info + 8) == 3 * 1024);
  CHECK(get_str(mem, get32(mem, info + 16)) == "kernel.elf console=ttyS0");
  CHECK(get_str(mem, get32(mem, info + 64)) == "vmlab");
  uint32_t mlen = get32(mem, info + 44), maddr = get32(mem, info + 48);
  REQUIRE(mlen == 4 * 24);
  CHECK(get32(mem, maddr) == 20);
  CHECK(get64(mem, maddr + 4) == 0);
  CHECK(get64(mem, maddr + 12) == 0x9FC00);
  CHECK(get32(mem, maddr + 20) == 1);
  CHECK(get32(mem, maddr + 24 + 20) == 2);       // EBDA reserved
  CHECK(get64(mem, maddr + 72 + 4) == 0x100000);  // RAM above 1 MiB
  CHECK(get64(mem, maddr + 72 + 12) == (3u << 20));
  CHECK(get32(mem, maddr + 72 + 20) == 1);
}

TEST_CASE("multiboot_enters_higher_half_kernels_at_the_physical_entry") {
  GuestMemory mem(4 << 20);
  cpu::CpuState s{};
  auto k = make_elf({{0xC0100000, 0x100000, 0x1000, {0x90, 0x90}}}, 0xC010000D);
  auto r = load_multiboot(mem, s, k, {"k", "", {}});
  CHECK(r.entry == 0x10000D);
  CHECK(s.eip == 0x10000D);
}

TEST_CASE("multiboot_loads_modules_page_aligned_after_the_kernel") {
  GuestMemory mem(4 << 20);
  cpu::CpuState s{};
  MultibootParams p{"k", "", {{"a.bin arg1", {1, 2, 3}}, {"b.bin", std::vector<uint8_t>(5000, 7)}}};
  auto r = load_multiboot(mem, s, simple_kernel(), p);
  uint32_t info = r.info_addr;
  CHECK((get32(mem, info) & 0x8) != 0);
  REQUIRE(get32(mem, info + 20) == 2);
  uint32_t mods = get32(mem, info + 24);
  CHECK(get32(mem, mods) == 0x102000);
  CHECK(get32(mem, mods + 4) == 0x102003);
  CHECK(get_str(mem, get32(mem, mods + 8)) == "a.bin arg1");
  CHECK(get32(mem, mods + 16) == 0x103000);
  CHECK(get32(mem, mods + 20) == 0x103000 + 5000);
  CHECK(get_str(mem, get32(mem, mods + 24)) == "b.bin");
  CHECK(mem.ram_base()[0x102001] == 2);
  CHECK(mem.ram_base()[0x103000 + 4999] == 7);
  p.modules.push_back({"huge", std::vector<uint8_t>(4 << 20, 0)});
  CHECK_THROWS_AS(load_multiboot(mem, s, simple_kernel(), p), SetupError);
}

TEST_CASE("multiboot_aout_kludge_uses_header_addresses") {
  // Raw binary: header at file offset 0x20; the file is loaded at 0x100000.
  std::vector<uint8_t> f(0x200, 0x90);
  uint32_t flags = 1u << 16;
  put32(f, 0x20, firmware::kMultibootHeaderMagic);
  put32(f, 0x24, flags);
  put32(f, 0x28, uint32_t(0u - firmware::kMultibootHeaderMagic - flags));
  put32(f, 0x2C, 0x100020);  // header_addr
  put32(f, 0x30, 0x100000);  // load_addr
  put32(f, 0x34, 0x100200);  // load_end_addr
  put32(f, 0x38, 0x101000);  // bss_end_addr
  put32(f, 0x3C, 0x100100);  // entry
  GuestMemory mem(4 << 20);
  std::memset(mem.ram_base() + 0x100000, 0xCC, 0x2000);
  cpu::CpuState s{};
  auto r = load_multiboot(mem, s, f, {"raw", "", {}});
  CHECK(r.used_aout_kludge);
  CHECK(s.eip == 0x100100);
  CHECK(mem.ram_base()[0x100000] == 0x90);
  CHECK(mem.ram_base()[0x100FFF] == 0);     // bss
  CHECK(mem.ram_base()[0x101000] == 0xCC);
  put32(f, 0x2C, 0x0FF000);  // header_addr below load_addr: inconsistent
  CHECK_THROWS_AS(load_multiboot(mem, s, f, {"raw", "", {}}), SetupError);
  put32(f, 0x2C, 0x100020);
  put32(f, 0x34, 0x100400);  // past the end of the file
  CHECK_THROWS_AS(load_multiboot(mem, s, f, {"raw", "", {}}), SetupError);
}

TEST_CASE("multiboot_rejects_bad_kernels_with_a_reason") {
  GuestMemory mem(2 << 20);
  cpu::CpuState s{};
  auto fails_with = [&](std::vector<uint8_t> k, const char* what) {
    try {
      load_multiboot(mem, s, k, {"k", "", {}});
      FAIL("loaded: ", what);
    } catch (const SetupError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(what) != std::string::npos, e.what());
    }
  };
  fails_with(std::vector<uint8_t>(100, 0), "no multiboot header");
  fails_with({}, "no multiboot header");
  // A valid header deeper than 8 KiB is not found.
  auto deep = simple_kernel();
  deep.insert(deep.begin() + 0x100, 8192, 0);
  fails_with(deep, "no multiboot header");
  // Header present but not ELF and no a.out fields.
  std::vector<uint8_t> raw(64, 0);
  put32(raw, 0, firmware::kMultibootHeaderMagic);
  put32(raw, 8, uint32_t(0u - firmware::kMultibootHeaderMagic));
  fails_with(raw, "not an ELF");
  // Required feature bits we do not provide.
  fails_with(make_elf({{0x100000, 0x100000, 0x10, {1}}}, 0x100000, 1u << 3), "requires features");
  // Segments outside RAM, in the hole, over the boot area.
  fails_with(make_elf({{0x10000000, 0x10000000, 0x10, {1}}}, 0x10000000), "not in guest RAM");
  fails_with(make_elf({{0xA0000, 0xA0000, 0x10, {1}}}, 0xA0000), "not in guest RAM");
  fails_with(make_elf({{0x1F0000, 0x1F0000, 0x20000, {1}}}, 0x1F0000), "not in guest RAM");
  fails_with(make_elf({{0x1000, 0x1000, 0x10, {1}}}, 0x1000), "boot data area");
}

TEST_CASE("elf32_reader_rejects_malformed_headers") {
  std::string err;
  auto good = simple_kernel();
  REQUIRE(firmware::parse_elf32(good, err));
  auto bad = [&](std::vector<uint8_t> f, const char* what) {
    err.clear();
    CHECK_FALSE(firmware::parse_elf32(f, err));
    CHECK_MESSAGE(err.find(what) != std::string::npos, err);
  };
  bad({0x7F, 'E', 'L'}, "not an ELF");
  bad(std::vector<uint8_t>(good.begin(), good.begin() + 40), "truncated");
  auto f = good; f[4] = 2; bad(f, "64-bit");
  f = good; f[5] = 2; bad(f, "big-endian");
  f = good; put16(f, 18, 62); bad(f, "not i386");
  f = good; put16(f, 16, 3); bad(f, "not an executable");
  f = good; put16(f, 44, 0xFFFF); bad(f, "too many program headers");
  f = good; put16(f, 44, 200); bad(f, "past the end of the file");
  f = good; put32(f, 28, 0xFFFFFFF0); bad(f, "past the end of the file");
  f = good; put16(f, 42, 16); bad(f, "smaller than");
  f = good; put32(f, 52 + 4, 0xFFFFFF00); bad(f, "past the end of the file");
  f = good; put32(f, 52 + 16, 0x10000); bad(f, "filesz");
  f = good; put32(f, 52 + 12, 0xFFFFF000); put32(f, 52 + 20, 0x2000); bad(f, "wraps");
  f = good; put32(f, 52, 6); bad(f, "no loadable");
  f = std::vector<uint8_t>(good.begin(), good.end() - 1); bad(f, "truncated");
}

TEST_CASE("multiboot_loader_survives_random_corruption") {
  // Any byte pattern either loads or is refused with SetupError: never a crash (ASan checks).
  auto good = simple_kernel();
  std::mt19937 rng(42);
  GuestMemory mem(2 << 20);
  int loaded = 0;
  for (int i = 0; i < 2000; ++i) {
    auto f = good;
    for (int n = 0; n < 4; ++n) f[rng() % f.size()] = uint8_t(rng());
    if (rng() % 4 == 0) f.resize(rng() % f.size());
    cpu::CpuState s{};
    try {
      load_multiboot(mem, s, f, {"k", "", {}});
      ++loaded;
    } catch (const SetupError&) {
    }
  }
  CHECK(loaded > 0);
}

TEST_CASE("multiboot_module_list_splits_on_commas_like_qemu") {
  using firmware::split_module_list;
  CHECK(split_module_list("") == std::vector<std::string>{});
  CHECK(split_module_list("a.bin") == std::vector<std::string>{"a.bin"});
  CHECK(split_module_list("a.bin x=1,b.bin") == std::vector<std::string>{"a.bin x=1", "b.bin"});
  CHECK(split_module_list("a,,b,c") == std::vector<std::string>{"a,b", "c"});
}

TEST_CASE("read_image_file_names_the_missing_file") {
  try {
    firmware::read_image_file("/nonexistent/kernel.elf", "kernel");
    FAIL("no throw");
  } catch (const SetupError& e) {
    CHECK(std::string(e.what()).find("/nonexistent/kernel.elf") != std::string::npos);
  }
}
