// Multiboot v1 loader (`-kernel FILE`): finds the multiboot header in the first 8 KiB, loads the
// kernel (ELF32 PT_LOAD segments by physical address, or the a.out-kludge address fields when
// header flag 16 is set), loads boot modules (`-initrd "a.bin args,b.bin"`) page-aligned after
// the kernel, builds the multiboot information structure in low memory, and puts the CPU in the
// state the specification promises (section 3.2 "Machine state"):
//   EAX = 0x2BADB002, EBX = physical address of the info structure,
//   CS = flat 32-bit code (selector 0x10), DS/ES/FS/GS/SS = flat data (selector 0x18) from a
//   GDT the loader places at 0x1000, CR0.PE = 1, paging off, EFLAGS.IF = 0 and VM = 0, A20 on.
// Since there is no BIOS yet, the loader sets this state directly instead of jumping through
// real-mode boot code.
//
// Low-memory layout written by the loader (all below the EBDA at 0x9FC00):
//   0x1000 GDT (4 entries), 0x1100 multiboot info, then memory map, command line, module list,
//   module strings and the boot loader name, packed upwards.
//
//   MultibootLoad r = load_multiboot(mem, vcpu.s, kernel_bytes, {"kernel.elf", "console=ttyS0", {}});
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>
#include "cpu/cpu_state.h"
#include "firmware/e820_map.h"
#include "machine/guest_memory.h"

namespace vmlab::machine { class Machine; }

namespace vmlab::firmware {

inline constexpr uint32_t kMultibootHeaderMagic = 0x1BADB002;
inline constexpr uint32_t kMultibootBootMagic = 0x2BADB002;
inline constexpr uint32_t kMultibootSearchBytes = 8192;
inline constexpr uint32_t kBootGdtAddr = 0x1000;
inline constexpr uint32_t kBootInfoAddr = 0x1100;
inline constexpr uint16_t kBootCodeSelector = 0x10, kBootDataSelector = 0x18;

struct MultibootModule {
  std::string cmdline;         // "path args", as given to -initrd
  std::vector<uint8_t> bytes;  // file contents
};

struct MultibootParams {
  std::string kernel_name;     // first word of the kernel command line (QEMU passes the path)
  std::string append;          // -append
  std::vector<MultibootModule> modules;
  // The multiboot memory map (mmap_*, and mem_upper from its RAM entry at 1 MiB). Empty: a
  // plain map of the RAM with the PC holes (640K-1M) marked, for a machine without firmware
  // tables; setup_multiboot_boot passes the E820 map the BIOS would give.
  std::vector<E820Entry> memory_map = {};
};

struct MultibootLoad {
  uint32_t entry = 0;          // physical entry point
  uint32_t info_addr = 0;      // EBX
  uint32_t kernel_start = 0, kernel_end = 0;  // lowest and highest+1 physical byte loaded
  bool used_aout_kludge = false;
};

// Throws machine::SetupError with a one-line reason when the image is not bootable.
MultibootLoad load_multiboot(machine::GuestMemory& mem, cpu::CpuState& s,
                             std::span<const uint8_t> kernel, const MultibootParams& params);

// `-kernel` with a multiboot kernel on a whole machine: installs the boot step that, on every
// reset, writes what the BIOS would have left behind - the MP and ACPI tables
// (platform_tables.h), the BDA words that point the standard searches at the EBDA (40:0E EBDA
// segment, 40:13 base memory in KiB) - and then loads the kernel with the BIOS's E820 map as
// its multiboot memory map (the table area at the top of RAM reserved). Needs >= 2 MiB of RAM
// for the tables; a smaller machine boots without them (stated on stderr).
void setup_multiboot_boot(machine::Machine& m, std::vector<uint8_t> kernel, MultibootParams params);

// Reads a whole file (kernel, module); SetupError naming the file and the OS error.
std::vector<uint8_t> read_image_file(const std::string& path, const char* what);

// Splits QEMU's -initrd for multiboot: "a.bin arg1,b.bin" -> {"a.bin arg1", "b.bin"} (",," is a
// literal comma). The first word of each entry is the file to load.
std::vector<std::string> split_module_list(const std::string& spec);

}  // namespace vmlab::firmware
